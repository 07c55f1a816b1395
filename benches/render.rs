//! Renderer speed: one 224² image (2× supersampling) against face count, on one thread and on
//! all threads, and a batch of 8 views. The azimuth changes every frame, as in PEERS.md.
//!
//!     cargo bench --no-default-features --bench render -- --warm-up-time 1 --measurement-time 3
//!
//! With the `torch` feature (the default), the `tensor` group compares the tensor renderer on
//! CPU libtorch with the CPU renderer, images per second on a batch of 32 views:
//!
//!     cargo bench --bench render -- --warm-up-time 1 --measurement-time 5 tensor
//!
//! Meshes: the peers' three (teapot, chair 341fcdd8…, piano c86b1da5…), the shared ShapeNet
//! meshes closest to 1k, 5k, 20k and 40k faces, and two procedural fixtures. Shared meshes are
//! skipped (with a message) where ../shared is absent.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use semrob::render::dataset::Dataset;
use semrob::render::{fixtures, Mesh, RenderOptions, Renderer, View};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn meshes() -> Vec<(String, Mesh)> {
    let mut out = Vec::new();
    for name in ["vase", "teapot"] {
        out.push((
            format!("fixture-{name}"),
            fixtures::by_name(name).expect("fixture"),
        ));
    }
    let data = Path::new(DATA);
    if !data.exists() {
        eprintln!("render bench: {DATA} is absent; benchmarking the fixtures only");
        return out;
    }
    let teapot = Mesh::load_obj(data.join("extra/teapot.obj")).expect("teapot");
    out.push(("teapot".into(), teapot));
    let set = Dataset::open(data.join("shapenet10")).expect("shapenet10");
    let mut all: Vec<(String, Mesh)> = set
        .present()
        .map(|(class, shape)| {
            let mesh = Mesh::load_obj(
                set.root()
                    .join(&class.name)
                    .join(&shape.id)
                    .join(semrob::render::dataset::MODEL_FILE),
            )
            .expect("shared mesh");
            (format!("{}-{}", class.name, &shape.id[..8]), mesh)
        })
        .collect();
    for id in ["chair-341fcdd8", "piano-c86b1da5"] {
        if let Some(i) = all.iter().position(|(n, _)| n == id) {
            out.push(all.swap_remove(i));
        }
    }
    for target in [1_000usize, 5_000, 20_000, 40_000] {
        if let Some(i) = (0..all.len()).min_by_key(|&i| all[i].1.faces().len().abs_diff(target)) {
            out.push(all.swap_remove(i));
        }
    }
    out.sort_by_key(|(_, m)| m.faces().len());
    out
}

fn single(c: &mut Criterion) {
    let meshes = meshes();
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let threads = rayon::current_num_threads();
    for (label, pool) in [("1 thread", Some(&one)), ("all threads", None)] {
        let mut group = c.benchmark_group(format!("render 224² ss2, {label}"));
        for (name, mesh) in &meshes {
            let id = BenchmarkId::new(name.as_str(), mesh.faces().len());
            let mut azimuth = 0.0;
            let mut frame = || {
                azimuth = (azimuth + 7.0) % 360.0;
                black_box(renderer.render(mesh, &View::new(azimuth, 35.0)).unwrap());
            };
            group.bench_function(id, |b| match pool {
                Some(p) => p.install(|| b.iter(&mut frame)),
                None => b.iter(&mut frame),
            });
        }
        group.finish();
    }
    eprintln!("render bench: all threads = {threads}");
}

fn batch(c: &mut Criterion) {
    let meshes = meshes();
    let renderer = Renderer::new(RenderOptions::default()).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let views: Vec<View> = (0..8).map(|k| View::new(45.0 * k as f64, 35.0)).collect();
    let mut group = c.benchmark_group("batch of 8 views 224² ss2");
    for (name, mesh) in meshes
        .iter()
        .filter(|(n, _)| n == "teapot" || n.starts_with("chair-341") || n.starts_with("piano-c86"))
    {
        group.bench_function(
            BenchmarkId::new(format!("{name} 1 thread"), mesh.faces().len()),
            |b| one.install(|| b.iter(|| black_box(renderer.render_batch(mesh, &views).unwrap()))),
        );
        group.bench_function(
            BenchmarkId::new(format!("{name} all threads"), mesh.faces().len()),
            |b| b.iter(|| black_box(renderer.render_batch(mesh, &views).unwrap())),
        );
    }
    group.finish();
}

/// The tensor renderer on CPU libtorch against the CPU renderer (all threads): one batch of 32
/// views around the mesh, 224², 2× supersampling, on a fixture and the peers' ShapeNet chair.
/// Throughput is in images (elements) per second.
#[cfg(feature = "torch")]
fn tensor(c: &mut Criterion) {
    use criterion::Throughput;
    use semrob::render::TensorRenderer;
    let meshes = meshes();
    let options = RenderOptions::default();
    let cpu = Renderer::new(options).unwrap();
    let tensor = TensorRenderer::new(options, tch::Device::Cpu).unwrap();
    let views: Vec<View> = (0..32).map(|k| View::new(11.25 * k as f64, 35.0)).collect();
    let mut group = c.benchmark_group("tensor vs cpu renderer, batch of 32 views 224² ss2");
    group.sample_size(10);
    group.throughput(Throughput::Elements(views.len() as u64));
    for (name, mesh) in meshes
        .iter()
        .filter(|(n, _)| n == "fixture-teapot" || n.starts_with("chair-341"))
    {
        let faces = mesh.faces().len();
        group.bench_function(
            BenchmarkId::new(format!("{name} cpu renderer"), faces),
            |b| b.iter(|| black_box(cpu.render_batch(mesh, &views).unwrap())),
        );
        group.bench_function(
            BenchmarkId::new(format!("{name} tensor cpu-libtorch"), faces),
            |b| b.iter(|| black_box(tensor.render_batch(mesh, &views).unwrap())),
        );
    }
    group.finish();
    eprintln!(
        "render bench: libtorch threads = {}, rayon threads = {}",
        tch::get_num_threads(),
        rayon::current_num_threads()
    );
}

#[cfg(not(feature = "torch"))]
fn tensor(_: &mut Criterion) {}

criterion_group!(benches, single, batch, tensor);
criterion_main!(benches);
