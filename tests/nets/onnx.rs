//! The user's network as an ONNX file on ONNX Runtime: for every network exported by the
//! pinned PyTorch's `torch.onnx.export`, semrob's renders score through ONNX Runtime as through
//! libtorch (the same weights as TorchScript, or semrob's own EfficientNet-Lite0), within the
//! parity tolerance; a graph with a fixed batch of 1 scores batches as one with a dynamic
//! batch axis; and every way a file can be wrong exits 2 through the binary, naming the file.
//! ResNet18 and MobileNetV3-Small have random weights (no package here ships torchvision's
//! ImageNet weights); EfficientNet-Lite0 has its pretrained ones.
#![cfg(feature = "onnx")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use nalgebra::DMatrix;
use semrob::analysis::network_function::inputs::{load_classifier, load_mesh, Fingerprint};
use semrob::analysis::network_function::ClassifierFunction;
use semrob::nets::{
    Architecture, Classifier, Device, ImageBatch, LoadOptions, Model, NetFormat, ScriptModel,
};
use semrob::render::Scene;
use semrob::semantic::SemanticParam;

use crate::support::{max_rel_diff, ROOT};
use crate::support::{one_network_config, semrob_in};

const SCRIPT: &str = "tests/python/onnx_export.py";

/// The folder of exported files, written once per version of the script (about 40 s,
/// 270 MB under target/tmp).
fn exported() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        assert!(
            semrob::nets::onnxruntime_library().is_file(),
            "the ONNX tests need ONNX Runtime in .onnxruntime/: run scripts/setup.sh"
        );
        let python = Path::new(ROOT).join(".venv-torch/bin/python");
        assert!(
            python.exists(),
            "the ONNX tests need the pinned Python torch and ONNX exporter in .venv-torch: run \
             scripts/setup-test-python.sh"
        );
        let text = std::fs::read(Path::new(ROOT).join(SCRIPT)).expect(SCRIPT);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("onnx-{}", &Fingerprint::of(&text)[..16]));
        if !dir.join("complete").exists() {
            let status = Command::new(python)
                .arg(SCRIPT)
                .arg("make")
                .arg(&dir)
                .arg(Path::new(ROOT).join(".cache/weights"))
                .current_dir(ROOT)
                .status()
                .expect("running onnx_export.py");
            assert!(status.success(), "onnx_export.py make failed");
        }
        dir
    })
}

fn onnx(file: &str) -> ScriptModel {
    ScriptModel::imagenet_as(NetFormat::Onnx, &exported().join(file))
}

/// EfficientNet-Lite0's normalisation `(255·x − 127) / 128` as a mean and a std.
fn lite0(file: &str) -> ScriptModel {
    let mut s = onnx(file);
    s.name = "lite0-onnx".into();
    s.mean = [127.0 / 255.0; 3];
    s.std = [128.0 / 255.0; 3];
    s
}

/// The teapot at four viewpoints, `render_size`² pixels: the images and their shape.
fn renders(render_size: u32) -> (Vec<f32>, [usize; 4]) {
    let scene = Scene {
        size: Some(render_size),
        ..Scene::default()
    };
    let (reference, _) = load_classifier(
        &Model::Builtin(Architecture::EfficientNetLite0),
        None,
        LoadOptions::default(),
    )
    .unwrap();
    let f = ClassifierFunction::new(
        load_mesh("fixture:teapot").unwrap(),
        reference,
        849,
        vec![SemanticParam::Azimuth, SemanticParam::Elevation],
        scene,
    )
    .unwrap();
    let points = DMatrix::from_row_slice(4, 2, &[0.0, 35.0, 90.0, 10.0, 200.0, 60.0, 310.0, -5.0]);
    let r = f.render(&points).unwrap();
    let s = r.shape();
    (r.data().to_vec(), [s.batch, s.channels, s.height, s.width])
}

/// Logits of the ONNX network `ours` and of the same network on libtorch, `theirs`, on the
/// same renders (one batch of four): within max |Δ| / max |logit| ≤ 1e-4.
fn scores_as_libtorch(ours: &ScriptModel, theirs: &Model, render_size: u32) {
    let (images, shape) = renders(render_size);
    let batch = ImageBatch::new(&images, shape).unwrap();
    let (onnx, id) = load_classifier(&Model::TorchScript(ours.clone()), None, Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", ours.path.display()));
    assert_eq!(
        Some(id.file.as_str()),
        ours.path.file_name().unwrap().to_str()
    );
    let (torch, _) = load_classifier(theirs, None, LoadOptions::default()).unwrap();
    let a = onnx.logits(batch).unwrap();
    let b = torch.logits(batch).unwrap();
    assert_eq!((a.batch(), a.classes), (4, 1000));
    let rel = max_rel_diff(&a.values, &b.values);
    let scale = b.values.iter().fold(0f32, |m, v| m.max(v.abs()));
    eprintln!(
        "{}: max relative logit difference {rel:.2e} to libtorch (max |logit| {scale:.3})",
        ours.name
    );
    assert!(rel <= 1e-4, "{}: logits differ by {rel:.2e}", ours.name);
    for i in 0..4 {
        assert_eq!(a.top(i, 1)[0].0, b.top(i, 1)[0].0, "render {i}");
    }
}

#[test]
fn an_exported_resnet18_scores_renders_as_libtorch_does() {
    let traced = ScriptModel::imagenet(&exported().join("resnet18.pt"));
    scores_as_libtorch(&onnx("resnet18.onnx"), &Model::TorchScript(traced), 224);
}

#[test]
fn an_exported_mobilenet_v3_small_scores_resized_renders_as_libtorch_does() {
    let traced = ScriptModel::imagenet(&exported().join("mobilenet_v3_small.pt"));
    scores_as_libtorch(
        &onnx("mobilenet_v3_small.onnx"),
        &Model::TorchScript(traced),
        160,
    );
}

#[test]
fn the_pretrained_lite0_exported_to_onnx_scores_as_semrobs_own_lite0() {
    let builtin = Model::Builtin(Architecture::EfficientNetLite0);
    scores_as_libtorch(&lite0("efficientnet-lite0.onnx"), &builtin, 224);
}

#[test]
fn a_graph_with_a_fixed_batch_of_one_runs_batches_image_by_image() {
    let (images, shape) = renders(224);
    let batch = ImageBatch::new(&images, shape).unwrap();
    let one = Classifier::load_script(&onnx("batch1.onnx"), Device::Cpu).unwrap();
    let dynamic = Classifier::load_script(&onnx("resnet18.onnx"), Device::Cpu).unwrap();
    let a = one.logits(batch).unwrap();
    let b = dynamic.logits(batch).unwrap();
    assert_eq!(a.batch(), 4);
    let rel = max_rel_diff(&a.values, &b.values);
    assert!(rel <= 1e-5, "{rel:.2e}");
    // Gradients need autograd, which ONNX Runtime does not have: refused, naming the file.
    let e = one
        .probability_gradient(batch, 849)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("batch1.onnx") && e.contains("no gradients"),
        "{e}"
    );
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_onnx_files_exit_2_naming_the_file_and_the_fault() {
    let dir = exported();
    let image = dir.join("grey.png");
    image::RgbImage::from_pixel(32, 32, image::Rgb([128, 128, 128]))
        .save(&image)
        .unwrap();
    let img = image.to_str().unwrap();
    let refused = |model: &str, want: &[&str]| {
        let args = ["classify", img, "--model", model];
        let o = semrob_in(&args, dir);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        for w in want {
            assert!(e.contains(w), "{args:?}: {e:?} lacks {w:?}");
        }
    };
    refused(
        "onnx:missing.onnx",
        &["ONNX model missing.onnx", "no such file"],
    );
    refused(
        "onnx:not_onnx.onnx",
        &[
            "not_onnx.onnx",
            "not an ONNX file that ONNX Runtime can load",
        ],
    );
    refused(
        "onnx:resnet18_10.onnx",
        &["resnet18_10.onnx", "[1, 10]", "[1, 1000]"],
    );
    refused(
        "onnx:bytes.onnx",
        &["bytes.onnx", "holds u8", "not float32 images"],
    );
    refused(
        "onnx:tuple.onnx",
        &["tuple.onnx", "2 outputs, not one tensor [B, classes]"],
    );
    refused(
        "onnx:flat.onnx",
        &["flat.onnx", "shape [?, 150528], not images [B, 3, H, W]"],
    );
    // A TorchScript file named as ONNX is not an ONNX file.
    refused(
        "onnx:resnet18.pt",
        &["ONNX model resnet18.pt", "not an ONNX file"],
    );

    // The fixed batch of 1 is accepted, with a warning.
    let o = semrob_in(&["classify", img, "--model", "onnx:batch1.onnx"], dir);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("batch of exactly 1"), "{}", stderr(&o));
}

/// The benchmark with an ONNX network: `srvr` runs it end to end with one configuration
/// line, names it and its file's fingerprint in the report, and its map holds the scores
/// libtorch gives the same network (TorchScript) on the same renders.
#[test]
fn srvr_runs_an_onnx_network_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let model = exported().join("resnet18.onnx");
    let config = one_network_config(
        "an ONNX network",
        &format!(
            r#"{{ onnx = "{}", name = "my-resnet18" }}"#,
            model.display()
        ),
    );
    std::fs::write(dir.join("onnx.toml"), config).unwrap();
    let o = semrob_in(&["srvr", "onnx.toml", "--results", "r", "--json"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let net = &report["networks"][0];
    assert_eq!(net["network"], "my-resnet18");
    assert_eq!(net["weights"]["file"], "resnet18.onnx");
    let bytes = std::fs::read(&model).unwrap();
    assert_eq!(net["weights"]["sha256"], Fingerprint::of(&bytes).as_str());

    // The map's four azimuths, scored by the same network on libtorch.
    let grid =
        semrob::semantic::Grid::read(&dir.join("r/maps/my-resnet18/vase/vase.json")).unwrap();
    let azimuths = grid.axes()[0].values.clone();
    assert_eq!(azimuths.len(), 4);
    let traced = ScriptModel::imagenet(&exported().join("resnet18.pt"));
    let (torch, _) =
        load_classifier(&Model::TorchScript(traced), None, LoadOptions::default()).unwrap();
    let scene = Scene {
        size: Some(112),
        supersampling: 1,
        ..Scene::default()
    };
    let f = ClassifierFunction::new(
        load_mesh("fixture:vase").unwrap(),
        torch,
        883,
        vec![SemanticParam::Azimuth],
        scene,
    )
    .unwrap();
    let points = DMatrix::from_column_slice(4, 1, &azimuths);
    let theirs = f.scores(&points).unwrap().probability;
    for (i, p) in theirs.iter().enumerate() {
        let v = grid.values()[i];
        // |Δp| ≤ 2·max|Δlogit|·p; logits of this network are within ±30.
        assert!(
            (v - p).abs() <= 2.0 * 30.0 * 1e-4 * p + 1e-7,
            "azimuth {}: ONNX map {v} vs libtorch {p}",
            azimuths[i]
        );
    }
}
