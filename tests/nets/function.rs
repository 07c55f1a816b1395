//! The function of interest on a real network: one batch per call, gradients by central
//! differences that are stable on real renders, and the same values as a map.
#![cfg(feature = "torch")]

use nalgebra::DMatrix;
use semrob::analysis::network_function::inputs::load_mesh;
use semrob::analysis::network_function::{BatchSize, ClassifierFunction};
use semrob::nets::{Architecture, Classifier, Device};
use semrob::render::Scene;
use semrob::semantic::finite_difference::FiniteDifference;
use semrob::semantic::SemanticFunction;
use semrob::semantic::SemanticParam;
use std::sync::{Arc, Mutex};

/// Lite0 on the CPU, to be shared by jobs in lockstep.
fn shared_lite0() -> Arc<Mutex<Classifier>> {
    Arc::new(Mutex::new(
        Classifier::load_default(Architecture::EfficientNetLite0, Device::Cpu)
            .expect("scripts/setup.sh fetches the Lite0 weights"),
    ))
}

/// A `fixture` job over (azimuth, elevation) on the shared `classifier`.
fn shared_job(
    classifier: &Arc<Mutex<Classifier>>,
    scene: Scene,
    fixture: &str,
    label: usize,
) -> ClassifierFunction {
    let params = vec![SemanticParam::Azimuth, SemanticParam::Elevation];
    ClassifierFunction::shared(
        load_mesh(fixture).unwrap(),
        classifier.clone(),
        label,
        params,
        scene,
    )
    .unwrap()
}

fn vase_lite0(params: Vec<SemanticParam>) -> ClassifierFunction {
    let classifier = Classifier::load_default(Architecture::EfficientNetLite0, Device::Cpu)
        .expect("scripts/setup.sh fetches the Lite0 weights");
    ClassifierFunction::new(
        load_mesh("fixture:vase").unwrap(),
        classifier,
        883,
        params,
        Scene::default(),
    )
    .unwrap()
}

#[test]
fn finite_difference_gradients_are_stable_on_real_renders() {
    let f = vase_lite0(vec![SemanticParam::Azimuth, SemanticParam::Elevation]);
    let points = DMatrix::from_row_slice(3, 2, &[130.0, 30.0, 50.0, 20.0, 310.0, 50.0]);
    let grads: Vec<DMatrix<f64>> = [0.25, 0.5, 1.0, 2.0]
        .iter()
        .map(|&h| {
            let fd = FiniteDifference::uniform(&f, h).unwrap();
            fd.evaluate(&points, 3).unwrap().gradients.unwrap()
        })
        .collect();
    // Measured (vase, Lite0): entries up to 0.11 per degree; steps of 0.5°, 1° and 2° agree
    // within 0.04 per degree, 0.25° already sees the pixel grid (0.017 where the others say
    // ≈ 0.001). Stable means: the three usable steps agree within 0.05 and keep the sign of
    // every clear slope (> 0.05 per degree), and nothing is huge or non-finite.
    let usable = &grads[1..];
    for g in &grads {
        assert!(g.iter().all(|v| v.is_finite() && v.abs() < 0.5), "{g}");
    }
    for a in usable {
        for b in usable {
            assert!((a - b).amax() <= 0.05, "{a} vs {b}");
        }
    }
    for (k, &v) in grads[2].iter().enumerate() {
        if v.abs() > 0.05 {
            assert!(
                usable.iter().all(|g| g[k].signum() == v.signum()),
                "{grads:?}"
            );
        }
    }
    assert!(
        grads[2].amax() > 0.05,
        "a test point with a clear slope: {}",
        grads[2]
    );
}

#[test]
fn a_batch_of_points_scores_like_the_points_one_by_one() {
    let f = vase_lite0(vec![SemanticParam::Azimuth]);
    let points = DMatrix::from_column_slice(4, 1, &[0.0, 90.0, 180.0, 270.0]);
    let batch = f.evaluate(&points, 0).unwrap().values;
    for j in 0..4 {
        let one = f
            .evaluate(&points.rows(j, 1).into_owned(), 0)
            .unwrap()
            .values[0];
        assert!((one - batch[j]).abs() < 1e-5, "{j}: {one} vs {}", batch[j]);
        assert!((0.0..=1.0).contains(&one));
    }
    let err = f.evaluate(&points, 1).unwrap_err();
    assert!(
        matches!(err, semrob::semantic::EvalError::NoGradients),
        "a black box has no gradients: {err}"
    );
}

#[test]
fn the_paper_config_plans_every_present_shapenet10_shape_for_every_network() {
    use semrob::analysis::benchmark::{plan, SrvrConfig};
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/shapenet10");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/shapenet10.toml"
    ))
    .unwrap()
    .replace("../shared/data/shapenet10", root);
    let p = plan(SrvrConfig::from_toml(&text, "shapenet10").unwrap()).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/manifest.json")).unwrap())
            .unwrap();
    let present = manifest["classes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["shapes"].as_array().unwrap())
        .filter(|s| s["present"] == true)
        .count();
    assert_eq!(p.jobs.len(), 3 * present);
    let vase = p.jobs.iter().find(|j| j.id.class == "vase").unwrap();
    assert_eq!(vase.label, 883, "labels come from the manifest");
}

/// Jobs of one network in lockstep (`SharedNetwork`): a vase and a mug, each with its label,
/// one with finite-difference gradients, go to the network as one stream whose batches mix
/// the two meshes. Each gets the values and gradients it gets alone (to the network's
/// batch-to-batch rounding), and its counters count its own images and the shared batches.
#[test]
fn jobs_of_one_network_share_its_batches_and_score_as_they_do_alone() {
    use semrob::analysis::network_function::shared::SharedNetwork;
    use semrob::region::lockstep::{JointBatch, JointFunction};

    let classifier = shared_lite0();
    let scene = Scene {
        size: Some(112),
        supersampling: 1,
        ..Scene::default()
    };
    let job = |fixture: &str, label: usize, batch: usize| {
        shared_job(&classifier, scene, fixture, label).with_batch(BatchSize::new(batch).unwrap())
    };
    let (vase, mug) = (job("fixture:vase", 883, 8), job("fixture:mug", 504, 8));
    let vase_points = DMatrix::from_row_slice(3, 2, &[130.0, 30.0, 50.0, 20.0, 310.0, 50.0]);
    let mug_points = DMatrix::from_row_slice(2, 2, &[200.0, 15.0, 20.0, 60.0]);
    let fd = |f| FiniteDifference::uniform(f, 1.0).unwrap();
    let alone_vase = fd(&vase).evaluate(&vase_points, 2).unwrap();
    let alone_mug = fd(&mug).evaluate(&mug_points, 0).unwrap();
    let (vase_before, mug_before) = (vase.counters(), mug.counters());

    let shared = SharedNetwork::new(vec![fd(&vase), fd(&mug)]).unwrap();
    assert_eq!(shared.len(), 2);
    let results = shared.evaluate_joint(&[
        JointBatch {
            search: 0,
            points: &vase_points,
            gradient_rows: 2,
        },
        JointBatch {
            search: 1,
            points: &mug_points,
            gradient_rows: 0,
        },
    ]);
    let [vase_e, mug_e] = <[_; 2]>::try_from(results).unwrap();
    let (vase_e, mug_e) = (vase_e.unwrap(), mug_e.unwrap());
    assert!(
        (&vase_e.values - &alone_vase.values).amax() < 1e-5,
        "{} vs {}",
        vase_e.values,
        alone_vase.values
    );
    assert!((&mug_e.values - &alone_mug.values).amax() < 1e-5);
    let (g, g_alone) = (vase_e.gradients.unwrap(), alone_vase.gradients.unwrap());
    assert_eq!(g.shape(), (2, 2));
    assert!((&g - &g_alone).amax() < 1e-5, "{g} vs {g_alone}");
    assert!(mug_e.gradients.is_none());
    // 3 + 2·2·2 = 11 vase renders, then 2 mug renders: chunks of 8 and 5, the second mixed.
    let (v, m) = (
        vase.counters().since(&vase_before),
        mug.counters().since(&mug_before),
    );
    assert_eq!((v.images, v.batches, v.batch_images), (11, 2, 13));
    assert_eq!((m.images, m.batches, m.batch_images), (2, 1, 5));

    // Functions that cannot share batches are refused by index.
    let other_batch = job("fixture:mug", 504, 16);
    let err = SharedNetwork::new(vec![fd(&vase), fd(&other_batch)])
        .err()
        .expect("another largest batch");
    assert_eq!(err.index, 1);
}

/// The device renderer (here on CPU libtorch) feeds the network the CPU renderer's images:
/// the same scores in a shared stream of two meshes, with the same chunks counted, and a
/// function of each renderer cannot share one stream.
#[test]
fn the_device_renderer_scores_as_the_cpu_renderer() {
    use semrob::analysis::network_function::shared::SharedNetwork;
    use semrob::region::lockstep::{JointBatch, JointFunction};
    use semrob::render::RenderBackend;

    let classifier = shared_lite0();
    let scene = Scene {
        size: Some(64),
        supersampling: 2,
        ..Scene::default()
    };
    let job = |fixture: &str, label: usize, backend: RenderBackend| {
        shared_job(&classifier, scene, fixture, label)
            .with_batch(BatchSize::new(4).unwrap())
            .with_renderer(backend)
            .unwrap()
    };
    let vase_points = DMatrix::from_row_slice(3, 2, &[130.0, 30.0, 50.0, 20.0, 310.0, 50.0]);
    let mug_points = DMatrix::from_row_slice(2, 2, &[200.0, 15.0, 20.0, 60.0]);
    let mut values = Vec::new();
    for backend in RenderBackend::ALL {
        let (vase, mug) = (
            job("fixture:vase", 883, backend),
            job("fixture:mug", 504, backend),
        );
        assert_eq!((vase.backend(), mug.backend()), (backend, backend));
        let fd = |f| FiniteDifference::uniform(f, 1.0).unwrap();
        let shared = SharedNetwork::new(vec![fd(&vase), fd(&mug)]).unwrap();
        let results = shared.evaluate_joint(&[
            JointBatch {
                search: 0,
                points: &vase_points,
                gradient_rows: 1,
            },
            JointBatch {
                search: 1,
                points: &mug_points,
                gradient_rows: 0,
            },
        ]);
        let [v, m] = <[_; 2]>::try_from(results).unwrap();
        let (v, m) = (v.unwrap(), m.unwrap());
        // 3 + 1·2·2 = 7 vase renders, then 2 mug renders: chunks of 4, 4 (mixed) and 1.
        let (cv, cm) = (vase.counters(), mug.counters());
        assert_eq!((cv.images, cv.batches, cv.batch_images), (7, 2, 8));
        assert_eq!((cm.images, cm.batches, cm.batch_images), (2, 2, 5));
        values.push((v.values, v.gradients.unwrap(), m.values));
    }
    let (cpu, device) = (&values[0], &values[1]);
    // Pixel-equal images give the network the same input: measured equal to the last bit;
    // 1e-6 leaves room for a kernel that sums in another order for another memory layout.
    assert!(
        (&cpu.0 - &device.0).amax() <= 1e-6,
        "{} vs {}",
        cpu.0,
        device.0
    );
    assert!(
        (&cpu.1 - &device.1).amax() <= 1e-6,
        "{} vs {}",
        cpu.1,
        device.1
    );
    assert!(
        (&cpu.2 - &device.2).amax() <= 1e-6,
        "{} vs {}",
        cpu.2,
        device.2
    );

    let fd = |f| FiniteDifference::uniform(f, 1.0).unwrap();
    let vase = job("fixture:vase", 883, RenderBackend::Cpu);
    let mug = job("fixture:mug", 504, RenderBackend::Device);
    let err = SharedNetwork::new(vec![fd(&vase), fd(&mug)])
        .err()
        .expect("another renderer");
    assert_eq!(err.index, 1);
}
