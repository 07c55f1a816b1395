"""Time pyrender (OSMesa) on the meshes and views of docs/peers.md.

Camera at distance 2.732 looking at the origin, 60 deg vertical field of view (NMR's 30 deg
half angle), elevation 35 deg, azimuth changing every frame, flat shading, ambient 0.5 and
a directional light from +y, black background; meshes normalised as SPEC section 6 says.
Pixels are read back into numpy every frame. Prints median ms per frame after warm-up.

Run through render_pyrender.sh (it sets PYOPENGL_PLATFORM=osmesa and installs pyrender).
The image is the mirror of semrob's: NMR's camera frame (x = up x forward) is left-handed,
and pyrender needs a rotation; that changes nothing in the timing.
"""

import math
import os
import statistics
import sys
import time

import numpy as np
import pyrender
import trimesh

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "data")
MESHES = [
    ("teapot", os.path.join(DATA, "extra", "teapot.obj")),
    ("chair-341fcdd8", os.path.join(DATA, "shapenet10", "chair", "341fcdd8a40a2612456cbf78e1e89022",
                                    "models", "model_normalized.obj")),
    ("piano-c86b1da5", os.path.join(DATA, "shapenet10", "piano", "c86b1da5558ff70a9949833630526071",
                                    "models", "model_normalized.obj")),
]
DISTANCE = 2.732
ELEVATION = 35.0
WARMUP = 10
FRAMES = int(os.environ.get("FRAMES", "60"))


def load(path):
    mesh = trimesh.load(path, force="mesh", process=False)
    v = np.asarray(mesh.vertices, dtype=np.float64)
    lo, hi = v.min(0), v.max(0)
    v = (v - (lo + hi) / 2) * (2.0 / (hi - lo).max())  # SPEC section 6, algebraically
    return trimesh.Trimesh(vertices=v, faces=mesh.faces, process=False)


def pose(azimuth, elevation, d):
    a, e = math.radians(azimuth), math.radians(elevation)
    eye = np.array([d * math.cos(e) * math.sin(a), d * math.sin(e), -d * math.cos(e) * math.cos(a)])
    z = -eye / np.linalg.norm(eye)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = -x, y, -z, eye
    return m


def time_mesh(tm, size, downsample):
    scene = pyrender.Scene(ambient_light=[0.5, 0.5, 0.5], bg_color=[0.0, 0.0, 0.0, 1.0])
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0)
    scene.add(pyrender.Mesh.from_trimesh(tm, material=material, smooth=False))
    light = np.eye(4)
    light[:3, :3] = [[1, 0, 0], [0, 0, 1], [0, -1, 0]]  # shines along -y: light from +y
    scene.add(pyrender.DirectionalLight(color=[1.0, 1.0, 1.0], intensity=2.0), pose=light)
    camera = scene.add(pyrender.PerspectiveCamera(yfov=math.radians(60.0), aspectRatio=1.0), pose=pose(0, ELEVATION, DISTANCE))
    renderer = pyrender.OffscreenRenderer(size, size)
    times = []
    for frame in range(WARMUP + FRAMES):
        scene.set_pose(camera, pose((7.0 * frame) % 360.0, ELEVATION, DISTANCE))
        start = time.perf_counter()
        color, _ = renderer.render(scene, flags=pyrender.RenderFlags.FLAT)
        image = np.asarray(color, dtype=np.float32) / 255.0
        if downsample:
            image = image.reshape(size // 2, 2, size // 2, 2, 3).mean(axis=(1, 3))
        if frame >= WARMUP:
            times.append(time.perf_counter() - start)
    renderer.delete()
    return 1000.0 * statistics.median(times)


def main():
    print(f"pyrender {pyrender.__version__}, {FRAMES} frames after {WARMUP} warm-up, median ms per frame")
    print("| mesh | faces | 224² | 448² | 448² + 2×2 mean (= 224² ss2) |")
    print("|---|---|---|---|---|")
    for name, path in MESHES:
        if not os.path.exists(path):
            print(f"skipping {name}: {path} absent", file=sys.stderr)
            continue
        tm = load(path)
        t224 = time_mesh(tm, 224, False)
        t448 = time_mesh(tm, 448, False)
        t448d = time_mesh(tm, 448, True)
        print(f"| {name} | {len(tm.faces)} | {t224:.1f} | {t448:.1f} | {t448d:.1f} |")


if __name__ == "__main__":
    main()
