//! `semrob report`: one self-contained page per results folder (complete, partial, merged,
//! written before artifacts were kept) or folder of maps; bad folders exit 2 naming what is
//! wrong, and write nothing.

use crate::support::{jobs, page, semrob, write_grids, write_results, Layout};
use semrob::analysis::benchmark::{ResultsDir, Stamp, FNV_RESULTS_FORMAT, RESULTS_FORMAT};
use semrob::analysis::region_runs::RegionMode;

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// Every `src="..."` and `href="..."` of the page stays inside it.
fn assert_self_contained(html: &str) {
    for attr in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(attr) {
            let value = &html[i + attr.len()..];
            assert!(
                value.starts_with("data:image/png;base64,")
                    || value.starts_with("data:image/jpeg;base64,")
                    || value.starts_with('#'),
                "external reference: {}",
                &value[..value.len().min(60)]
            );
        }
    }
    assert!(html.contains("Content-Security-Policy"));
    assert!(!html.contains("<link"), "no stylesheet links");
}

#[test]
fn a_complete_folder_gives_every_section() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    write_results(&root, Layout::Full, &[]);
    let html = page(&root, &tmp.path().join("r.html"));
    assert_self_contained(&html);
    // One row per (network, class), with the recorded mode and reference network.
    assert_eq!(count(&html, "<tr data-key="), 4);
    for net in ["efficientnet-lite0", "efficientnet-lite1"] {
        for class in ["vase", "mug"] {
            assert!(
                html.contains(&format!("data-key=\"{net}/{class}\"")),
                "{net}/{class}"
            );
        }
    }
    assert!(html.contains("mode <code>map</code>"));
    assert!(html.contains("<dd>each network kept the shapes it scores ≥ τ = 0.1 on itself"));
    assert!(html.contains("0000000000abcdef"), "weights fingerprint");
    assert!(
        html.contains("75.0 s over 6 jobs"),
        "time spent: 6 × 12.5 s"
    );
    assert!(html.contains("complete"));
    assert!(!html.contains("Partial results"));
    // Per accepted job: heatmap, 4 + 4 renders, bounds trace; the rejected job: its
    // heatmap; the DSM: one per class.
    assert_eq!(count(&html, "<img "), 5 * 10 + 1 + 2);
    assert_eq!(count(&html, "class=\"render\""), 5 * 8);
    assert!(html.contains("inside 1 · (100.0, 20.0) · score 0.900"));
    // The traps of shape v0, listed and in the overview.
    assert!(html.contains("2 trap(s) on 6 map(s)"), "trap overview");
    assert_eq!(count(&html, "<b>T1</b>: area"), 2);
    assert!(html.contains("left out by the acceptance rule"));
    assert!(html.contains("No renders: no region was grown for this job."));
    assert!(
        html.contains("mean of 4 map(s) from efficientnet-lite0, efficientnet-lite1"),
        "DSM of vase"
    );
}

#[test]
fn a_partial_folder_says_so_and_lists_the_missing_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    write_results(&root, Layout::Full, &[1, 4]);
    let out = semrob(&["report", root.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("partial: 4 of 6 jobs"), "{stderr}");
    let html = std::fs::read_to_string(root.join("report.html")).unwrap();
    assert!(html.contains("Partial results: 4 of 6 jobs finished."));
    let all = jobs();
    for i in [1, 4] {
        assert!(html.contains(&format!("<code>{}</code>", all[i].key())));
    }
    assert!(html.contains("<span class=\"tag no\">partial</span>"));
}

#[test]
fn a_folder_written_before_artifacts_still_gives_a_page() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    write_results(&root, Layout::Old, &[]);
    let html = page(&root, &tmp.path().join("r.html"));
    assert_self_contained(&html);
    assert_eq!(count(&html, "<tr data-key="), 4);
    assert_eq!(count(&html, "<img "), 0);
    assert!(html.contains(
        "No heatmap: this job saved no map (the folder was written before jobs kept their maps)."
    ));
    assert!(html.contains("No renders: this job saved no renders"));
    assert!(html.contains("No map in this folder, so no trap can be found"));
    // The regions are still listed from the job files.
    assert!(html.contains("<td>B1</td><td>oir-b</td>"));
}

#[test]
fn the_reference_rule_is_said_and_a_stamp_from_before_map_mode_reads_as_network_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    write_results(&root, Layout::Old, &[]);
    // The same jobs under the paper's rule, in a stamp written before `regions` existed:
    // every run was then in network mode, and the typed stamp reads it so.
    let path = root.join("stamp.json");
    let mut stamp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    stamp["config"]["acceptance"]["network"] = "efficientnet-lite0".into();
    stamp["config"].as_object_mut().unwrap().remove("regions");
    std::fs::write(&path, serde_json::to_string(&stamp).unwrap()).unwrap();
    let read: Stamp = serde_json::from_value(stamp).unwrap();
    assert_eq!(read.config.regions, RegionMode::Network);
    let html = page(&root, &tmp.path().join("a.html"));
    assert!(html.contains("<dd>efficientnet-lite0 decided; it kept 3 of 3 shapes"));
    assert!(
        html.contains(
            "<dt>regions</dt><dd>mode <code>network</code>: regions grown on the network"
        ),
        "{html}"
    );
    // A stamp whose configuration has a field no version wrote is refused, naming it.
    let mut bad: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    bad["config"]["regionz"] = "map".into();
    std::fs::write(&path, serde_json::to_string(&bad).unwrap()).unwrap();
    let out = semrob(&["report", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stamp.json") && err.contains("regionz"),
        "{err}"
    );
    // Lite0 passes on m0, so Lite1's m0 counts although Lite1 scores low on it.
    assert!(!html.contains("left out by the acceptance rule"));
    assert_eq!(count(&html, "(below the threshold)"), 1, "Lite1 on m0");
}

#[test]
fn merged_shards_keep_their_artifacts() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write_results(&a, Layout::Full, &[1, 3, 5]);
    write_results(&b, Layout::Full, &[0, 2, 4]);
    let merged = ResultsDir::merge(&tmp.path().join("m"), &[a, b]).unwrap();
    let html = page(merged.root(), &tmp.path().join("m.html"));
    assert!(!html.contains("Partial results"));
    assert_eq!(count(&html, "<img "), 5 * 10 + 1 + 2);
}

#[test]
fn a_folder_of_maps_gives_maps_traps_and_dsm() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("grids");
    write_grids(&root);
    let html = page(&root, &tmp.path().join("g.html"));
    assert_self_contained(&html);
    assert_eq!(count(&html, "<tr data-key="), 4);
    assert_eq!(count(&html, "not computed"), 4);
    assert!(html.contains("as <code>semrob srvr grids</code> reads them"));
    assert_eq!(count(&html, "<img "), 6 + 2);
    assert!(html.contains("2 trap(s) on 6 map(s)"));
    assert!(html.contains("no region runs"));
}

fn fails(args: &[&str], needles: &[&str]) {
    let out = semrob(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {n:?} not in {stderr}");
    }
}

#[test]
fn bad_folders_exit_2_naming_the_problem_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let missing = tmp.path().join("nowhere");
    fails(&["report", &t(&missing)], &["nowhere", "no such folder"]);
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    fails(&["report", &t(&file)], &["file.txt", "not a folder"]);
    let other = tmp.path().join("other");
    std::fs::create_dir_all(other.join("sub")).unwrap();
    std::fs::write(other.join("notes.txt"), "x").unwrap();
    fails(
        &["report", &t(&other)],
        &["other", "not a semrob results folder"],
    );
    assert!(!other.join("report.html").exists());
    // A stamp of another format.
    let foreign = tmp.path().join("foreign");
    write_results(&foreign, Layout::Old, &[]);
    let stamp = std::fs::read_to_string(foreign.join("stamp.json")).unwrap();
    std::fs::write(
        foreign.join("stamp.json"),
        stamp.replace(RESULTS_FORMAT, "semrob.srvr-results/0"),
    )
    .unwrap();
    fails(
        &["report", &t(&foreign)],
        &["stamp.json", "semrob.srvr-results/0"],
    );
    // A folder written with FNV-1a fingerprints, before SHA-256: refused, named, kept.
    std::fs::write(
        foreign.join("stamp.json"),
        stamp.replace(RESULTS_FORMAT, FNV_RESULTS_FORMAT),
    )
    .unwrap();
    fails(&["report", &t(&foreign)], &["foreign", "FNV-1a", "rerun"]);
    assert!(!foreign.join("report.html").exists());
    std::fs::write(foreign.join("stamp.json"), "{ not json").unwrap();
    fails(&["report", &t(&foreign)], &["stamp.json"]);
    assert!(!foreign.join("report.html").exists());
    // A bad map in a folder of maps names the file and the field.
    let grids = tmp.path().join("grids");
    write_grids(&grids);
    std::fs::write(
        grids.join("efficientnet-lite0/mug/m0.json"),
        r#"{"format": "semrob.grid/1", "axes": []}"#,
    )
    .unwrap();
    fails(&["report", &t(&grids)], &["m0.json", "axes"]);
    assert!(!grids.join("report.html").exists());
}

#[test]
fn a_damaged_artifact_is_named_on_the_page_and_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("results");
    let dir = write_results(&root, Layout::Full, &[]);
    let job = &jobs()[0];
    std::fs::write(dir.map_path(job), "{ half").unwrap();
    let out = semrob(&["report", root.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("maps/efficientnet-lite0/vase/v0.json"),
        "{stderr}"
    );
    let html = std::fs::read_to_string(root.join("report.html")).unwrap();
    assert!(html.contains("Map unreadable"));
    assert!(html.contains("1 saved file(s) could not be read"));
}

#[test]
fn one_dimensional_maps_get_a_line_plot_and_their_traps() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("grids");
    let axes = vec![semrob::semantic::Axis {
        name: "azimuth".into(),
        unit: "deg".into(),
        values: (0..36).map(|i| 10.0 * i as f64).collect(),
        period: Some(360.0),
        domain: None,
    }];
    let grid = semrob::semantic::Grid::tabulate(axes, serde_json::Value::Null, |u| {
        if u[0] == 0.0 || u[0] == 350.0 {
            0.0
        } else {
            0.9
        }
    })
    .unwrap();
    let path = root.join("net/vase/s.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    grid.write(&path).unwrap();
    let html = page(&root, &tmp.path().join("g.html"));
    assert!(html.contains("A 1-D map"));
    assert!(
        html.contains("<b>T1</b>: area 20 deg, centre (355.0)"),
        "the trap across the wrap"
    );
    assert_eq!(count(&html, "<img "), 2, "the map and its DSM");
}
