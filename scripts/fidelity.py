#!/usr/bin/env python3
"""Fidelity in the numbers users read (issue 33, item 4): map and refine mode against a
network-mode reference, from their results folders (`semrob srvr ... --results DIR`).

    scripts/fidelity.py REFERENCE NAME=DIR [NAME=DIR ...] [--json FILE]

e.g. `scripts/fidelity.py out/reference map=out/fidelity-map refine=out/fidelity-refine`.
Every folder holds `report.json` and `jobs/`; only the (network, class) cells and the jobs
that the reference has finished are compared, so a reference finished in pieces can be
read at any point (the tables say how many jobs each side holds).

Per network: SRVR of the reference and of each mode, the difference in points of Ω, and the
reference's own noise (its budget sensitivity: SRVR at the cap minus SRVR from each run's box
at 80 % of the cap, `settling` in its report). Goal: |difference| ≤ max(1 point, noise).
Per class: the difference (goal ≤ 3 points) and the ranking of classes by SRVR (Kendall's
τ-b between the reference and the mode; with several networks also the networks' ranking).
Per method: the same differences for each method's runs alone (which method a class's
difference comes from). Per run, as a diagnostic: IoU of the boxes of the same (network, shape, method, start), where
two boxes both under 1e-4 of Ω count as agreement (IoU 1), since the IoU of two specks
measures jitter.

Standard library only. Prints markdown.
"""

import argparse
import json
import math
import sys
from pathlib import Path

TINY = 1e-4
NETWORK_POINTS = 1.0
CLASS_POINTS = 3.0


def load(folder):
    folder = Path(folder)
    report_path = folder / "report.json"
    if not report_path.is_file():
        sys.exit(f"{folder}: no report.json (run `semrob srvr ... --results {folder}` first)")
    report = json.loads(report_path.read_text())
    runs = {}
    for path in sorted((folder / "jobs").rglob("*.json")):
        job = json.loads(path.read_text())
        key = job.get("job")
        if not isinstance(key, dict) or "runs" not in job:
            continue
        for run in job["runs"]:
            runs[(key["network"], key["class"], key["shape"], run["method"], tuple(run["init"]))] = run
    return report, runs


def cells(report):
    """{network: (srvr, noise, {class: srvr})}; classes without a value are left out."""
    out = {}
    for n in report["networks"]:
        settling = n.get("settling") or {}
        noise = settling.get("budget_sensitivity")
        classes = {c["class"]: c["srvr"] for c in n["classes"] if c.get("srvr") is not None}
        out[n["network"]] = (n.get("srvr"), noise, classes)
    return out


def kendall_tau_b(xs, ys):
    """Kendall's τ-b of paired values (ties counted as in τ-b); None below 2 pairs."""
    n = len(xs)
    if n < 2:
        return None
    concordant = discordant = ties_x = ties_y = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx = xs[i] - xs[j]
            dy = ys[i] - ys[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif (dx > 0) == (dy > 0):
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt((concordant + discordant + ties_x) * (concordant + discordant + ties_y))
    return None if denominator == 0 else (concordant - discordant) / denominator


def iou(a, b):
    inter = union_a = union_b = 1.0
    for lo_a, hi_a, lo_b, hi_b in zip(a["lower"], a["upper"], b["lower"], b["upper"]):
        inter *= max(0.0, min(hi_a, hi_b) - max(lo_a, lo_b))
        union_a *= hi_a - lo_a
        union_b *= hi_b - lo_b
    union = union_a + union_b - inter
    return inter / union if union > 0 else 1.0


def run_agreement(reference_runs, mode_runs, network):
    values, tiny_pairs = [], 0
    for key, ref in reference_runs.items():
        if key[0] != network:
            continue
        other = mode_runs.get(key)
        if other is None:
            continue
        if ref["volume_ratio"] < TINY and other["volume_ratio"] < TINY:
            tiny_pairs += 1
            values.append(1.0)
        else:
            values.append(iou(ref, other))
    values.sort()
    if not values:
        return {"pairs": 0}
    return {
        "pairs": len(values),
        "both_tiny": tiny_pairs,
        "mean_iou": sum(values) / len(values),
        "p10_iou": values[int(0.1 * (len(values) - 1))],
        "min_iou": values[0],
    }


def by_method(reference_runs, mode_runs, network):
    """Per method: the mean box share of the runs both sides hold, per class and over all
    (a class's SRVR is the mean of its runs' shares, over methods, shapes and starts), and the
    runs' mean IoU: which method the differences come from."""
    out = {}
    for key, ref in reference_runs.items():
        other = mode_runs.get(key)
        if key[0] != network or other is None:
            continue
        m = out.setdefault(key[3], {"classes": {}, "ious": []})
        c = m["classes"].setdefault(key[1], [0.0, 0.0, 0])
        c[0] += ref["volume_ratio"]
        c[1] += other["volume_ratio"]
        c[2] += 1
        tiny = ref["volume_ratio"] < TINY and other["volume_ratio"] < TINY
        m["ious"].append(1.0 if tiny else iou(ref, other))
    result = {}
    for method, m in sorted(out.items()):
        classes = {c: (r / k, o / k) for c, (r, o, k) in m["classes"].items()}
        worst = max(classes, key=lambda c: abs(classes[c][1] - classes[c][0]))
        result[method] = {
            "reference": sum(r for r, _ in classes.values()) / len(classes),
            "mode": sum(o for _, o in classes.values()) / len(classes),
            "per_class_points": {c: 100 * (o - r) for c, (r, o) in classes.items()},
            "largest_class": worst,
            "largest_class_points": 100 * (classes[worst][1] - classes[worst][0]),
            "mean_iou": sum(m["ious"]) / len(m["ious"]),
            "kendall_tau_classes": kendall_tau_b([r for r, _ in classes.values()], [o for _, o in classes.values()]),
        }
    return result


def compare(reference, name, mode):
    ref_report, ref_runs = reference
    report, runs = mode
    ref_cells, mode_cells = cells(ref_report), cells(report)
    networks = []
    for network, (ref_srvr, noise, ref_classes) in ref_cells.items():
        if network not in mode_cells:
            continue
        _, _, classes = mode_cells[network]
        common = sorted(set(ref_classes) & set(classes))
        # SRVR over the classes both sides hold (the mean over classes, as the report's).
        ref_mean = sum(ref_classes[c] for c in common) / len(common) if common else None
        mode_mean = sum(classes[c] for c in common) / len(common) if common else None
        per_class = {
            c: {"reference": ref_classes[c], name: classes[c], "points": 100 * (classes[c] - ref_classes[c])}
            for c in common
        }
        diff = None if ref_mean is None else 100 * (mode_mean - ref_mean)
        allowed = max(NETWORK_POINTS, 100 * abs(noise)) if noise is not None else NETWORK_POINTS
        networks.append({
            "network": network,
            "classes": len(common),
            "reference_srvr": ref_mean,
            "srvr": mode_mean,
            "points": diff,
            "reference_noise_points": None if noise is None else 100 * noise,
            "network_goal": diff is not None and abs(diff) <= allowed,
            "class_goal": all(abs(v["points"]) <= CLASS_POINTS for v in per_class.values()),
            "kendall_tau_classes": kendall_tau_b([ref_classes[c] for c in common], [classes[c] for c in common]),
            "per_class": per_class,
            "runs": run_agreement(ref_runs, runs, network),
            "methods": by_method(ref_runs, runs, network),
        })
    tau_networks = kendall_tau_b(
        [n["reference_srvr"] for n in networks if n["srvr"] is not None],
        [n["srvr"] for n in networks if n["srvr"] is not None],
    )
    return {
        "mode": name,
        "reference_jobs": ref_report.get("jobs_done"),
        "jobs": report.get("jobs_done"),
        "networks": networks,
        "kendall_tau_networks": tau_networks,
    }


def pct(x):
    return "n/a" if x is None else f"{100 * x:.2f}"


def signed(x):
    return "n/a" if x is None else f"{x:+.2f}"


def num(x):
    return "n/a" if x is None else f"{x:.3f}"


def markdown(results):
    lines = [
        "| mode | network | classes | reference SRVR % | mode SRVR % | Δ points | reference noise | "
        "≤ max(1, noise) | every class ≤ 3 points | Kendall τ (classes) | runs | mean IoU | "
        "10th pct IoU | both tiny |",
        "|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for n in r["networks"]:
            runs = n["runs"]
            lines.append(
                f"| {r['mode']} | {n['network']} | {n['classes']} | {pct(n['reference_srvr'])} | "
                f"{pct(n['srvr'])} | {signed(n['points'])} | {signed(n['reference_noise_points'])} | "
                f"{'yes' if n['network_goal'] else 'no'} | {'yes' if n['class_goal'] else 'no'} | "
                f"{num(n['kendall_tau_classes'])} | {runs.get('pairs', 0)} | {num(runs.get('mean_iou'))} | "
                f"{num(runs.get('p10_iou'))} | {runs.get('both_tiny', 0)} |"
            )
    lines.append("")
    for r in results:
        if r["kendall_tau_networks"] is not None:
            lines.append(f"Ranking of the networks by SRVR, {r['mode']} against the reference: "
                         f"Kendall τ {r['kendall_tau_networks']:.3f}.")
    lines.append("")
    lines.append("Per class (SRVR % of Ω, reference → mode, Δ points):")
    lines.append("")
    for r in results:
        for n in r["networks"]:
            cells = ", ".join(
                f"{c} {pct(v['reference'])} → {pct(v[r['mode']])} ({v['points']:+.2f})"
                for c, v in n["per_class"].items()
            )
            lines.append(f"- {r['mode']}, {n['network']}: {cells}")
    lines.append("")
    lines.append("Per method (the mean box share of each method's runs, % of Ω, over the classes "
                 "both sides hold; the class it differs most in):")
    lines.append("")
    lines.append("| mode | network | method | reference % | mode % | Δ points | largest class Δ | Kendall τ (classes) | mean IoU |")
    lines.append("|---|---|---|---:|---:|---:|---|---:|---:|")
    for r in results:
        for n in r["networks"]:
            for method, m in n["methods"].items():
                lines.append(
                    f"| {r['mode']} | {n['network']} | {method} | {pct(m['reference'])} | {pct(m['mode'])} | "
                    f"{signed(100 * (m['mode'] - m['reference']))} | {m['largest_class']} "
                    f"{m['largest_class_points']:+.2f} | {num(m['kendall_tau_classes'])} | {num(m['mean_iou'])} |"
                )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reference", help="results folder of the network-mode reference")
    parser.add_argument("modes", nargs="+", help="NAME=DIR: a results folder to compare with it")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()
    reference = load(args.reference)
    results = []
    for spec in args.modes:
        name, sep, folder = spec.partition("=")
        if not sep or not name or not folder:
            sys.exit(f"{spec!r}: expected NAME=DIR")
        results.append(compare(reference, name, load(folder)))
    print(markdown(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
