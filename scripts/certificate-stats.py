#!/usr/bin/env python3
"""Certificates of a results folder, as BENCHMARKS.md's tables (SPEC §8).

    scripts/certificate-stats.py RESULTS [RESULTS ...]

Per folder: per method the regions assessed, certified, not certified, refuted early and
too small, and the mean samples drawn; per network SRVR and certified SRVR (from the
folder's report.json) and whether the ranking of networks changes; the renders and seconds
the certificates cost (from the job files); and how well the map's share below the
threshold (each run's `contents.below`, exact on the map's interpolant) predicts the
network's sampled failing share (failures / samples of its certificate), in bins of the
map's share. Reads only the folder; standard library only.
"""
import glob
import json
import os
import sys


def load(folder):
    jobs = []
    for path in sorted(glob.glob(os.path.join(folder, "jobs", "*", "*", "*.json"))):
        with open(path) as f:
            jobs.append(json.load(f))
    with open(os.path.join(folder, "report.json")) as f:
        report = json.load(f)
    return jobs, report


def pct(x):
    return "n/a" if x is None else f"{100 * x:.2f}"


def main(folder):
    jobs, report = load(folder)
    print(f"### {report['name']}\n")
    terms = report.get("certificates")
    if terms is None:
        print("no certificates in this folder\n")
        return
    print(
        f"Terms: confidence {terms['confidence']}, share {terms['max_share']}, criterion "
        f"{terms['criterion']}, threshold {terms['threshold']}, {terms['samples']} samples planned.\n"
    )
    print("| method | regions assessed | certified | not certified | refuted early | too small | mean samples | fragile |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for m in report["methods"]:
        c = m.get("certificates")
        if c:
            print(
                f"| {m['method']} | {c['runs']} | {c['certified']} | {c['not_certified']} | "
                f"{c['refuted']} | {c['too_small']} | {c['mean_samples']:.1f} | {c['fragile']} |"
            )
    print("\n| network | SRVR (% of Ω) | certified SRVR (% of Ω) |")
    print("|---|---:|---:|")
    nets = report["networks"]
    for n in nets:
        print(f"| {n['network']} | {pct(n.get('srvr'))} | {pct(n.get('certified_srvr'))} |")
    by = lambda key: [n["network"] for n in sorted(nets, key=lambda n: -(n.get(key) or 0))]
    same = by("srvr") == by("certified_srvr")
    print(
        f"\nRanking by SRVR: {' > '.join(by('srvr'))}; by certified SRVR: "
        f"{' > '.join(by('certified_srvr'))} ({'the same' if same else 'it changes'}).\n"
    )
    samples = sum(
        r["certificate"]["samples"]
        for j in jobs
        for r in j["runs"]
        if r.get("certificate", {}).get("kind") == "sampled"
    )
    sampled = sum(
        1 for j in jobs for r in j["runs"] if r.get("certificate", {}).get("kind") == "sampled"
    )
    # Shared boxes hold a copy of one certificate: count each seed once.
    seeds = {}
    for j in jobs:
        for r in j["runs"]:
            c = r.get("certificate", {})
            if c.get("kind") == "sampled":
                seeds[(j["job"]["network"], c["seed"])] = c["samples"]
    renders = sum(seeds.values())
    seconds = sum((j.get("certification") or {}).get("seconds", 0.0) for j in jobs)
    maps = sum(j["map_points"] for j in jobs)
    print(
        f"Cost: {len(seeds)} certificates ({sampled} runs), {renders} renders "
        f"({renders / max(1, len(seeds)):.1f} per certificate; the maps took {maps}), "
        f"{seconds:.1f} s of certification ({seconds / max(1, len(seeds)):.2f} s per certificate).\n"
    )
    del samples
    tele = [j["telemetry"] for j in jobs if j.get("telemetry")]
    images = sum(t["images"] for t in tele)
    busy = sum(t["network_seconds"] + t["render_wait_seconds"] for t in tele)
    if images and renders:
        print(
            f"Per render: maps and region runs {1000 * busy / images:.1f} ms (network and unhidden "
            f"rendering over {images} renders); certificates {1000 * seconds / renders:.1f} ms "
            f"(whole certification time over its {renders} renders, witnesses included).\n"
        )
    bins = [(0.0, 0.0), (0.0, 0.05), (0.05, 0.2), (0.2, 0.5), (0.5, 1.0)]
    rows = {b: [] for b in bins}
    for j in jobs:
        for r in j["runs"]:
            c, contents = r.get("certificate", {}), r.get("contents")
            if c.get("kind") != "sampled" or not contents:
                continue
            below = contents["below"]
            share = c["failures"] / c["samples"]
            for lo, hi in bins:
                if (lo == hi == below == 0.0) or (lo < below <= hi):
                    rows[(lo, hi)].append((below, share, c["verdict"]))
                    break
    print("| map's share below the threshold | runs | mean map share | mean sampled failing share on the network | certified |")
    print("|---|---:|---:|---:|---:|")
    for (lo, hi), xs in rows.items():
        name = "0" if lo == hi else f"({lo}, {hi}]"
        if not xs:
            print(f"| {name} | 0 | – | – | – |")
            continue
        m = sum(x[0] for x in xs) / len(xs)
        s = sum(x[1] for x in xs) / len(xs)
        cert = sum(1 for x in xs if x[2] == "certified")
        print(f"| {name} | {len(xs)} | {100 * m:.1f} % | {100 * s:.1f} % | {cert} |")
    print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for folder in sys.argv[1:]:
        main(folder)
