"""Converts the semantic maps Hamdi & Ghanem published with their code
(github.com/ajhamdi/semantic-robustness, `checkpoint/<network>/<class>/<shape>/map.pt`: 400
maps, 4 networks x 10 classes x 10 ShapeNet shapes) into a folder of `semrob.grid/1` maps
that `semrob srvr grids` and `semrob report` read:

    .venv-torch/bin/python scripts/python/paper_maps.py CHECKOUT/checkpoint OUT

Each map.pt is a pickled dict with `xx`, `yy`, `z` (34 x 120 arrays: elevation -10, -7, ...,
89 by azimuth 0, 3, ..., 357; `z` is the softmax score of the class's label), `class_nb`,
`shape_id` and `network_name`. The maps go to OUT/<network>/<class>/<shape_id>.json, the
class named from its index in the paper's class list (SPEC section 7). Needs torch (to
unpickle) and numpy; writes each file atomically and refuses a map whose grid is not the
paper's, naming the file.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

CLASSES = ["aeroplane", "bathtub", "bench", "bottle", "chair", "cup", "piano", "rifle",
           "vase", "toilet"]
LABELS = [404, 435, 703, 898, 559, 968, 579, 413, 883, 861]
AZIMUTH = np.arange(0, 360, 3)
ELEVATION = np.arange(-10, 90, 3)


def convert(path: Path) -> tuple[str, str, str, dict]:
    m = torch.load(path, weights_only=False, map_location="cpu")
    xx, yy, z = (np.asarray(m[k]) for k in ("xx", "yy", "z"))
    want = (len(ELEVATION), len(AZIMUTH))
    for name, a in (("xx", xx), ("yy", yy), ("z", z)):
        if a.shape != want:
            sys.exit(f"{path}: field {name} has shape {a.shape}, expected {want}")
    if not (np.array_equal(xx[0], AZIMUTH) and np.array_equal(yy[:, 0], ELEVATION)):
        sys.exit(f"{path}: fields xx/yy are not the paper's 3-degree grid")
    if not np.all(np.isfinite(z)) or z.min() < 0 or z.max() > 1:
        sys.exit(f"{path}: field z has values outside [0, 1]")
    k = int(m["class_nb"])
    network = str(m["network_name"])
    grid = {
        "format": "semrob.grid/1",
        "axes": [
            {"name": "azimuth", "unit": "deg", "period": 360.0, "domain": [0.0, 360.0],
             "values": [float(a) for a in AZIMUTH]},
            {"name": "elevation", "unit": "deg", "domain": [-10.0, 90.0],
             "values": [float(e) for e in ELEVATION]},
        ],
        # values[i][j]: azimuth i, elevation j (z is elevation-major).
        "values": z.T.astype(float).tolist(),
        "meta": {
            "source": "Hamdi & Ghanem's published map (semantic-robustness, checkpoint/)",
            "file": str(path),
            "network": network,
            "class": CLASSES[k],
            "label": LABELS[k],
            "shape": str(m["shape_id"]),
        },
    }
    return network, CLASSES[k], str(m["shape_id"]), grid


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, out = Path(sys.argv[1]), Path(sys.argv[2])
    files = sorted(root.glob("*/*/*/map.pt"))
    if not files:
        sys.exit(f"{root}: no <network>/<class>/<shape>/map.pt files")
    for f in files:
        network, cls, shape, grid = convert(f)
        target = out / network / cls / f"{shape}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(grid) + "\n")
        os.replace(tmp, target)
    print(f"{len(files)} maps -> {out}")


if __name__ == "__main__":
    main()
