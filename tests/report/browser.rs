//! The report page in a real browser (headless Debian chromium, no network): it renders
//! without console messages, its SRVR table has one row per (network, class) and sorts
//! when a header is clicked, every image loads; a screenshot and a PDF print are kept.
//!
//! Ignored by plain `cargo test` (it needs chromium): `scripts/test-browser.sh`, which
//! `scripts/test.sh` and so CI run, installs it and runs `cargo test --workspace
//! --no-default-features --test report -- browser:: --ignored`, failing unless every test here
//! ran and passed. `SEMROB_CHROMIUM` names the binary (default `chromium`); a missing one fails
//! the test, never skips it. `SEMROB_BROWSER_OUT` keeps the page and the screenshot in that
//! folder (default: under cargo's target tmpdir).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{page, write_results, write_results_nd, Layout};
use serde_json::Value;

const L0_MUG: &str = "efficientnet-lite0/mug";
const L0_VASE: &str = "efficientnet-lite0/vase";
const L1_MUG: &str = "efficientnet-lite1/mug";
const L1_VASE: &str = "efficientnet-lite1/vase";

fn chromium(user_data: &Path, extra: &[String]) -> Output {
    let binary = std::env::var("SEMROB_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let mut cmd = Command::new(&binary);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--hide-scrollbars",
        // No network: every request but file: and data: goes to a closed port.
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", user_data.display()))
    .args(extra);
    cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {binary} (scripts/test-browser.sh installs it): {e}")
    })
}

/// Console messages chromium logged (it logs every level as `INFO:CONSOLE`; the page
/// writes none, so any is a failure: a script error, a blocked resource...).
fn console_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

/// Runs chromium with `extra` arguments and checks that it succeeded and logged no console
/// message.
fn run_cleanly(profile: &Path, extra: &[String]) -> Output {
    let run = chromium(profile, extra);
    assert!(
        run.status.success(),
        "chromium {extra:?} failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let console = console_lines(&run.stderr);
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    run
}

/// A 1280-pixel-wide screenshot of the page at `url`, `height` pixels tall, written to
/// `shot` (after a clean run) and returned, checked to be of that size and not blank.
fn screenshot(profile: &Path, shot: &Path, height: u32, url: &str) -> image::RgbImage {
    let _ = std::fs::remove_file(shot);
    run_cleanly(
        profile,
        &[
            format!("--window-size=1280,{height}"),
            "--virtual-time-budget=10000".into(),
            format!("--screenshot={}", shot.display()),
            url.to_string(),
        ],
    );
    let png = image::open(shot).expect("a screenshot").to_rgb8();
    assert_eq!(png.dimensions(), (1280, height));
    let distinct: std::collections::HashSet<[u8; 3]> = png.pixels().map(|p| p.0).collect();
    assert!(distinct.len() > 50, "the screenshot is nearly blank");
    png
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn out_dir() -> PathBuf {
    let dir = std::env::var_os("SEMROB_BROWSER_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Loads the page at `url` with its self-test (`#selftest`, which runs on load and writes its
/// findings into the DOM) and returns them, after checking that chromium logged no console
/// message, the script raised no error and every image loaded.
fn self_test(profile: &Path, url: &str) -> Value {
    let dump = run_cleanly(
        profile,
        &[
            "--virtual-time-budget=10000".into(),
            "--dump-dom".into(),
            format!("{url}#selftest"),
        ],
    );
    let dom = String::from_utf8_lossy(&dump.stdout);
    let start = dom.find("<pre id=\"selftest\">").unwrap_or_else(|| {
        panic!(
            "no self-test output in the DOM:\n{}",
            &dom[dom.len().saturating_sub(2000)..]
        )
    }) + "<pre id=\"selftest\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let result: Value = serde_json::from_str(&unescape(&dom[start..end])).unwrap();
    assert_eq!(result["errors"], Value::Array(vec![]), "script errors");
    for im in result["images"].as_array().unwrap() {
        assert!(
            im["complete"] == true && im["width"].as_u64().unwrap_or(0) > 0,
            "image not loaded: {im}"
        );
    }
    result
}

#[test]
#[ignore = "needs chromium: scripts/test-browser.sh (run by scripts/test.sh) installs it"]
fn the_page_renders_sorts_and_loads_every_image_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    write_results(&root, Layout::Full, &[]);
    let out = out_dir();
    let html_path = out.join("report.html");
    let html = page(&root, &html_path);
    let images_in_source = html.matches("<img ").count();
    let url = format!("file://{}", html_path.canonicalize().unwrap().display());

    let result = self_test(&tmp.path().join("profile-dom"), &url);
    let keys = |k: &str| -> Vec<String> {
        result[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let before = keys("before");
    assert_eq!(
        before,
        [L0_MUG, L0_VASE, L1_MUG, L1_VASE],
        "one row per (network, class)"
    );
    let ascending = keys("ascending");
    let descending = keys("descending");
    assert_ne!(ascending, before, "sorting by SRVR changes the order");
    // Lite1 on mug has no accepted shape (n/a sorts lowest); then 0.4, 0.7, 1.0 scales.
    assert_eq!(ascending, [L1_MUG, L0_VASE, L1_VASE, L0_MUG]);
    let mut reversed = ascending.clone();
    reversed.reverse();
    assert_eq!(descending, reversed, "a second click reverses");

    assert_eq!(result["images"].as_array().unwrap().len(), images_in_source);

    screenshot(
        &tmp.path().join("profile-shot"),
        &out.join("report.png"),
        4000,
        &url,
    );

    // Printed to PDF (the page's print style): a document of several pages.
    let pdf = out.join("report.pdf");
    let _ = std::fs::remove_file(&pdf);
    run_cleanly(
        &tmp.path().join("profile-pdf"),
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
            url,
        ],
    );
    let bytes = std::fs::read(&pdf).expect("a PDF");
    assert!(bytes.starts_with(b"%PDF"));
    assert!(
        bytes.len() > 20_000,
        "a PDF of {} bytes is too small to hold the page",
        bytes.len()
    );
    eprintln!("page, screenshot and PDF in {}", out.display());
}

/// The page of a 1-D and of a 3-D results folder: it renders in chromium with no console
/// message and every image loads; the 1-D job shows its score curve with the intervals, the
/// 3-D job its map in each of the three pairs of axes.
#[test]
#[ignore = "needs chromium: scripts/test-browser.sh (run by scripts/test.sh) installs it"]
fn pages_of_1d_and_3d_results_render_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let out = out_dir();
    for (n, plots) in [(1, 1), (3, 3)] {
        let root = tmp.path().join(format!("results-{n}d"));
        write_results_nd(&root, n);
        let html_path = out.join(format!("report-{n}d.html"));
        let html = page(&root, &html_path);
        let job_plots = html
            .matches("alt=\"semantic map of efficientnet-lite0/vase/v0")
            .count();
        assert_eq!(job_plots, plots, "{n}-D: the job's pictures");
        if n == 3 {
            for pair in [
                "azimuth × elevation",
                "azimuth × distance",
                "elevation × distance",
            ] {
                assert!(html.contains(pair), "3-D: no picture in {pair}");
            }
        }
        let url = format!("file://{}", html_path.canonicalize().unwrap().display());
        let result = self_test(&tmp.path().join(format!("profile-{n}d")), &url);
        assert_eq!(
            result["images"].as_array().unwrap().len(),
            html.matches("<img ").count()
        );
        screenshot(
            &tmp.path().join(format!("profile-shot-{n}d")),
            &out.join(format!("report-{n}d.png")),
            3000,
            &url,
        );
    }
    eprintln!("pages and screenshots in {}", out.display());
}
