"""Map mode against network mode (SPEC §5, issue 9): compares two `semrob srvr` results
folders of the same configuration (configs/agreement.toml), one run with `--regions map` and
one with `--regions network`, region run by region run.

For every job present and finished in both folders, and every run (method, start) of it:
the IoU of the two boxes (intersection volume over union volume, in the parameters' units)
and the difference of their volume ratios |D|/|Ω|. Per folder, the SRVR the way the report
computes it (the mean, over shapes, of the mean volume ratio of the shape's runs), over every
compared shape and over the shapes whose mean map score passes the acceptance threshold.

Usage: python3 scripts/python/agreement.py MAP_DIR NETWORK_DIR [SIDE:JOB=REGIONS.json ...] [--json]
  net:JOB=REGIONS.json  network-mode regions of a job from `semrob regions mesh MESH --out`
                        (same network, label, axes and hyper-parameters as the configuration);
                        several files of one job (one per method) join.
  map:JOB=REGIONS.json  map-mode regions of a job from `semrob regions grid MAP --out`, which
                        replace the map folder's runs of that job (e.g. grown on a map computed
                        on the same device as the network-mode runs).
  JOB is the job's key in the folders (`<network>/<class>/<shape>`); the map folder's job
  gives its mean score.
Only runs present on both sides are compared, and the SRVR of each side is taken over those
runs alone.
Standard library only.
"""

import json
import signal
import statistics
import sys
from pathlib import Path


def jobs(root):
    out = {}
    for path in sorted((Path(root) / "jobs").rglob("*.json")):
        r = json.loads(path.read_text())
        out[path.relative_to(Path(root) / "jobs").as_posix()] = r
    return out


def volume(lo, hi):
    v = 1.0
    for a, b in zip(lo, hi):
        v *= max(0.0, b - a)
    return v


def iou(a, b):
    inter = volume([max(x, y) for x, y in zip(a["lower"], b["lower"])],
                   [min(x, y) for x, y in zip(a["upper"], b["upper"])])
    union = volume(a["lower"], a["upper"]) + volume(b["lower"], b["upper"]) - inter
    return None if union <= 0.0 else inter / union


def mode_of(root):
    stamp = json.loads((Path(root) / "stamp.json").read_text())
    return stamp["config"].get("regions", "network"), stamp["config_hash"], stamp["config"]


def summary(values):
    if not values:
        return None
    values = sorted(values)
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "median": statistics.median(values),
        "min": values[0],
        "p10": values[int(0.1 * (len(values) - 1))],
    }


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) < 2:
        sys.exit(__doc__)
    map_dir, net_dir, extra = args[0], args[1], args[2:]
    (m_mode, _, m_cfg), (n_mode, _, n_cfg) = mode_of(map_dir), mode_of(net_dir)
    if (m_mode, n_mode) != ("map", "network"):
        sys.exit(f"expected a map-mode and a network-mode folder, got {m_mode!r} and {n_mode!r}")
    strip = lambda c: {k: v for k, v in c.items() if k != "regions"}
    if strip(m_cfg) != strip(n_cfg):
        sys.exit("the two folders were run from different configurations (beyond `regions`)")
    threshold = m_cfg.get("acceptance", {}).get("min_mean_score", 0.1)
    a, b = jobs(map_dir), jobs(net_dir)
    added = {"map": set(), "net": set()}
    for pair in extra:
        side, _, rest = pair.partition(":")
        key, _, path = rest.partition("=")
        key = key if key.endswith(".json") else key + ".json"
        if side not in added or key not in a or not path:
            sys.exit(f"{pair}: expected map:JOB=FILE or net:JOB=FILE with JOB a job of {map_dir}")
        r = json.loads(Path(path).read_text())
        if r.get("adversarial"):
            sys.exit(f"{path}: adversarial regions")
        fn = r.get("function")
        if fn is not None and fn["label"] != a[key]["label"]:
            sys.exit(f"{path}: label {fn['label']}, not {a[key]['label']} as {key} of {map_dir}")
        if "axes" in r and r["axes"] != [x.split(":")[0] for x in m_cfg["axes"]]:
            sys.exit(f"{path}: axes {r['axes']}, not those of the configuration {m_cfg['axes']}")
        # Ω: `{"lower", "upper"}` (or `[lower, upper]` from semrob before 2026-11-30).
        d = r.get("domain")
        lower, upper = (d["lower"], d["upper"]) if isinstance(d, dict) else (d[0], d[1])
        want = [[float(x.split(":")[i]) for x in m_cfg["axes"]] for i in (1, 2)]
        if [lower, upper] != want:
            sys.exit(f"{path}: domain {[lower, upper]}, not the configuration's {want}")
        target = a if side == "map" else b
        if key in added[side]:
            target[key]["runs"].extend(r["runs"])
        else:
            base = {"mean_score": a[key]["mean_score"], "label": a[key]["label"]}
            target[key] = {**base, "runs": list(r["runs"])}
            added[side].add(key)
    common = [k for k in a if k in b]
    rows, ious, diffs = [], {}, {}
    srvr = {"map": {"all": [], "accepted": []}, "network": {"all": [], "accepted": []}}
    for key in common:
        ja, jb = a[key], b[key]
        runs_a = {(r["method"], tuple(r["init"])): r for r in ja["runs"]}
        runs_b = {(r["method"], tuple(r["init"])): r for r in jb["runs"]}
        # The acceptance decision of the map, the same data in both modes.
        accepted = ja["mean_score"] >= threshold
        paired = sorted(runs_a.keys() & runs_b.keys())
        for mode, runs in (("map", runs_a), ("network", runs_b)):
            if paired:
                mean = statistics.fmean(runs[k]["volume_ratio"] for k in paired)
                srvr[mode]["all"].append(mean)
                if accepted:
                    srvr[mode]["accepted"].append(mean)
        for run_key in paired:
            ra, rb = runs_a[run_key], runs_b[run_key]
            v = iou(ra, rb)
            d = ra["volume_ratio"] - rb["volume_ratio"]
            method = run_key[0]
            if v is not None:
                ious.setdefault(method, []).append(v)
                ious.setdefault("all", []).append(v)
            diffs.setdefault(method, []).append(abs(d))
            diffs.setdefault("all", []).append(abs(d))
            rows.append({
                "job": key, "accepted": accepted, "mean_score": ja["mean_score"],
                "method": method, "init": list(run_key[1]), "iou": v,
                "map": {"lower": ra["lower"], "upper": ra["upper"], "ratio": ra["volume_ratio"],
                        "stop": ra["stop"]},
                "network": {"lower": rb["lower"], "upper": rb["upper"],
                            "ratio": rb["volume_ratio"], "stop": rb["stop"]},
            })
    acc_ious = [r["iou"] for r in rows if r["accepted"] and r["iou"] is not None]
    out = {
        "jobs_compared": len(common),
        "jobs_only_map": len(a) - len(common),
        "runs_compared": len(rows),
        "runs_both_empty": sum(r["iou"] is None for r in rows),
        "iou": {k: summary(v) for k, v in ious.items()},
        "iou_accepted_shapes": summary(acc_ious),
        "abs_ratio_diff": {k: summary(v) for k, v in diffs.items()},
        "srvr": {mode: {k: (statistics.fmean(v) if v else None) for k, v in s.items()}
                 for mode, s in srvr.items()},
        "shapes_accepted": len(srvr["network"]["accepted"]),
        "threshold": threshold,
        "runs": rows,
    }
    if "--json" in sys.argv:
        print(json.dumps(out, indent=1))
        return
    print(f"{out['jobs_compared']} jobs in both folders ({out['shapes_accepted']} with mean "
          f"score ≥ {threshold}), {out['runs_compared']} runs, "
          f"{out['runs_both_empty']} with both boxes empty")
    for k, s in sorted(out["iou"].items()):
        print(f"IoU {k:6}: mean {s['mean']:.3f}  median {s['median']:.3f}  p10 {s['p10']:.3f}  "
              f"min {s['min']:.3f}  (n={s['n']})")
    s = out["iou_accepted_shapes"]
    if s:
        print(f"IoU on accepted shapes: mean {s['mean']:.3f}  median {s['median']:.3f}  "
              f"min {s['min']:.3f}  (n={s['n']})")
    for k, s in sorted(out["abs_ratio_diff"].items()):
        print(f"|Δ volume ratio| {k:6}: mean {s['mean']:.4f}  max {max(abs(r['map']['ratio'] - r['network']['ratio']) for r in rows if k in ('all', r['method'])):.4f}")
    for mode, s in out["srvr"].items():
        fmt = lambda x: "-" if x is None else f"{100 * x:.2f} %"
        print(f"SRVR {mode:8}: all compared shapes {fmt(s['all'])}, accepted {fmt(s['accepted'])}")
    print("worst runs (lowest IoU):")
    for r in sorted((r for r in rows if r["iou"] is not None), key=lambda r: r["iou"])[:8]:
        print(f"  {r['job']} {r['method']} from {r['init']}: IoU {r['iou']:.3f}, ratio map "
              f"{r['map']['ratio']:.4f} ({r['map']['stop']}) vs network {r['network']['ratio']:.4f} "
              f"({r['network']['stop']}), score {r['mean_score']:.3f}")


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the output quietly
    main()
