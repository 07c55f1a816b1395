//! Inference time per network on CPU at batch 1, 8 and 32 (probabilities of a [B,3,S,S]
//! batch at the network's own input size S, the way the region methods call it).
//!
//! The EfficientNet-Lite models use their pretrained weights when scripts/setup.sh has
//! fetched them; the torchvision networks use a random init (timing does not depend on the
//! weight values). Batch 32 of resnet50, vgg11-bn and inception-v3 takes seconds per batch
//! on 2 cores and is skipped unless SEMROB_BENCH_FULL=1. Compare with PyTorch eager:
//! scripts/peers/classify_torch.py (same weights, batch and threads; SEMROB_BENCH_THREADS=n
//! sets libtorch's thread count here, `--threads n` there).
//!
//! The `layout` group times Lite0 and ResNet50 at batch 32 in each memory format (batch norm
//! folded in both), the measurement behind `MemoryFormat::preferred`; the `fold` group times
//! them as loaded now (folded, preferred layout) against the checkpoint's own layers
//! (`LoadOptions::keep_batch_norm`, contiguous).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use semrob::nets::{Architecture, Classifier, Device, ImageBatch, LoadOptions, MemoryFormat};

fn classifier(arch: Architecture, options: LoadOptions) -> Classifier {
    match arch.default_weights() {
        Some(path) if path.exists() => Classifier::load(arch, &path, options).unwrap(),
        _ => Classifier::untrained(arch, options).unwrap(),
    }
}

/// A deterministic image-like pattern in [0, 1], `batch` images of side `s`.
fn images(batch: usize, s: usize) -> Vec<f32> {
    (0..batch * 3 * s * s)
        .map(|i| ((i * 7919) % 1000) as f32 / 999.0)
        .collect()
}

fn set_threads() {
    if let Some(n) = std::env::var("SEMROB_BENCH_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        tch::set_num_threads(n);
    }
    eprintln!("libtorch intra-op threads: {}", tch::get_num_threads());
}

fn inference(c: &mut Criterion) {
    let full = std::env::var_os("SEMROB_BENCH_FULL").is_some();
    set_threads();
    let mut group = c.benchmark_group("nets");
    group.sample_size(10);
    for arch in Architecture::ALL {
        let net = classifier(arch, Device::Cpu.into());
        let s = arch.input_size();
        for batch in [1, 8, 32] {
            let heavy = matches!(
                arch,
                Architecture::ResNet50 | Architecture::Vgg11Bn | Architecture::InceptionV3
            );
            if batch == 32 && heavy && !full {
                continue;
            }
            let data = images(batch, s);
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(BenchmarkId::new(arch.name(), batch), &data, |b, data| {
                b.iter(|| {
                    net.probabilities(ImageBatch::new(data, [batch, 3, s, s]).unwrap())
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

/// Lite0 and ResNet50 at batch 32, each loaded in every way of `variants`, one group.
fn load_variants(c: &mut Criterion, group: &str, variants: &[(&str, LoadOptions)]) {
    set_threads();
    let mut group = c.benchmark_group(group);
    group.sample_size(10);
    let batch = 32;
    for arch in [Architecture::EfficientNetLite0, Architecture::ResNet50] {
        let s = arch.input_size();
        let data = images(batch, s);
        for &(name, options) in variants {
            let net = classifier(arch, options);
            let id = BenchmarkId::new(format!("{}-{name}", arch.name()), batch);
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(id, &data, |b, data| {
                b.iter(|| {
                    net.probabilities(ImageBatch::new(data, [batch, 3, s, s]).unwrap())
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

/// Each memory format forced, batch norm folded in both.
fn layout(c: &mut Criterion) {
    let forced = |format| LoadOptions {
        memory_format: Some(format),
        ..LoadOptions::default()
    };
    load_variants(
        c,
        "layout",
        &[
            ("contiguous", forced(MemoryFormat::Contiguous)),
            ("channels-last", forced(MemoryFormat::ChannelsLast)),
        ],
    );
}

/// Batch norm folded at load and the preferred layout (what `Classifier::load` does now)
/// against the network as the checkpoint spells it (separate batch norms, contiguous: the
/// classifier before issue 20), in one binary and one session, so both see the same machine.
fn folding(c: &mut Criterion) {
    let before = LoadOptions {
        keep_batch_norm: true,
        memory_format: Some(MemoryFormat::Contiguous),
        ..LoadOptions::default()
    };
    load_variants(
        c,
        "fold",
        &[
            ("separate-contiguous", before),
            ("folded-preferred", LoadOptions::default()),
        ],
    );
}

criterion_group!(benches, inference, layout, folding);
criterion_main!(benches);
