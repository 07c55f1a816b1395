//! The hot loop of the region methods on a real network: render + classify one batch of
//! region corners for EfficientNet-Lite0 on CPU (and CUDA when one is visible), at the
//! paper's render settings (224², 2× supersampling, the vase fixture).
//!
//! * 8 points: one OIR step in 2-D (inner + outer corners), the paper's unit of work.
//! * 16 points: one OIR step in 3-D, or two runs' steps batched together.
//! * 24 points: one OIR_W step in 2-D: 8 corners + 2n = 4 central-difference neighbours
//!   of each of the 4 inner corners.
//!
//! * 96 and 288 points (issue 12): one lockstep round of a 2-D job's 12 runs (4 starts × 3
//!   methods, 8 corners each), and the same with OIR_W's finite differences (24 a run), as
//!   ONE network batch (`lite0-cpu/render+classify/N`) and in network batches of 32 with the
//!   next batch rendering meanwhile (`lite0-cpu/pipelined-32/N`).
//! * `lite0-cpu/classify-only/32`: the network alone on 32 images rendered beforehand, the
//!   figure the pipelined ones are held to (issue 12: a map's throughput within 10 % of the
//!   classifier's).
//!
//! The process is set up as `semrob` sets itself up: glibc keeps freed batch buffers
//! (`runtime::tune_allocator`) and libtorch and the renderer split the cores
//! (`runtime::ThreadPlan`). `SEMROB_BENCH_UNTUNED=1` skips the allocator setting, to measure
//! what it saves.
//!
//! Also the 1-D acceptance map of the embedded default (azimuth every 30°, 12 points, one
//! batch) as `map-azimuth-30deg`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nalgebra::DMatrix;
use semrob::analysis::maps::map::sample_map;
use semrob::analysis::network_function::inputs::load_mesh;
use semrob::analysis::network_function::{BatchSize, ClassifierFunction};
use semrob::nets::{Architecture, Classifier, Device};
use semrob::region::Region;
use semrob::render::Scene;
use semrob::runtime::{cores, ThreadPlan};
use semrob::semantic::SemanticFunction;
use semrob::semantic::{AxisSpec, SemanticParam};

fn set_up_process(device: Device) {
    if std::env::var_os("SEMROB_BENCH_UNTUNED").is_none() {
        semrob::runtime::tune_allocator();
    }
    let plan = ThreadPlan::for_machine(cores(), device == Device::Cuda);
    plan.install();
    eprintln!("e2e bench: {plan:?}");
}

fn function(device: Device) -> Option<ClassifierFunction> {
    let arch = Architecture::EfficientNetLite0;
    let path = arch.default_weights()?;
    let classifier = Classifier::load(arch, &path, device).ok()?;
    ClassifierFunction::new(
        load_mesh("fixture:vase").unwrap(),
        classifier,
        883,
        vec![SemanticParam::Azimuth, SemanticParam::Elevation],
        Scene::default(),
    )
    .ok()
}

fn corners(count: usize) -> DMatrix<f64> {
    // Corners of boxes around the paper's first start (130°, 30°), repeated as needed.
    let inner = Region::new(vec![120.0, 25.0], vec![140.0, 35.0]).unwrap();
    let c = inner.corners();
    let outer = inner.outer(0.05).corners();
    DMatrix::from_fn(count, 2, |j, i| {
        let src = if (j / 4) % 2 == 0 { &c } else { &outer };
        src[(j % 4, i)] + (j / 8) as f64 * 0.5
    })
}

fn hot_loop(c: &mut Criterion) {
    let mut group = c.benchmark_group("e2e");
    group.sample_size(10);
    let mut devices = vec![("cpu", Device::Cpu)];
    if tch::Cuda::is_available() {
        devices.push(("cuda", Device::Cuda));
    }
    set_up_process(Device::Cpu);
    for (name, device) in devices {
        let Some(f) = function(device) else {
            eprintln!("e2e bench: Lite0 weights missing (scripts/setup.sh); skipped");
            return;
        };
        let mut f = f.with_batch(BatchSize::new(288).unwrap());
        for count in [8usize, 16, 24, 96, 288] {
            let points = corners(count);
            group.throughput(Throughput::Elements(count as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("lite0-{name}/render+classify"), count),
                &points,
                |b, p| b.iter(|| f.evaluate(p, 0).unwrap()),
            );
        }
        f = f.with_batch(BatchSize::DEFAULT);
        for count in [96usize, 288] {
            let points = corners(count);
            group.throughput(Throughput::Elements(count as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("lite0-{name}/pipelined-32"), count),
                &points,
                |b, p| b.iter(|| f.evaluate(p, 0).unwrap()),
            );
        }
        // The network alone on 32 images rendered beforehand: what the pipelined figures
        // above are measured against (rendering hidden behind the network when they match).
        let images = f.render(&corners(32)).unwrap();
        group.throughput(Throughput::Elements(32));
        group.bench_with_input(
            BenchmarkId::new(format!("lite0-{name}/classify-only"), 32),
            &images,
            |b, im| b.iter(|| f.classify_images(im).unwrap()),
        );
        let specs = [AxisSpec::parse("azimuth:0:360:30").unwrap()];
        let one_d = ClassifierFunction::new(
            load_mesh("fixture:vase").unwrap(),
            Classifier::load_default(Architecture::EfficientNetLite0, device).unwrap(),
            883,
            vec![SemanticParam::Azimuth],
            Scene::default(),
        )
        .unwrap();
        group.throughput(Throughput::Elements(12));
        group.bench_function(format!("lite0-{name}/map-azimuth-30deg"), |b| {
            b.iter(|| sample_map(&one_d, &specs, 16, serde_json::Value::Null, &mut |_| {}).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, hot_loop);
criterion_main!(benches);
