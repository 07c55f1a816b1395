//! Meshes from disk: every mesh of the shared ShapeNet subset loads and renders, both dataset
//! layouts resolve classes and shapes, and malformed OBJ files are refused with errors that
//! name the file.

use std::path::{Path, PathBuf};

use crate::support::*;
use semrob::render::dataset::{Dataset, DatasetError, Layout, ShapeKey, MODEL_FILE};
use semrob::render::{Mesh, MeshError, RenderOptions, Renderer, View};

/// The shared ShapeNet subset. CI and every developer have `../shared/data` beside the
/// checkout, so its absence is a failure, not a skip.
fn shared_set() -> Dataset {
    let root = Path::new(DATA).join("shapenet10");
    assert!(
        root.join("manifest.json").is_file(),
        "{} is absent: the shared data must lie beside the checkout (../shared/data)",
        root.display()
    );
    Dataset::open(root).unwrap()
}

#[test]
fn every_shared_shapenet_mesh_loads_and_renders() {
    let set = shared_set();
    assert_eq!(set.layout(), Layout::Manifest);
    let renderer = Renderer::new(RenderOptions::default().with_size(112)).unwrap();
    let mut count = 0;
    for (class, shape) in set.present() {
        let mesh = set
            .load(&class.name, &ShapeKey::Id(shape.id.clone()))
            .unwrap();
        let img = renderer.render(&mesh, &View::new(130.0, 30.0)).unwrap();
        let covered = img.data().iter().filter(|&&x| x > 0.0).count();
        assert!(covered > 100, "{}: only {covered} lit values", mesh.name());
        assert!(img
            .data()
            .iter()
            .all(|x| x.is_finite() && (0.0..=1.0).contains(x)));
        count += 1;
    }
    assert_eq!(count, 93, "the shared subset has 93 meshes present");
}

#[test]
fn manifest_layout_selects_by_class_and_index_or_id() {
    let set = shared_set();
    let chair = set.class("chair").unwrap();
    assert_eq!(chair.imagenet_label, Some(559));
    let first = chair.shapes.iter().find(|s| s.present).unwrap();
    let by_index = set
        .mesh_path("chair", &ShapeKey::Index(first.index))
        .unwrap();
    let by_id = set
        .mesh_path("chair", &ShapeKey::Id(first.id.clone()))
        .unwrap();
    assert_eq!(by_index, by_id);
    assert!(by_index.ends_with(format!("chair/{}/{MODEL_FILE}", first.id)));

    let err = set.class("sofa").unwrap_err().to_string();
    assert!(err.contains("sofa") && err.contains("chair"), "{err}");
    let err = set.load("chair", &ShapeKey::Index(99)).unwrap_err();
    assert!(matches!(err, DatasetError::UnknownShape { .. }), "{err}");
    let absent = set.present().count() < set.classes().iter().map(|c| c.shapes.len()).sum();
    if absent {
        let (class, shape) = set
            .classes()
            .iter()
            .flat_map(|c| c.shapes.iter().filter(|s| !s.present).map(move |s| (c, s)))
            .next()
            .unwrap();
        let err = set
            .load(&class.name, &ShapeKey::Index(shape.index))
            .unwrap_err();
        assert!(matches!(err, DatasetError::Absent { .. }), "{err}");
        assert!(err.to_string().contains(&shape.id));
    }
}

const TRIANGLE: &str = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n";

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn shapenetcore_layout_indexes_sorted_model_folders() {
    let dir = tempfile::tempdir().unwrap();
    for id in ["bbb", "aaa", "ccc"] {
        write(dir.path(), &format!("03001627/{id}/{MODEL_FILE}"), TRIANGLE);
    }
    std::fs::create_dir_all(dir.path().join("03001627/ddd/models")).unwrap();
    let set = Dataset::open(dir.path()).unwrap();
    assert_eq!(set.layout(), Layout::ShapeNetCore);
    let class = set.class("03001627").unwrap();
    let ids: Vec<_> = class
        .shapes
        .iter()
        .map(|s| (s.index, s.id.as_str(), s.present))
        .collect();
    assert_eq!(
        ids,
        [
            (0, "aaa", true),
            (1, "bbb", true),
            (2, "ccc", true),
            (3, "ddd", false)
        ]
    );
    let mesh = set.load("03001627", &ShapeKey::Index(1)).unwrap();
    assert!(mesh.name().ends_with(&format!("bbb/{MODEL_FILE}")));
    assert!(matches!(
        set.load("03001627", &ShapeKey::Id("ddd".into())),
        Err(DatasetError::Absent { .. })
    ));
}

#[test]
fn groups_materials_normals_and_polygons_do_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let text = "mtllib missing.mtl\no first\ng a\nv -1 -1 0\nv 1 -1 0\nv 1 1 0\nv -1 1 0\n\
                vn 0 0 1\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl nothing\n\
                f 1/1/1 2/2/1 3/3/1 4/4/1\no second\nv 0 0 1\nv 0.5 0 1\nv 0 0.5 1\nf -3 -2 -1\n";
    let path = write(dir.path(), "quad.obj", text);
    let mesh = Mesh::load_obj(&path).unwrap();
    assert_eq!(
        mesh.faces().len(),
        3,
        "a quad makes two triangles, plus the second object"
    );
    assert_eq!(mesh.vertices().len(), 7);
    let plain = write(
        dir.path(),
        "plain.obj",
        "v -1 -1 0\nv 1 -1 0\nv 1 1 0\nv -1 1 0\nv 0 0 1\nv 0.5 0 1\nv 0 0.5 1\nf 1 2 3\nf 1 3 4\nf 5 6 7\n",
    );
    let renderer = Renderer::new(RenderOptions::default().with_size(64)).unwrap();
    let view = View::new(20.0, 10.0);
    assert_eq!(
        renderer.render(&mesh, &view).unwrap(),
        renderer
            .render(&Mesh::load_obj(plain).unwrap(), &view)
            .unwrap()
    );
}

#[test]
fn malformed_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    type Expect = fn(&MeshError) -> bool;
    let cases: [(&str, &str, Expect); 7] = [
        ("no_faces.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\n", |e| {
            matches!(e, MeshError::NoFaces { .. })
        }),
        (
            "out_of_range.obj",
            "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n",
            |e| matches!(e, MeshError::ObjIndexOutOfRange { .. }),
        ),
        ("nan.obj", "v 0 0 0\nv nan 0 0\nv 0 1 0\nf 1 2 3\n", |e| {
            matches!(e, MeshError::NonFiniteVertex { vertex: 1, .. })
        }),
        ("inf.obj", "v 0 0 0\nv 1 0 0\nv 0 1e999 0\nf 1 2 3\n", |e| {
            matches!(e, MeshError::NonFiniteVertex { vertex: 2, .. })
        }),
        ("point.obj", "v 1 2 3\nv 1 2 3\nv 1 2 3\nf 1 2 3\n", |e| {
            matches!(e, MeshError::ZeroExtent { .. })
        }),
        ("flat.obj", "v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n", |e| {
            matches!(e, MeshError::OnlyDegenerateFaces { .. })
        }),
        ("garbage.obj", "v 0 0 zero\nf 1 2 3\n", |e| {
            matches!(e, MeshError::Unreadable { .. })
        }),
    ];
    for (name, text, expected) in cases {
        let path = write(dir.path(), name, text);
        let err = Mesh::load_obj(&path).unwrap_err();
        assert!(expected(&err), "{name}: unexpected error {err:?}");
        assert!(
            err.to_string().contains(path.to_str().unwrap()),
            "{name}: {err}"
        );
    }
    let missing = dir.path().join("missing.obj");
    let err = Mesh::load_obj(&missing).unwrap_err();
    assert!(matches!(err, MeshError::Unreadable { .. }));
    assert!(err.to_string().contains("missing.obj"), "{err}");
}

#[test]
fn degenerate_triangles_inside_a_good_mesh_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "mixed.obj",
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 2 0 0\nf 1 2 3\nf 1 2 4\nf 3 3 3\n",
    );
    let mesh = Mesh::load_obj(&path).unwrap();
    assert_eq!((mesh.faces().len(), mesh.skipped_degenerate()), (1, 2));
}
