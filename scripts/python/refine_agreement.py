"""Refine mode against network mode (SPEC §5, issue 19): compares a `semrob srvr` results
folder run with `regions = "refine"` (benchmarks/agreement/refine.toml) with the network-mode
runs committed in benchmarks/agreement/ (the same jobs, methods, starts and hyper-parameters),
run by run, at several budgets of network steps.

A refine run with budget K is read off the longest run's trace: its box after k ≤ K network
steps is the trace's box at map steps + k (or its final box when it stopped before), and its
renders are k times its renders per step. k = 0 is map mode on the job's own map.

For every budget and method: the IoU of the two boxes (mean, median, 10th percentile, min),
|Δ| of |D|/|Ω| (mean, largest), the SRVR of each side over the compared runs (all shapes and
the accepted ones), and the renders of refine mode (the job's map included) as a share of
network mode's (the same map included).

Usage: python3 scripts/python/refine_agreement.py REFINE_DIR[,REFINE_DIR...] NETWORK_DIR
                     [net:JOB=REGIONS.json ...] [--budgets 0,25,50,100,200] [--json]
  REFINE_DIR: refine-mode results folders of the same setting (they may differ in their
  `refine_steps` and their jobs); a budget is compared on the jobs of the folders whose
  `refine_steps` reach it, and the table says on how many runs.
  NETWORK_DIR: a network-mode results folder; net:JOB=FILE adds network-mode regions of a job
  from `semrob regions mesh MESH --out` (as scripts/python/agreement.py takes them).
Standard library only.
"""

import json
import signal
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from agreement import iou, jobs, mode_of, summary  # noqa: E402


def traces(root, key):
    path = Path(root) / "traces" / key
    return json.loads(path.read_text())["runs"]


def refine_folders(spec, net_cfg):
    """Every job of the refine folders: key → (folder, its refine_steps, job file)."""
    out = {}
    for root in spec.split(","):
        mode, _, cfg = mode_of(root)
        if mode != "refine":
            sys.exit(f"{root}: a {mode!r}-mode folder, expected refine mode")
        for key in ("axes", "methods", "hyper", "render", "starts"):
            if cfg.get(key) != net_cfg.get(key):
                sys.exit(f"{root} and the network-mode folder differ in `{key}`")
        for key, job in jobs(root).items():
            if key in out:
                sys.exit(f"job {key} is in two refine folders")
            out[key] = (root, cfg["refine_steps"], job,
                        cfg.get("acceptance", {}).get("min_mean_score", 0.1))
    return out


def at_budget(run, k, n):
    """The box and renders of a refine run cut at k network steps."""
    stage = run["map_stage"]
    steps = run["iterations"]
    per_step_points = run["evaluations"] / steps
    per_step_grads = run["gradient_evaluations"] / steps
    taken = min(k, steps)
    if k < steps:
        box = run["trace"][stage["iterations"] + k]
        lower, upper = box["lower"], box["upper"]
    else:
        lower, upper = run["lower"], run["upper"]
    renders = taken * (per_step_points + 2 * n * per_step_grads)
    return lower, upper, renders


def network_renders(run):
    return run["evaluations"] + 2 * len(run["init"]) * run["gradient_evaluations"]


def main():
    argv = sys.argv[1:]
    budgets = [0, 25, 50, 100, 200]
    if "--budgets" in argv:
        i = argv.index("--budgets")
        budgets = [int(x) for x in argv[i + 1].split(",")]
        del argv[i:i + 2]
    args = [a for a in argv if not a.startswith("--")]
    if len(args) < 2:
        sys.exit(__doc__)
    refine_spec, net_dir, extra = args[0], args[1], args[2:]
    n_mode, _, n_cfg = mode_of(net_dir)
    if n_mode != "network":
        sys.exit(f"{net_dir}: a {n_mode!r}-mode folder, expected network mode")
    folders = refine_folders(refine_spec, n_cfg)
    thresholds = {t for (_, _, _, t) in folders.values()}
    if len(thresholds) != 1:
        sys.exit("the refine folders differ in their acceptance threshold")
    threshold = thresholds.pop()
    a = {k: job for k, (_, _, job, _) in folders.items()}
    b = jobs(net_dir)
    for pair in extra:
        side, _, rest = pair.partition(":")
        key, _, path = rest.partition("=")
        key = key if key.endswith(".json") else key + ".json"
        if side != "net" or key not in a or not path:
            sys.exit(f"{pair}: expected net:JOB=FILE with JOB a job of the refine folders")
        r = json.loads(Path(path).read_text())
        fn = r.get("function")
        if fn is not None and fn["label"] != a[key]["label"]:
            sys.exit(f"{path}: label {fn['label']}, not {a[key]['label']}")
        b.setdefault(key, {"runs": []})
        b[key]["runs"].extend(r["runs"])
    common = [k for k in a if k in b and a[k]["runs"]]
    out = {"jobs_compared": len(common), "threshold": threshold, "budgets": {}}
    for k in budgets:
        ious, diffs = {}, {}
        srvr = {"refine": {"all": [], "accepted": []}, "network": {"all": [], "accepted": []}}
        renders = {"refine": 0.0, "network": 0.0}
        renders_by = {}
        runs_out = []
        for key in common:
            root, top, _, _ = folders[key]
            if k > top:
                continue
            ja, jb = a[key], b[key]
            full = {(r["method"], tuple(r["init"])): r for r in traces(root, key)}
            runs_b = {(r["method"], tuple(r["init"])): r for r in jb["runs"]}
            paired = sorted(full.keys() & runs_b.keys())
            if not paired:
                continue
            accepted = ja["mean_score"] >= threshold
            ratios = {"refine": [], "network": []}
            # The map is part of both modes' cost (network mode samples it for acceptance).
            renders["refine"] += ja["map_points"]
            renders["network"] += ja["map_points"]
            for run_key in paired:
                ra, rb = full[run_key], runs_b[run_key]
                n = len(ra["init"])
                lower, upper, spent = at_budget(ra, k, n)
                omega = ra["volume"] / ra["volume_ratio"]
                vol = 1.0
                for lo, hi in zip(lower, upper):
                    vol *= hi - lo
                ratio = vol / omega
                v = iou({"lower": lower, "upper": upper}, rb)
                method = run_key[0]
                if v is not None:
                    ious.setdefault(method, []).append(v)
                    ious.setdefault("all", []).append(v)
                d = abs(ratio - rb["volume_ratio"])
                diffs.setdefault(method, []).append(d)
                diffs.setdefault("all", []).append(d)
                ratios["refine"].append(ratio)
                ratios["network"].append(rb["volume_ratio"])
                renders["refine"] += spent
                renders["network"] += network_renders(rb)
                by = renders_by.setdefault(method, {"refine": 0.0, "network": 0.0})
                by["refine"] += spent
                by["network"] += network_renders(rb)
                runs_out.append({"job": key, "method": method, "init": list(run_key[1]),
                                 "iou": v, "refine_ratio": ratio,
                                 "network_ratio": rb["volume_ratio"]})
            for side in ("refine", "network"):
                m = statistics.fmean(ratios[side])
                srvr[side]["all"].append(m)
                if accepted:
                    srvr[side]["accepted"].append(m)
        out["budgets"][str(k)] = {
            "runs_compared": len(runs_out),
            "jobs_compared": len({r["job"] for r in runs_out}),
            "iou": {m: summary(v) for m, v in ious.items()},
            "abs_ratio_diff": {m: {**summary(v), "max": max(v)} for m, v in diffs.items()},
            "srvr": {s: {g: (statistics.fmean(v) if v else None) for g, v in x.items()}
                     for s, x in srvr.items()},
            "render_share": renders["refine"] / renders["network"] if renders["network"] else None,
            "render_share_by_method": {m: x["refine"] / x["network"] for m, x in renders_by.items()},
            "runs": runs_out,
        }
    if "--json" in sys.argv:
        print(json.dumps(out, indent=1))
        return
    print(f"{out['jobs_compared']} jobs in the refine folders {refine_spec} and network mode")
    print("| network steps | method | runs (jobs) | IoU mean | IoU median | IoU p10 | IoU min | "
          "mean |Δ| | largest |Δ| | SRVR refine − network (all; accepted) | renders (share of network mode's, map included) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in budgets:
        r = out["budgets"][str(k)]
        if not r["runs_compared"]:
            print(f"| {k} | (no folder reaches {k} steps) |")
            continue
        for m in ["naive", "oir-b", "oir-w", "all"]:
            s = r["iou"].get(m)
            d = r["abs_ratio_diff"].get(m)
            if s is None:
                continue
            if m == "all":
                sv = r["srvr"]
                def diff(g):
                    x, y = sv["refine"][g], sv["network"][g]
                    return "–" if x is None else f"{100 * (x - y):+.2f}"
                srvr = f"{diff('all')}; {diff('accepted')} points"
                share = f"{100 * r['render_share']:.1f} %"
            else:
                srvr = ""
                share = f"{100 * r['render_share_by_method'][m]:.1f} % (runs only)"
            print(f"| {k} | {m} | {s['n']} ({r['jobs_compared']}) | {s['mean']:.3f} | {s['median']:.3f} | {s['p10']:.3f} | "
                  f"{s['min']:.3f} | {d['mean']:.4f} | {d['max']:.4f} | {srvr} | {share} |")


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
