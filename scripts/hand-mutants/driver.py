#!/usr/bin/env python3
# Run from the repository root: python3 scripts/hand-mutants/driver.py (restores every file it
# mutates; results appended to out/hand-mutants/). Issue 36, 2026-12-07; see mutants-equivalent.md.
# Applies each of the driver's 11 "not judged" mutants by hand (exact text, one occurrence),
# runs tests/region (whole project, default features), records caught/missed, restores.
import subprocess, sys, time
F = "src/region/driver.rs"
M = [
 ("advance 1: lower - -> + (paper steps)", "self.region.lower() - &direction.lower * eta", "self.region.lower() + &direction.lower * eta"),
 ("advance 2: upper - -> + (paper steps)", "self.region.upper() - &direction.upper * eta", "self.region.upper() + &direction.upper * eta"),
 ("advance 3: lower - -> + (dimension-free)", "self.region.lower() - direction.lower.component_mul(&k) * eta", "self.region.lower() + direction.lower.component_mul(&k) * eta"),
 ("advance 4: upper - -> + (dimension-free)", "self.region.upper() - direction.upper.component_mul(&k) * eta", "self.region.upper() + direction.upper.component_mul(&k) * eta"),
 ("advance 5: lower * eta -> / eta (paper)", "self.region.lower() - &direction.lower * eta", "self.region.lower() - &direction.lower / eta"),
 ("advance 6: upper * eta -> / eta (paper)", "self.region.upper() - &direction.upper * eta", "self.region.upper() - &direction.upper / eta"),
 ("advance 7: lower * eta -> / eta (dimension-free)", "self.region.lower() - direction.lower.component_mul(&k) * eta", "self.region.lower() - direction.lower.component_mul(&k) / eta"),
 ("advance 8: upper * eta -> / eta (dimension-free)", "self.region.upper() - direction.upper.component_mul(&k) * eta", "self.region.upper() - direction.upper.component_mul(&k) / eta"),
 ("starting_at: == 0 -> != 0 (box at 80 %)", "(step_at_80(hyper.iterations) == 0)", "(step_at_80(hyper.iterations) != 0)"),
 ("advance: iterations == step_at_80 -> !=", "if self.iterations == step_at_80(self.hyper.iterations) {", "if self.iterations != step_at_80(self.hyper.iterations) {"),
 ("advance: hit_cap == -> !=", "self.hit_cap = ending == Some(Ending::Cap);", "self.hit_cap = ending != Some(Ending::Cap);"),
]
orig = open(F).read()
out = (__import__("os").makedirs("out/hand-mutants", exist_ok=True), open("out/hand-mutants/results.md", "a"))[1]
try:
    for name, a, b in M:
        assert orig.count(a) == 1, name
        open(F, "w").write(orig.replace(a, b))
        t = time.time()
        r = subprocess.run(["cargo", "test", "--test", "region", "-q"], capture_output=True, text=True)
        verdict = "caught" if r.returncode != 0 else "MISSED"
        failed = [l for l in r.stdout.splitlines() if l.startswith("    ") and "::" in l][:4]
        if "error[" in r.stderr: verdict = "unviable"
        line = f"| {name} | {verdict} | {time.time()-t:.0f} s | {' '.join(x.strip() for x in failed)} |"
        print(line, flush=True); out.write(line + "\n"); out.flush()
finally:
    open(F, "w").write(orig)
