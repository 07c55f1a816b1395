#!/usr/bin/env python3
# Run from the repository root: python3 scripts/hand-mutants/refine_split.py (restores every file it
# mutates; results appended to out/hand-mutants/). Issue 36, 2026-12-07; see mutants-equivalent.md.
# Hand-applied mutants of the refine budget split (issue 33 item 3; issue 36's --changed check).
import subprocess, time
RR = "src/analysis/region_runs.rs"; CF = "src/analysis/benchmark/config.rs"; RUN = "src/analysis/benchmark/run.rs"
REGION = ["cargo", "test", "--test", "region", "-q", "--", "refine"]
LIB = ["cargo", "test", "--lib", "-q", "--", "config"]
CLI = ["cargo", "test", "--test", "cli", "-q", "--", "srvr::refine_"]
M = [
 (RR, "refine_map_search: rest().is_none() -> is_some()", "if hyper.rest().is_none() {", "if hyper.rest().is_some() {", REGION),
 (RR, "refine_map_search: no .max(1)", ".saturating_sub(refine_steps).max(1);", ".saturating_sub(refine_steps);", REGION),
 (RR, "refine_map_search: iterations unchanged", "hyper.iterations = hyper.iterations.saturating_sub(refine_steps).max(1);", "", REGION),
 (CF, "check_mode: k >= iterations -> k > iterations", "(Some(k), None) if k >= self.hyper.iterations", "(Some(k), None) if k > self.hyper.iterations", LIB),
 (CF, "check_mode: guard -> false", "(Some(k), None) if k >= self.hyper.iterations", "(Some(k), None) if false", LIB),
 (CF, "fingerprint: && -> ||", "if self.regions == RegionMode::Refine && self.hyper.rest_window.is_none() {", "if self.regions == RegionMode::Refine || self.hyper.rest_window.is_none() {", LIB),
 (CF, "fingerprint: is_none -> is_some", "if self.regions == RegionMode::Refine && self.hyper.rest_window.is_none() {", "if self.regions == RegionMode::Refine && self.hyper.rest_window.is_some() {", LIB),
 (CF, "fingerprint: == Refine -> != Refine", "if self.regions == RegionMode::Refine && self.hyper.rest_window.is_none() {", "if self.regions != RegionMode::Refine && self.hyper.rest_window.is_none() {", LIB),
 (RUN, "map_job: refine's map stage without the split", "let on_map = refine_map_search(&region_search(plan), steps);", "let on_map = region_search(plan); let _ = steps;", CLI),
]
out = (__import__("os").makedirs("out/hand-mutants", exist_ok=True), open("out/hand-mutants/results2.md", "a"))[1]
for path, name, a, b, cmd in M:
    orig = open(path).read()
    assert orig.count(a) == 1, name
    try:
        open(path, "w").write(orig.replace(a, b))
        t = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True)
        verdict = "caught" if r.returncode != 0 else "MISSED"
        if "error[" in r.stderr: verdict = "unviable"
        failed = [l.strip() for l in r.stdout.splitlines() if l.startswith("    ") and "::" in l][:3]
        line = f"| {path.split('/')[-1]} | {name} | {verdict} | {time.time()-t:.0f} s | {' '.join(failed)} |"
        print(line, flush=True); out.write(line + "\n"); out.flush()
    finally:
        open(path, "w").write(orig)
