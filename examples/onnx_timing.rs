//! The same networks on ONNX Runtime and on libtorch, CPU, f32: milliseconds per batch of
//! 224² images (median of the timed runs after two untimed ones; the two runtimes' runs
//! interleaved, so that both see the same load), batch 1/8/32, 1 and 2 threads (libtorch's intra-op threads; an ONNX network takes the same count when loaded).
//!
//! ResNet18: the same weights exported by `torch.onnx.export` and traced to TorchScript.
//! EfficientNet-Lite0: the pretrained weights exported to ONNX, against semrob's own Lite0
//! (batch norm folded, channels-last: the fastest semrob has on libtorch).
//!
//!     .venv-torch/bin/python tests/python/onnx_export.py make DIR
//!     cargo run --release --example onnx_timing -- DIR [SECONDS_PER_CELL]
//!
//! Prints a Markdown table (BENCHMARKS.md, "ONNX Runtime against libtorch").

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use semrob::nets::{Architecture, Classifier, Device, ImageBatch, Model, NetFormat, ScriptModel};

/// Median milliseconds per batch of `a` and of `b`, their runs interleaved (a, b, a, b, ...)
/// so that both see the same load.
fn median_ms(
    a: &Classifier,
    b: &Classifier,
    images: &[f32],
    batch: usize,
    budget: Duration,
) -> (f64, f64) {
    let shape = [batch, 3, 224, 224];
    let time = |c: &Classifier| {
        let t = Instant::now();
        c.logits(ImageBatch::new(images, shape).unwrap()).unwrap();
        t.elapsed().as_secs_f64() * 1e3
    };
    for _ in 0..2 {
        time(a);
        time(b);
    }
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while ta.len() < 5 || (start.elapsed() < budget && ta.len() < 200) {
        ta.push(time(a));
        tb.push(time(b));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(ta), median(tb))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .expect("usage: onnx_timing DIR [SECONDS_PER_CELL]"),
    );
    let budget = Duration::from_secs_f64(args.next().map_or(3.0, |s| s.parse().unwrap()));
    let file = |name: &str| -> PathBuf {
        let p = dir.join(name);
        assert!(
            p.is_file(),
            "{}: run tests/python/onnx_export.py make DIR",
            p.display()
        );
        p
    };
    let onnx = |p: &Path| ScriptModel::imagenet_as(NetFormat::Onnx, p);
    let mut lite0 = onnx(&file("efficientnet-lite0.onnx"));
    lite0.mean = [127.0 / 255.0; 3];
    lite0.std = [128.0 / 255.0; 3];
    let networks = [
        (
            "ResNet18",
            onnx(&file("resnet18.onnx")),
            Model::TorchScript(ScriptModel::imagenet(&file("resnet18.pt"))),
            "TorchScript",
        ),
        (
            "EfficientNet-Lite0",
            lite0,
            Model::Builtin(Architecture::EfficientNetLite0),
            "semrob's own",
        ),
    ];
    let batches = [1usize, 8, 32];
    let images: Vec<f32> = (0..32 * 3 * 224 * 224usize)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0)
        .collect();
    println!("| network | libtorch as | threads | batch | libtorch ms | ONNX Runtime ms | libtorch / ONNX Runtime |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for threads in [1, 2] {
        tch::set_num_threads(threads);
        for (name, ours, theirs, how) in &networks {
            let o = Classifier::load_script(ours, Device::Cpu).unwrap();
            let t = match theirs {
                Model::Builtin(a) => Classifier::load_default(*a, Device::Cpu).unwrap(),
                Model::TorchScript(s) => Classifier::load_script(s, Device::Cpu).unwrap(),
            };
            for &b in &batches {
                let n = b * 3 * 224 * 224;
                let (lt, ort) = median_ms(&t, &o, &images[..n], b, budget);
                println!(
                    "| {name} | {how} | {threads} | {b} | {lt:.1} | {ort:.1} | {:.2}× |",
                    lt / ort
                );
            }
        }
    }
}
