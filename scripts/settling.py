#!/usr/bin/env python3
"""Why runs did not come to rest (issue 33): the runs of a results folder that hit the cap,
read from their traces (`traces/` of `semrob srvr ... --results DIR`).

    scripts/settling.py DIR [--window 100] [--replay 1e-3,3e-3,1e-2,3e-2] [--json FILE]

For every run that used up its cap, over the last `window` steps of its trace:
* path / net: the distance its bounds travelled (sum of |step| over bounds and steps) over
  their net displacement (sum over bounds of |last − first|). 1 when every bound moves one
  way; large when bounds go back and forth;
* side range: the largest range (max − min over the window) of a side over its smallest
  value in the window (the rest rule's side condition asks ≤ its tolerance);
* bound range: the largest range of a bound over the window, in % of its axis' length (the
  rest rule's axis condition asks ≤ its tolerance, in parts of the axis);
and a verdict: `oscillating` (path / net ≥ 3: the box goes back and forth), `growing` (a side
ranges over more than 1 % of itself, one way), `creeping` (anything slower). Per method it prints the
runs at the cap and their verdicts, and the worst run of each verdict. A run that came to
rest is not read.

`--replay TOLS` replays the rest rule (docs/method.md §3: over the last W steps every bound's
range ≤ tol × its axis' length and every side's range ≤ tol × its smallest value in the
window) on every run's trace at each tolerance, and prints per method how many runs it would
have stopped by the cap, the mean step it stops them at, and the mean |change| of the volume
ratio from that box to the run's last box (points of Ω): what a looser tolerance would give
up. Runs are replayed on their traces as recorded; a real run stopped earlier would not
have taken the later steps, so this reads the rule, not a rerun.

Standard library only. Prints markdown.
"""

import argparse
import json
import sys
from pathlib import Path


# semrob's default domain of each parameter (SemanticParam::default_domain), for an axis
# given by its name alone.
DEFAULT_DOMAINS = {"azimuth": (0.0, 360.0), "elevation": (-10.0, 90.0), "distance": (2.0, 4.0),
                   "light-azimuth": (0.0, 360.0), "light-elevation": (0.0, 90.0)}


def axis_length(spec):
    """The length of an axis `NAME[:LO:HI[:STEP]]` of a configuration's `axes`."""
    parts = spec.split(":")
    if len(parts) >= 3:
        return float(parts[2]) - float(parts[1])
    if parts[0] not in DEFAULT_DOMAINS:
        sys.exit(f"axis {spec!r}: no range and no default domain known")
    lo, hi = DEFAULT_DOMAINS[parts[0]]
    return hi - lo


def read_runs(folder):
    folder = Path(folder)
    stamp = json.loads((folder / "stamp.json").read_text())
    axes = stamp["config"].get("axes") or ["azimuth", "elevation"]
    lengths = [axis_length(a) for a in axes]
    for path in sorted((folder / "traces").rglob("*.json")):
        job = path.relative_to(folder / "traces").with_suffix("")
        for run in json.loads(path.read_text())["runs"]:
            yield str(job), run, lengths


def window_stats(trace, window, lengths):
    tail = trace[-(window + 1):]
    bounds = lambda s: s["lower"] + s["upper"]
    first, last = bounds(tail[0]), bounds(tail[-1])
    path = sum(
        abs(b - a)
        for s, t in zip(tail, tail[1:])
        for a, b in zip(bounds(s), bounds(t))
    )
    net = sum(abs(b - a) for a, b in zip(first, last))
    n = len(lengths)
    sides = [[s["upper"][k] - s["lower"][k] for s in tail] for k in range(n)]
    side_change = max((max(v) - min(v)) / max(min(v), 1e-300) for v in sides)
    values = [[bounds(s)[j] for s in tail] for j in range(2 * n)]
    travel = max((max(v) - min(v)) / lengths[j % n] * 100 for j, v in enumerate(values))
    ratio = path / net if net > 0 else (float("inf") if path > 0 else 1.0)
    return ratio, side_change, travel


def replay_rest(trace, window, lengths, tol):
    """The first step at which the rest rule holds over the last `window` steps, or None."""
    n = len(lengths)
    for t in range(window, len(trace)):
        win = trace[t - window:t + 1]
        ok = True
        for k in range(n):
            for key in ("lower", "upper"):
                v = [s[key][k] for s in win]
                if max(v) - min(v) > tol * lengths[k]:
                    ok = False
                    break
            if not ok:
                break
            sides = [s["upper"][k] - s["lower"][k] for s in win]
            if max(sides) - min(sides) > tol * min(sides):
                ok = False
                break
        if ok:
            return t
    return None


def volume_ratio(box, lengths):
    v = 1.0
    for k, length in enumerate(lengths):
        v *= (box["upper"][k] - box["lower"][k]) / length
    return v


def replay_table(folder, window, tolerances):
    rows = {}
    for _, run, lengths in read_runs(folder):
        trace = run.get("trace") or []
        if len(trace) < 2:
            continue
        for tol in tolerances:
            r = rows.setdefault((run["method"], tol), [0, 0, [], []])
            r[0] += 1
            t = replay_rest(trace, window, lengths, tol)
            if t is not None:
                r[1] += 1
                r[2].append(t)
                last = volume_ratio(trace[-1], lengths)
                r[3].append(abs(volume_ratio(trace[t], lengths) - last) * 100)
    print(f"\nThe rest rule replayed on the traces (W = {window}): runs it stops, the mean step "
          "it stops them at, and the mean |change| of their volume ratio from there to the "
          "run's last box.\n")
    print("| method | tolerance | runs | at rest by the cap | mean step | mean abs change (points of Ω) |")
    print("|---|---:|---:|---:|---:|---:|")
    for (method, tol), (runs, rested, steps, changes) in sorted(rows.items()):
        step = f"{sum(steps) / len(steps):.0f}" if steps else "–"
        change = f"{sum(changes) / len(changes):.3f}" if changes else "–"
        print(f"| {method} | {tol:g} | {runs} | {rested} ({100 * rested / runs:.0f} %) | "
              f"{step} | {change} |")


def verdict(ratio, side_change):
    if ratio >= 3:
        return "oscillating"
    if side_change > 0.01:
        return "growing"
    return "creeping"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--json")
    ap.add_argument("--replay", help="rest tolerances to replay the rule at, e.g. 1e-3,1e-2")
    args = ap.parse_args()
    rows = {}
    worst = {}
    records = []
    for job, run, lengths in read_runs(args.folder):
        method = run["method"]
        r = rows.setdefault(method, {"runs": 0, "cap": 0, "oscillating": 0, "growing": 0,
                                     "creeping": 0, "no trace": 0})
        r["runs"] += 1
        if not run.get("hit_cap"):
            continue
        r["cap"] += 1
        trace = run.get("trace") or []
        if len(trace) < 2:
            r["no trace"] += 1
            continue
        ratio, side_change, travel = window_stats(trace, args.window, lengths)
        v = verdict(ratio, side_change)
        r[v] += 1
        rec = {"job": job, "method": method, "init": run["init"], "verdict": v,
               "path_over_net": ratio, "side_range": side_change,
               "bound_range_pct": travel, "volume_ratio": run["volume_ratio"],
               "at_80_volume_ratio": (run.get("at_80") or {}).get("volume_ratio")}
        records.append(rec)
        key = (method, v)
        score = ratio if v == "oscillating" else side_change
        if key not in worst or score > worst[key][0]:
            worst[key] = (score, rec)
    if not rows:
        sys.exit(f"{args.folder}: no traces (run semrob srvr with traces kept)")
    print(f"Runs that hit the cap in {args.folder}, read over the last {args.window} steps of "
          "their traces.\n")
    print("| method | runs | hit the cap | oscillating | growing | creeping |")
    print("|---|---:|---:|---:|---:|---:|")
    for method, r in rows.items():
        print(f"| {method} | {r['runs']} | {r['cap']} | {r['oscillating']} | {r['growing']} "
              f"| {r['creeping']} |")
    print("\n| method | verdict | worst run (job, start) | path / net | side range | "
          "bound range (% of axis) | volume ratio at 80 % → cap |")
    print("|---|---|---|---:|---:|---:|---:|")
    for (method, v), (_, rec) in sorted(worst.items()):
        at80 = rec["at_80_volume_ratio"]
        at80 = "–" if at80 is None else f"{at80:.4f}"
        print(f"| {method} | {v} | {rec['job'].split('/')[1]} from {rec['init']} | "
              f"{rec['path_over_net']:.1f} | {rec['side_range']:.2e} | "
              f"{rec['bound_range_pct']:.3f} | {at80} → {rec['volume_ratio']:.4f} |")
    if args.replay:
        replay_table(args.folder, args.window, [float(x) for x in args.replay.split(",")])
    if args.json:
        Path(args.json).write_text(json.dumps({"window": args.window, "runs": records},
                                              indent=1))


if __name__ == "__main__":
    main()
