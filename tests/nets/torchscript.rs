//! The user's own network as a TorchScript file: torchvision models traced by the pinned
//! PyTorch score semrob's renders as PyTorch does, and every way a file can be wrong exits 2
//! through the binary, naming the file and what is wrong.
#![cfg(feature = "torch")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use nalgebra::DMatrix;
use semrob::analysis::network_function::inputs::{load_classifier, load_mesh, Fingerprint};
use semrob::analysis::network_function::ClassifierFunction;
use semrob::nets::{Classifier, Device, ImageBatch, LoadOptions, Model, ScriptModel, ScriptOutput};
use semrob::render::Scene;
use semrob::semantic::SemanticParam;

use crate::support::{max_rel_diff, ROOT};
use crate::support::{one_network_config, semrob_in};

const SCRIPT: &str = "tests/python/torchscript.py";

fn python() -> PathBuf {
    let python = Path::new(ROOT).join(".venv-torch/bin/python");
    assert!(
        python.exists(),
        "the TorchScript tests need the pinned Python torch in .venv-torch: run \
         scripts/setup-test-python.sh"
    );
    python
}

/// The folder of TorchScript files, written once per version of the script (20 s, 240 MB
/// under target/tmp).
fn scripts() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let text = std::fs::read(Path::new(ROOT).join(SCRIPT)).expect(SCRIPT);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("torchscript-{}", &Fingerprint::of(&text)[..16]));
        if !dir.join("complete").exists() {
            let status = Command::new(python())
                .arg(SCRIPT)
                .arg("make")
                .arg(&dir)
                .current_dir(ROOT)
                .status()
                .expect("running torchscript.py");
            assert!(status.success(), "torchscript.py make failed");
        }
        dir
    })
}

/// PyTorch's output rows for `images` (`[B, 3, H, W]`) through the TorchScript file `model`
/// with the default declaration (torchvision's normalisation, input `size`).
fn pytorch_rows(model: &Path, images: &[f32], shape: [usize; 4], size: usize) -> Vec<f32> {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.f32"), dir.path().join("out.f32"));
    let bytes: Vec<u8> = images.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&input, bytes).unwrap();
    let [b, _, h, w] = shape;
    let status = Command::new(python())
        .arg(SCRIPT)
        .arg("eval")
        .arg(model)
        .arg(&input)
        .args([b, h, w, size].map(|n| n.to_string()))
        .arg(&output)
        .current_dir(ROOT)
        .status()
        .expect("running torchscript.py eval");
    assert!(status.success(), "torchscript.py eval failed");
    std::fs::read(&output)
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn softmax(row: &[f32]) -> Vec<f64> {
    let m = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let e: Vec<f64> = row.iter().map(|&v| f64::from(v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Renders of the teapot at four viewpoints scored by the TorchScript file through semrob's
/// function of interest, against PyTorch on the very same renders: logits within the parity
/// tolerance (max |Δ| / max |logit| ≤ 1e-4, as tests/nets/parity.rs), and each probability
/// within what that logit difference allows (|Δp| ≤ 2·max|Δlogit|·p, plus rounding).
fn renders_score_as_in_pytorch(file: &str, render_size: u32) {
    let path = scripts().join(file);
    let model = Model::TorchScript(ScriptModel::imagenet(&path));
    let (classifier, id) = load_classifier(&model, None, LoadOptions::default()).unwrap();
    assert_eq!(id.file, file);
    let label = 849;
    let scene = Scene {
        size: Some(render_size),
        ..Scene::default()
    };
    let params = vec![SemanticParam::Azimuth, SemanticParam::Elevation];
    let f = ClassifierFunction::new(
        load_mesh("fixture:teapot").unwrap(),
        classifier,
        label,
        params,
        scene,
    )
    .unwrap();
    let points = DMatrix::from_row_slice(4, 2, &[0.0, 35.0, 90.0, 10.0, 200.0, 60.0, 310.0, -5.0]);
    let ours = f.scores(&points).unwrap().probability;
    let renders = f.render(&points).unwrap();
    let s = renders.shape();
    let shape = [s.batch, s.channels, s.height, s.width];
    let theirs = pytorch_rows(&path, renders.data(), shape, 224);

    // The logits through the classifier itself, on the same renders.
    let (classifier, _) = load_classifier(&model, None, LoadOptions::default()).unwrap();
    let logits = classifier
        .logits(ImageBatch::new(renders.data(), shape).unwrap())
        .unwrap();
    let rel = max_rel_diff(&logits.values, &theirs);
    let scale = theirs.iter().fold(0f32, |m, v| m.max(v.abs()));
    eprintln!("{file}: max relative logit difference {rel:.2e} (max |logit| {scale:.3})");
    assert!(
        rel <= 1e-4,
        "{file}: logits differ by {rel:.2e} of their scale"
    );
    let dlogit = f64::from(rel * scale);
    for (i, row) in theirs.chunks_exact(1000).enumerate() {
        let p = softmax(row)[label];
        let bound = 2.0 * dlogit * p + 1e-7;
        assert!(
            (ours[i] - p).abs() <= bound,
            "{file}, render {i}: semrob {} vs PyTorch {p} (bound {bound:.2e})",
            ours[i]
        );
    }
}

#[test]
fn a_traced_resnet18_scores_semrobs_renders_as_pytorch_does() {
    renders_score_as_in_pytorch("resnet18.pt", 224);
}

#[test]
fn a_traced_mobilenet_v3_small_scores_resized_renders_as_pytorch_does() {
    // 160-pixel renders: both sides resize them to 224 the same way.
    renders_score_as_in_pytorch("mobilenet_v3_small.pt", 160);
}

#[test]
fn declared_probabilities_and_class_counts_are_used_as_declared() {
    let declared = |file: &str, output| {
        let mut s = ScriptModel::imagenet(&scripts().join(file));
        s.classes = 10;
        s.output = output;
        s
    };
    let logits = Classifier::load_script(
        &declared("resnet18_10.pt", ScriptOutput::Logits),
        Device::Cpu,
    )
    .unwrap();
    let probs = Classifier::load_script(
        &declared("softmax10.pt", ScriptOutput::Probabilities),
        Device::Cpu,
    )
    .unwrap();
    let image: Vec<f32> = (0..3 * 64 * 64).map(|i| (i % 97) as f32 / 97.0).collect();
    let batch = ImageBatch::new(&image, [1, 3, 64, 64]).unwrap();
    let a = logits.probabilities(batch).unwrap();
    let b = probs.probabilities(batch).unwrap();
    assert_eq!((a.classes, b.classes), (10, 10));
    assert_eq!(a.values.len(), 10);
    // The same network: softmax of the logits = the module's own probabilities.
    let diff = a
        .values
        .iter()
        .zip(&b.values)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(diff <= 1e-6, "{:?} vs {:?}", a.values, b.values);
    // A network declared to output probabilities whose rows are logits is refused.
    let e = Classifier::load_script(
        &declared("resnet18_10.pt", ScriptOutput::Probabilities),
        Device::Cpu,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("resnet18_10.pt") && e.contains("sums to"), "{e}");
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `semrob ARGS` must exit 2 with a message holding every one of `want`.
fn refused(args: &[&str], want: &[&str]) {
    let o = semrob_in(args, scripts());
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    for w in want {
        assert!(e.contains(w), "{args:?}: {e:?} lacks {w:?}");
    }
}

#[test]
fn bad_torchscript_files_exit_2_naming_the_file_and_the_fault() {
    let dir = scripts();
    let image = dir.join("grey.png");
    image::RgbImage::from_pixel(32, 32, image::Rgb([128, 128, 128]))
        .save(&image)
        .unwrap();
    let img = image.to_str().unwrap();
    let classify = |model: &str, extra: &[&str], want: &[&str]| {
        let mut args = vec!["classify", img, "--model", model];
        args.extend_from_slice(extra);
        refused(&args, want);
    };
    classify(
        "torchscript:tuple.pt",
        &[],
        &["tuple.pt", "a tuple of 2 values"],
    );
    classify(
        "torchscript:resnet18_10.pt",
        &[],
        &["resnet18_10.pt", "[1, 10]", "[1, 1000]"],
    );
    classify(
        "torchscript:state_dict.pt",
        &[],
        &["state_dict.pt", "not a TorchScript file"],
    );
    classify(
        "torchscript:fixed32.pt",
        &[],
        &["fixed32.pt", "rejects an input [1, 3, 224, 224]"],
    );
    classify(
        "torchscript:missing.pt",
        &[],
        &["missing.pt", "no such file"],
    );
    classify(
        "torchscript:resnet18.pt",
        &["--input-size", "0"],
        &["resnet18.pt", "input_size 0"],
    );
    classify(
        "efficientnet-lite0",
        &["--classes", "10"],
        &["--classes", "TorchScript"],
    );
    classify(
        "torchscript:resnet18.pt",
        &["--weights", "x.pth"],
        &["resnet18.pt", "x.pth", "holds the weights"],
    );
    // A label outside the network's classes, before anything is rendered.
    refused(
        &[
            "map",
            "fixture:vase",
            "--model",
            "torchscript:resnet18_10.pt",
            "--classes",
            "10",
            "--label",
            "50",
            "--map-axes",
            "azimuth:0:360:180",
        ],
        &["--label 50", "resnet18_10", "0–9"],
    );
}

#[test]
fn classify_prints_a_torchscript_networks_classes_as_a_builtin_ones() {
    let dir = scripts();
    let image = dir.join("ramp.png");
    image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(6 * x) as u8, (8 * y) as u8, 90])
    })
    .save(&image)
    .unwrap();
    let run = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["classify", image.to_str().unwrap(), "--json", "--top", "3"];
        args.extend_from_slice(extra);
        let o = semrob_in(&args, dir);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let imagenet = run(&["--model", "torchscript:resnet18.pt"]);
    let top = &imagenet[0]["top"];
    assert_eq!(top.as_array().unwrap().len(), 3);
    let k = top[0]["index"].as_u64().unwrap() as usize;
    assert_eq!(top[0]["name"], semrob::nets::imagenet_classes()[k]);
    let ten = run(&[
        "--model",
        "torchscript:softmax10.pt",
        "--classes",
        "10",
        "--output",
        "probabilities",
    ]);
    let top = &ten[0]["top"];
    assert!(top[0]["index"].as_u64().unwrap() < 10);
    assert!(top[0]["name"].is_null(), "{top}");
}

/// The benchmark with a TorchScript network: `srvr` runs it end to end, names it and its
/// file's fingerprint in the report, and its maps hold PyTorch's scores of semrob's renders.
#[test]
fn srvr_runs_a_traced_network_end_to_end_with_pytorchs_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let model = scripts().join("resnet18.pt");
    let config = one_network_config(
        "a TorchScript network",
        &format!(
            r#"{{ torchscript = "{}", name = "my-resnet18" }}"#,
            model.display()
        ),
    );
    std::fs::write(dir.join("ts.toml"), config).unwrap();
    let o = semrob_in(&["srvr", "ts.toml", "--results", "r", "--json"], dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let net = &report["networks"][0];
    assert_eq!(net["network"], "my-resnet18");
    assert_eq!(net["weights"]["file"], "resnet18.pt");
    let page = std::fs::read_to_string(dir.join("r/report.html")).unwrap();
    assert!(page.contains("my-resnet18") && page.contains("resnet18.pt"));

    // The job's map: four azimuths, scored as PyTorch scores the same renders.
    let grid =
        semrob::semantic::Grid::read(&dir.join("r/maps/my-resnet18/vase/vase.json")).unwrap();
    let azimuths = grid.axes()[0].values.clone();
    assert_eq!(azimuths.len(), 4);
    let scene = Scene {
        size: Some(112),
        supersampling: 1,
        ..Scene::default()
    };
    let f = ClassifierFunction::new(
        load_mesh("fixture:vase").unwrap(),
        load_classifier(
            &Model::TorchScript(ScriptModel::imagenet(&model)),
            None,
            LoadOptions::default(),
        )
        .unwrap()
        .0,
        883,
        vec![SemanticParam::Azimuth],
        scene,
    )
    .unwrap();
    let renders = f
        .render(&DMatrix::from_column_slice(4, 1, &azimuths))
        .unwrap();
    let s = renders.shape();
    let theirs = pytorch_rows(&model, renders.data(), [s.batch, 3, s.height, s.width], 224);
    for (i, row) in theirs.chunks_exact(1000).enumerate() {
        let p = softmax(row)[883];
        let v = grid.values()[i];
        assert!(
            (v - p).abs() <= 1e-4 * p + 1e-7,
            "azimuth {}: map {v} vs PyTorch {p}",
            azimuths[i]
        );
    }
}
