#!/usr/bin/env python3
"""Sweep the rest rule's settings on a folder of maps (issue 33, item 1).

For every learning rate η, cap (iterations), rest window W and rest tolerance (and the paper's
fixed budget, no rest rule), runs

    target/release/semrob srvr grids DIR --format json --eta η --iterations CAP \
        [--rest-window W --rest-tolerance TOL]

(all three methods, the paper's four starts, the folder's default acceptance rule) and reads
from each report, per network and per method: SRVR at the cap, the share of runs at rest and
the budget sensitivity (SRVR at the cap minus SRVR from each run's box at 80 % of the cap, in
points of Ω; the report's `settling`). Prints a markdown table; `--json FILE` keeps every
figure.

    scripts/rest-sweep.py DIR [--eta 0.1 --eta 0.4] [--caps 800,1600,3200]
                              [--windows 10,20,50,100] [--tolerances 1e-4,1e-3,1e-2]
                              [--json out/rest-sweep.json]

Standard library only; build the binary first (cargo build --release).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

GOAL_POINTS = 0.3
# How far a setting's SRVR may lie from the settled reference (the fixed budget at the largest
# cap and η of the sweep) and still count as the same figure: issue 33's fidelity tolerance.
SAME_POINTS = 1.0
BINARY = Path(__file__).resolve().parent.parent / "target" / "release" / "semrob"


def numbers(text, kind):
    return [kind(x) for x in text.split(",") if x]


def run(folder, eta, cap, window, tol):
    cmd = [str(BINARY), "srvr", "grids", str(folder), "--format", "json",
           "--eta", str(eta), "--iterations", str(cap)]
    if window is not None:
        cmd += ["--rest-window", str(window), "--rest-tolerance", str(tol)]
    start = time.monotonic()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.monotonic() - start
    report = json.loads(out.stdout)

    def figures(item):
        s = item.get("settling")
        if s is None:
            sys.exit(f"{' '.join(cmd)}: the report has no `settling` (an old binary?)")
        return {
            "runs": s["runs"],
            "at_rest": s["at_rest"],
            "hit_cap": s["hit_cap"],
            "srvr": s["srvr"],
            "srvr_at_80": s["srvr_at_80"],
            "points": None if s["budget_sensitivity"] is None else 100 * s["budget_sensitivity"],
        }

    return {
        "eta": eta, "cap": cap, "window": window, "tolerance": tol, "wall_s": wall,
        "command": " ".join(cmd[1:]),
        "networks": {n["network"]: figures(n) for n in report["networks"]},
        "methods": {m["method"]: figures(m) for m in report["methods"]},
    }


def share(f):
    return 100.0 * f["at_rest"] / f["runs"] if f["runs"] else 0.0


def cell(f):
    """SRVR % of Ω, its budget sensitivity in points, and the share at rest."""
    srvr = "n/a" if f["srvr"] is None else f"{100 * f['srvr']:.2f}"
    pts = "n/a" if f["points"] is None else f"{f['points']:+.2f}"
    return f"{srvr} ({pts}; {share(f):.0f} %)"


def reference(rows):
    """The fixed-budget row with the largest η, then the largest cap: the settled SRVR."""
    fixed = [r for r in rows if r["window"] is None]
    return max(fixed, key=lambda r: (r["eta"], r["cap"])) if fixed else None


def lost(r, ref):
    """The largest distance over networks between r's SRVR and the reference's, in points."""
    return max(abs(100 * ((f["srvr"] or 0.0) - (ref["networks"][n]["srvr"] or 0.0)))
               for n, f in r["networks"].items())


def table(rows):
    ref = reference(rows)
    nets = sorted({n for r in rows for n in r["networks"]})
    methods = [m for m in ("naive", "oir-b", "oir-w") if any(m in r["methods"] for r in rows)]
    head = (["η", "cap", "W", "tol", "wall s", "max abs Δ (pts)", "max off the reference (pts)"]
            + [f"{n}: SRVR (Δ; at rest)" for n in nets]
            + [f"{m}: Δ; at rest" for m in methods])
    out = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        worst = max(abs(f["points"] or 0.0) for f in r["networks"].values())
        off = lost(r, ref)
        mark = " ✓" if worst <= GOAL_POINTS and off <= SAME_POINTS else ""
        cells = [
            f"{r['eta']:g}", str(r["cap"]),
            "off" if r["window"] is None else str(r["window"]),
            "–" if r["tolerance"] is None else f"{r['tolerance']:g}",
            f"{r['wall_s']:.1f}", f"{worst:.2f}{mark}", f"{off:.2f}",
        ]
        cells += [cell(r["networks"][n]) if n in r["networks"] else "–" for n in nets]
        for m in methods:
            f = r["methods"].get(m)
            cells.append("–" if f is None else
                         f"{f['points']:+.2f}; {share(f):.0f} %" if f["points"] is not None else "n/a")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path, nargs="?")
    p.add_argument("--eta", type=float, action="append")
    p.add_argument("--caps", default="800,1600,3200")
    p.add_argument("--windows", default="10,20,50,100")
    p.add_argument("--tolerances", default="1e-4,1e-3,1e-2")
    p.add_argument("--json", type=Path)
    p.add_argument("--table", type=Path, help="only print the table of a --json file")
    a = p.parse_args()
    if a.table:
        rows = json.loads(a.table.read_text())
        report(rows)
        return
    if a.folder is None:
        p.error("give a folder of maps (or --table FILE)")
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: cargo build --release")
    rows = []
    for eta in a.eta or [0.1]:
        for cap in numbers(a.caps, int):
            settings = [(None, None)] + [(w, t) for w in numbers(a.windows, int)
                                         for t in numbers(a.tolerances, float) if w <= cap]
            for w, t in settings:
                r = run(a.folder, eta, cap, w, t)
                rows.append(r)
                print(f"η {eta:g} cap {cap} W {w} tol {t}: {r['wall_s']:.1f} s", file=sys.stderr)
                if a.json:
                    a.json.parent.mkdir(parents=True, exist_ok=True)
                    a.json.write_text(json.dumps(rows, indent=1))
    report(rows)


def report(rows):
    ref = reference(rows)
    print(f"Cells: SRVR at the cap in % of Ω (Δ: SRVR at the cap minus SRVR at 80 % of it, "
          f"points of Ω; share of runs at rest). Reference: the fixed budget at η {ref['eta']:g}, "
          f"{ref['cap']} steps. ✓: every network within {GOAL_POINTS} points between the cap and "
          f"80 % of it, and within {SAME_POINTS} point of the reference (a rule that stops runs "
          f"early has Δ = 0 too).\n")
    print(table(rows))


if __name__ == "__main__":
    main()
