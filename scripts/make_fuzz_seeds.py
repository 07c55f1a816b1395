"""Writes the fuzz seed corpora under fixtures/fuzz/<harness>/seeds (issue 23).

Run with the pinned Python torch: .venv-torch/bin/python scripts/make_fuzz_seeds.py
Every file is small (a few KB): tiny tensors, a small mesh, maps of a few points. The
results seeds are minified copies of a real results folder's stamp and job files
(benchmarks/agreement/map).
"""
import collections
import io
import json
import os
import struct
import sys

import torch
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "fuzz")


def seeds(harness):
    d = os.path.join(OUT, harness, "seeds")
    os.makedirs(d, exist_ok=True)
    return d


def write(harness, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(seeds(harness), name), "wb") as f:
        f.write(data)


def saved(obj, zip_format):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zip_format)
    return buf.getvalue()


torch.manual_seed(0)
# --- checkpoint: both torch.save formats -------------------------------------------------
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
cases = {
    "f32": base,
    "f16": base.to(torch.float16)[:1],
    "bf16": base.to(torch.bfloat16)[:, :1],
    "i64": torch.tensor([1, -2, 3]),
    "u8": torch.tensor([0, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False]),
    "transposed": base.t(),  # strided view
    "offset": base[1:, 1:],  # offset view into a shared storage
    "scalar": torch.tensor(2.5, dtype=torch.float64),
}
lin = torch.nn.Linear(2, 2)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    lin.bias.zero_()
for fmt, name in [(True, "zip"), (False, "legacy")]:
    write("checkpoint", f"{name}-dtypes.pt", saved(cases, fmt))
    write("checkpoint", f"{name}-state-dict.pt", saved(lin.state_dict(), fmt))  # OrderedDict, _metadata
    write("checkpoint", f"{name}-parameter.pt", saved({"p": torch.nn.Parameter(base[0])}, fmt))
    write("checkpoint", f"{name}-empty.pt", saved(collections.OrderedDict(), fmt))


# --- safetensors: written by hand (the format is a length, a JSON header, the data) -------
def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


f32 = struct.pack("<6f", *range(6))
write("checkpoint", "safetensors.safetensors", safetensors({"w": ("F32", [2, 3], f32)}))
write("safetensors", "f32.safetensors", safetensors({"w": ("F32", [2, 3], f32)}, {"format": "pt"}))
write("safetensors", "dtypes.safetensors", safetensors({
    "a": ("F16", [2], struct.pack("<2e", 1.0, -2.0)),
    "b": ("BF16", [1], b"\x80\x3f"),
    "c": ("I64", [1], struct.pack("<q", -7)),
    "d": ("BOOL", [2], b"\x01\x00"),
    "e": ("U8", [0], b""),
    "f": ("F64", [], struct.pack("<d", 0.5)),
}))

# --- mesh: OBJ -----------------------------------------------------------------------------
write("mesh", "cube-quads.obj", """# a unit cube of quads, with normals and texture coordinates
mtllib cube.mtl
o cube
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 0 0 1
v 1 0 1
v 1 1 1
v 0 1 1
vt 0 0
vt 1 0
vn 0 0 -1
usemtl grey
f 1/1/1 2/2/1 3/1/1 4/2/1
f 5 6 7 8
f 1//1 2//1 6//1 5//1
f 2 3 7 6
f 3 4 8 7
f 4 1 5 8
""")
write("mesh", "two-objects-negative.obj", """o a
v 0 0 0
v 2 0 0
v 0 1 0
f -3 -2 -1
g b
v 0 0 3
v 1 0 3
v 0 1 3
v 0 1 5
f 4 5 6 7
l 1 2
p 3
""")

# --- grid: semrob.grid/1 --------------------------------------------------------------------
write("grid", "azimuth-elevation.json", json.dumps({
    "format": "semrob.grid/1",
    "axes": [
        {"name": "azimuth", "unit": "deg", "values": [0, 90, 180, 270], "period": 360},
        {"name": "elevation", "unit": "deg", "values": [-10, 20, 50], "domain": [-10, 90]},
    ],
    "values": [[0, 0.5, 1], [0.25, 0.75, 1], [0.1, 0.2, 0.3], [1, 1, 0]],
    "meta": {"network": "resnet50", "class": "cup"},
}, indent=1))
write("grid", "one-axis.json", json.dumps({
    "format": "semrob.grid/1",
    "axes": [{"name": "azimuth", "values": [0, 1.5, 3]}],
    "values": [0.0, 1.0, 0.5],
}))
write("grid", "three-axes.json", json.dumps({
    "format": "semrob.grid/1",
    "axes": [{"name": "a", "values": [0, 1]}, {"name": "b", "values": [0, 1]},
             {"name": "c", "values": [2], "period": 5}],
    "values": [[[0], [1]], [[0.5], [1e-3]]],
}))

# --- config: TOML ---------------------------------------------------------------------------
for name in ["quick.toml", "job-2d-lite0.toml", "agreement.toml"]:
    with open(os.path.join(ROOT, "configs", name)) as f:
        write("config", name, f.read())

# --- results: stamp and job JSON (minified real ones) --------------------------------------
res = os.path.join(ROOT, "benchmarks", "agreement", "map")
with open(os.path.join(res, "stamp.json")) as f:
    stamp = json.load(f)
stamp["jobs"] = stamp["jobs"][:2]
write("results", "stamp.json", json.dumps(stamp, separators=(",", ":")))
job_path = os.path.join(res, "jobs", "efficientnet-lite0", "cup", "1ea9ea99ac8ed233bf355ac8109b9988.json")
with open(job_path) as f:
    job = json.load(f)
job["runs"] = job["runs"][:2]
write("results", "job.json", json.dumps(job, separators=(",", ":")))

# --- image: PNG and JPEG ----------------------------------------------------------------------
img = Image.new("RGB", (6, 4))
img.putdata([(x * 40, y * 60, (x + y) * 20) for y in range(4) for x in range(6)])
buf = io.BytesIO(); img.save(buf, "PNG"); write("image", "rgb.png", buf.getvalue())
buf = io.BytesIO(); img.convert("LA").save(buf, "PNG"); write("image", "grey-alpha.png", buf.getvalue())
buf = io.BytesIO(); img.convert("P").save(buf, "PNG"); write("image", "palette.png", buf.getvalue())
buf = io.BytesIO(); img.save(buf, "JPEG", quality=80); write("image", "baseline.jpg", buf.getvalue())
buf = io.BytesIO(); img.save(buf, "JPEG", quality=80, progressive=True); write("image", "progressive.jpg", buf.getvalue())
buf = io.BytesIO(); img.convert("L").save(buf, "JPEG"); write("image", "grey.jpg", buf.getvalue())

total = 0
for dirpath, _, files in os.walk(OUT):
    for name in files:
        total += os.path.getsize(os.path.join(dirpath, name))
print(f"fuzz seeds written under {OUT}: {total} bytes", file=sys.stderr)
