//! `semrob render`: single views, contact sheets, fixtures, and errors (exit status 2).

use crate::support::semrob;

use image::GenericImageView;

#[test]
fn renders_a_fixture_to_png() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vase.png");
    let o = semrob(&[
        "render",
        "fixture:vase",
        "-a",
        "-40",
        "-e",
        "25",
        "--size",
        "96",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let img = image::open(&out).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (96, 96));
    assert!(
        img.pixels().any(|p| p.0[0] > 100),
        "the vase should be visible"
    );
    assert_eq!(img.get_pixel(0, 0).0, [0, 0, 0], "black background");
}

#[test]
fn contact_sheets_from_views_and_grids() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sheet.png");
    let path = out.to_str().unwrap();
    let o = semrob(&[
        "render",
        "fixture:mug",
        "--views",
        "0:30,90:30,180:30",
        "--columns",
        "2",
        "--size",
        "50",
        "-o",
        path,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Two columns and two rows of 50 px with 2 px gaps.
    assert_eq!(image::open(&out).unwrap().dimensions(), (102, 102));
    let o = semrob(&[
        "render",
        "fixture:mug",
        "--azimuths",
        "0,120,240",
        "--elevations",
        "-10,40",
        "--size",
        "40",
        "-o",
        path,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(image::open(&out).unwrap().dimensions(), (124, 82));
}

#[test]
fn errors_name_the_problem_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.obj");
    std::fs::write(&bad, "v 0 0 0\n").unwrap();
    for (args, needle) in [
        (vec!["render", bad.to_str().unwrap()], "bad.obj"),
        (vec!["render", "fixture:kettle"], "kettle"),
        (
            vec!["render", "fixture:vase", "--views", "10;20"],
            "azimuth:elevation",
        ),
        (
            vec!["render", "fixture:vase", "--distance", "-1"],
            "distance",
        ),
    ] {
        let o = semrob(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        // Values clap parses (a fixture's name) get clap's `error: invalid value ...`.
        assert!(
            err.contains("error:") && err.contains(needle),
            "{args:?}: {err}"
        );
    }
}
