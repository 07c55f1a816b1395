//! Certificates through the binary (SPEC §8): `semrob certify RESULTS` on the small
//! configuration's folder (golden report with certified SRVR, regions untouched, a rerun
//! that changes nothing, other settings that redo the certificates), `[certify]` in a
//! configuration giving the same certificates, and refusals of bad settings (exit 2, the
//! field named, nothing written).
#![cfg(feature = "torch")]

use std::path::Path;

use semrob::certify::max_certifiable_failures;
use semrob::report::golden::{bless_requested, check_golden};
use serde_json::Value;

use crate::srvr::{text, SMALL};
use crate::support::semrob_in;

/// The certified report of the small configuration (`semrob certify --samples 30`),
/// compared by the one golden rule. A verdict is portable when its margin is above
/// `FRAGILE_MARGIN`: the golden holds `fragile: 0` for every method, so a certificate that
/// could flip on another CPU's kernels fails this test by name (scripts/test-kernels.sh
/// reruns it under each kernel set). Regenerate: `SEMROB_BLESS=1 cargo test --test cli
/// certify_small_golden`, then review `git diff golden/`.
const CERTIFY_GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/e2e/certify_small.json");

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn job(dir: &Path, folder: &str, shape: &str) -> Value {
    let path = dir.join(folder).join("jobs/efficientnet-lite0").join(shape);
    json(&std::fs::read_to_string(path).unwrap())
}

const SHAPES: [&str; 2] = ["vase/vase.json", "coffee-mug/mug.json"];

#[test]
fn certify_small_golden_rerun_other_settings_and_config() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("small.toml"), SMALL).unwrap();
    let o = semrob_in(&["srvr", "small.toml", "--results", "grown", "--json"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let grown: Vec<Value> = SHAPES.iter().map(|s| job(dir, "grown", s)).collect();

    let o = semrob_in(&["certify", "grown", "--samples", "30", "--json"], dir);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let report = json(&out);
    if let Err(e) = check_golden(
        Path::new(CERTIFY_GOLDEN),
        "SRVR report of the small configuration of tests/cli/srvr.rs after `semrob certify --samples 30` \
         (certified SRVR; no fragile certificate); regenerate: SEMROB_BLESS=1 cargo test --test cli certify_small_golden",
        &report,
        bless_requested(),
    ) {
        panic!("{e}");
    }
    let net = &report["networks"][0];
    let (srvr, certified) = (
        net["srvr"].as_f64().unwrap(),
        net["certified_srvr"].as_f64().unwrap(),
    );
    assert!(certified <= srvr + 1e-12, "{certified} > {srvr}");
    assert!(
        report["certificates"]["samples"] == 30 && report["certificates"]["confidence"] == 0.9,
        "{}",
        report["certificates"]
    );

    // The regions are not regrown; every run holds a certificate that follows its rule.
    let renders = dir.join("grown/renders/efficientnet-lite0");
    for (shape, before) in SHAPES.iter().zip(&grown) {
        let after = job(dir, "grown", shape);
        for (a, b) in after["runs"]
            .as_array()
            .unwrap()
            .iter()
            .zip(before["runs"].as_array().unwrap())
        {
            assert_eq!((&a["lower"], &a["upper"]), (&b["lower"], &b["upper"]));
            let c = &a["certificate"];
            match c["kind"].as_str().unwrap() {
                "too_small" => assert!(a["volume_ratio"].as_f64().unwrap() < 1e-4),
                "sampled" => {
                    let (n, k) = (
                        c["samples"].as_u64().unwrap(),
                        c["failures"].as_u64().unwrap(),
                    );
                    let limit = max_certifiable_failures(30, 0.1, 0.1);
                    match c["verdict"].as_str().unwrap() {
                        "certified" => {
                            assert_eq!(n, 30);
                            assert!(Some(k as usize) <= limit, "{c}");
                        }
                        "refuted" => assert!(n < 30 && Some(k as usize) > limit, "{c}"),
                        "not_certified" => assert_eq!(n, 30, "{c}"),
                        v => panic!("verdict {v}"),
                    }
                    let file = format!("witness-{:016x}.png", c["seed"].as_u64().unwrap());
                    let folder = renders.join(shape.trim_end_matches(".json"));
                    assert!(folder.join(&file).is_file(), "{file}");
                }
                k => panic!("kind {k}"),
            }
        }
    }
    let page = std::fs::read_to_string(dir.join("grown/report.html")).unwrap();
    assert!(page.contains("Witnesses") && page.contains("certified SRVR"));

    // A rerun with the same settings changes nothing.
    let before: Vec<Vec<u8>> = SHAPES
        .iter()
        .map(|s| std::fs::read(dir.join("grown/jobs/efficientnet-lite0").join(s)).unwrap())
        .collect();
    let o = semrob_in(&["certify", "grown", "--samples", "30", "--json"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert_eq!(json(&text(&o).0), report);
    for (s, b) in SHAPES.iter().zip(&before) {
        assert_eq!(
            &std::fs::read(dir.join("grown/jobs/efficientnet-lite0").join(s)).unwrap(),
            b
        );
    }

    // `[certify]` in the configuration: the same certificates (their seeds come from the
    // growth's fingerprint, which `[certify]` does not enter), so the same report.
    let with = format!("{SMALL}\n[certify]\nsamples = 30\n");
    std::fs::write(dir.join("with.toml"), with).unwrap();
    let o = semrob_in(&["srvr", "with.toml", "--results", "grown", "--json"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let o = semrob_in(
        &["srvr", "with.toml", "--results", "together", "--json"],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let alone = dir.join("alone.json");
    check_golden(&alone, "certify after the jobs", &report, true).unwrap();
    if let Err(e) = check_golden(&alone, "", &json(&text(&o).0), false) {
        panic!("[certify] in the configuration: {e}");
    }

    // Other settings redo every certificate; the regions stay.
    let o = semrob_in(
        &[
            "certify",
            "grown",
            "--samples",
            "40",
            "--criterion",
            "top1",
            "--json",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let redone = json(&text(&o).0);
    assert_eq!(redone["certificates"]["criterion"], "top1");
    assert_eq!(redone["networks"][0]["srvr"], report["networks"][0]["srvr"]);
    for s in SHAPES {
        for r in job(dir, "grown", s)["runs"].as_array().unwrap() {
            if r["certificate"]["kind"] == "sampled" {
                assert_eq!(r["certificate"]["planned"], 40);
                assert_eq!(r["certificate"]["criterion"], "top1");
            }
        }
    }
}

#[test]
fn bad_certificate_settings_exit_2_naming_the_field_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("small.toml"), SMALL).unwrap();
    let o = semrob_in(&["srvr", "small.toml", "--results", "grown", "--json"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let before = std::fs::read(dir.join("grown/jobs/efficientnet-lite0/vase/vase.json")).unwrap();
    for (args, wanted) in [
        (vec!["--confidence", "1"], "confidence: 1 is outside (0, 1)"),
        (vec!["--max-share", "0"], "max-share: 0 is outside (0, 1)"),
        (vec!["--samples", "5"], "the fewest that can is 22"),
        (
            vec!["--threshold", "1.5"],
            "threshold: 1.5 is outside [0, 1]",
        ),
        (vec!["--certify-batch", "0"], "batch: must be ≥ 1"),
        (vec!["--criterion", "best"], "expected score or top1"),
    ] {
        let mut all = vec!["certify", "grown"];
        all.extend(&args);
        let o = semrob_in(&all, dir);
        let err = text(&o).1;
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(wanted), "{args:?}: {err}");
    }
    let bad = format!("{SMALL}\n[certify]\nmax_share = 1.0\n");
    std::fs::write(dir.join("bad.toml"), bad).unwrap();
    let o = semrob_in(&["srvr", "bad.toml", "--results", "grown"], dir);
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("certify.max_share"), "{err}");
    assert_eq!(
        std::fs::read(dir.join("grown/jobs/efficientnet-lite0/vase/vase.json")).unwrap(),
        before
    );
    // A clean box is sought on a map: `regions mesh --certify --clean` needs `--map`.
    let o = semrob_in(
        &[
            "regions",
            "mesh",
            "fixture:vase",
            "--model",
            "efficientnet-lite0",
            "--label",
            "883",
            "--search-axes",
            "azimuth",
            "--iterations",
            "1",
            "--certify",
            "--clean",
        ],
        dir,
    );
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--clean") && err.contains("--map"), "{err}");
}
