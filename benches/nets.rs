//! Inference time per network on CPU at batch 1, 8 and 32 (probabilities of a [B,3,S,S]
//! batch at the network's own input size S, the way the region methods call it).
//!
//! The EfficientNet-Lite models use their pretrained weights when scripts/setup.sh has
//! fetched them; the torchvision networks use a random init (timing does not depend on the
//! weight values). Batch 32 of resnet50, vgg11-bn and inception-v3 takes seconds per batch
//! on 2 cores and is skipped unless SEMROB_BENCH_FULL=1. Compare with PyTorch eager:
//! scripts/peers/classify_torch.py (same weights, batch and threads; SEMROB_BENCH_THREADS=n
//! sets libtorch's thread count here, `--threads n` there).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use semrob::nets::{Architecture, Classifier, Device, ImageBatch};

fn classifier(arch: Architecture) -> Classifier {
    match arch.default_weights() {
        Some(path) if path.exists() => Classifier::load(arch, &path, Device::Cpu).unwrap(),
        _ => Classifier::untrained(arch, Device::Cpu).unwrap(),
    }
}

fn inference(c: &mut Criterion) {
    let full = std::env::var_os("SEMROB_BENCH_FULL").is_some();
    if let Some(n) = std::env::var("SEMROB_BENCH_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        tch::set_num_threads(n);
    }
    eprintln!("libtorch intra-op threads: {}", tch::get_num_threads());
    let mut group = c.benchmark_group("nets");
    group.sample_size(10);
    for arch in Architecture::ALL {
        let net = classifier(arch);
        let s = arch.input_size();
        for batch in [1, 8, 32] {
            let heavy = matches!(
                arch,
                Architecture::ResNet50 | Architecture::Vgg11Bn | Architecture::InceptionV3
            );
            if batch == 32 && heavy && !full {
                continue;
            }
            // A deterministic image-like pattern in [0, 1].
            let data: Vec<f32> = (0..batch * 3 * s * s)
                .map(|i| ((i * 7919) % 1000) as f32 / 999.0)
                .collect();
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

criterion_group!(benches, inference);
criterion_main!(benches);
