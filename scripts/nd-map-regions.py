#!/usr/bin/env python3
"""Regions on the 3-D benchmark's maps under each run setting, and on their 2-D slices in the
paper's setting (issue 21; BENCHMARKS.md, "Regions in n dimensions").

    scripts/nd-map-regions.py RESULTS [SEMROB]

RESULTS is a results folder of configs/nd-lite0.toml (its maps/ are read); SEMROB the binary
(default target/debug/semrob). For every map and setting, `semrob regions grid` runs the three
methods from the benchmark's four starts for 200 steps; the table gives each method's mean
|D|/|Ω|, the mean share of the map's grid points inside a region that score below 0.1, and the
stop reasons. The 2-D rows slice each map at distance 2.5 and run the paper's setting
(native units, the ε start, the paper's steps).
"""
import glob
import itertools
import json
import os
import subprocess
import sys
import tempfile

STARTS = ["130,30,2.732", "50,20,2.732", "200,15,2.732", "310,50,2.732"]
SETTINGS = [
    ("paper", "0.4", []),
    ("unit, ε start, paper steps", "0.4", ["--coordinates", "unit"]),
    ("unit, 5 % start, paper steps", "0.4", ["--coordinates", "unit", "--start-half-width", "0.05"]),
    ("unit, 5 % start, paper steps", "0.1", ["--coordinates", "unit", "--start-half-width", "0.05"]),
    ("unit, 2 % start, paper steps", "0.1", ["--coordinates", "unit", "--start-half-width", "0.02"]),
    ("unit, ε start, dimension-free", "0.4", ["--coordinates", "unit", "--steps", "dimension-free"]),
    ("unit, ε start, dimension-free", "0.1", ["--coordinates", "unit", "--steps", "dimension-free"]),
    ("unit, 5 % start, dimension-free", "0.4",
     ["--coordinates", "unit", "--steps", "dimension-free", "--start-half-width", "0.05"]),
]


def flat(x):
    if isinstance(x, list):
        for y in x:
            yield from flat(y)
    else:
        yield x


def runs(binary, path, eta, extra, starts):
    args = [binary, "regions", "grid", path, "--eta", eta, "--iterations", "200", *extra]
    for s in starts:
        args += ["--init", s]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["runs"]


def summarise(label, eta, per_method):
    for method, rows in per_method.items():
        volume = sum(r[0] for r in rows) / len(rows)
        shares = [r[1] for r in rows if r[1] is not None]
        share = f"{sum(shares) / len(shares):.2f} ({len(shares)})" if shares else "– (0)"
        stops = {}
        for r in rows:
            stops[r[2]] = stops.get(r[2], 0) + 1
        stops = ", ".join(f"{k} {v}" for k, v in sorted(stops.items()))
        print(f"| {label} | {eta} | {method} | {volume:.3g} | {share} | {stops} |")


def main():
    results = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else "target/debug/semrob"
    maps = sorted(glob.glob(os.path.join(results, "maps", "*", "*", "*.json")))
    if not maps:
        sys.exit(f"no maps under {results}/maps")
    grids = [(p, json.load(open(p))) for p in maps]
    print("| setting | η | method | mean \\|D\\|/\\|Ω\\| | share < 0.1 inside (runs with points) | stops |")
    print("|---|---|---|---:|---:|---|")
    for label, eta, extra in SETTINGS:
        per_method = {}
        for path, g in grids:
            points = list(itertools.product(*[a["values"] for a in g["axes"]]))
            values = list(flat(g["values"]))
            for r in runs(binary, path, eta, extra, STARTS):
                inside = [v for p, v in zip(points, values)
                          if all(r["lower"][i] <= p[i] <= r["upper"][i] for i in range(len(p)))]
                share = sum(v < 0.1 for v in inside) / len(inside) if inside else None
                per_method.setdefault(r["method"], []).append((r["volume_ratio"], share, r["stop"]))
        summarise(f"3-D: {label}", eta, per_method)
    # The 2-D slice at distance 2.5, in the paper's setting.
    with tempfile.TemporaryDirectory() as tmp:
        for eta in ["0.4", "0.1"]:
            per_method = {}
            for path, g in grids:
                d = [round(v, 9) for v in g["axes"][2]["values"]].index(2.5)
                sliced = dict(g)
                sliced["axes"] = g["axes"][:2]
                sliced["values"] = [[column[d] for column in row] for row in g["values"]]
                out = os.path.join(tmp, os.path.basename(path))
                json.dump(sliced, open(out, "w"))
                points = list(itertools.product(*[a["values"] for a in sliced["axes"]]))
                values = list(flat(sliced["values"]))
                for r in runs(binary, out, eta, [], [s.rsplit(",", 1)[0] for s in STARTS]):
                    inside = [v for p, v in zip(points, values)
                              if all(r["lower"][i] <= p[i] <= r["upper"][i] for i in range(2))]
                    share = sum(v < 0.1 for v in inside) / len(inside) if inside else None
                    per_method.setdefault(r["method"], []).append((r["volume_ratio"], share, r["stop"]))
            summarise("2-D slice at distance 2.5: paper", eta, per_method)


if __name__ == "__main__":
    main()
