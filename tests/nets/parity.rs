//! Every architecture against PyTorch/torchvision: a fixed random initialisation written by
//! Python torch gives the same logits in semrob (max |Δ| / max |logit| ≤ 1e-4 in f32).
#![cfg(feature = "torch")]

use crate::support::{f32s, fixtures, load, max_rel_diff, shape4};
use semrob::nets::checkpoint::{read_weights, write_safetensors};
use semrob::nets::{Architecture, Classifier, Device, ImageBatch, NetError};

fn parity(arch: Architecture, weights: &str) -> f32 {
    let classifier = Classifier::load(arch, &fixtures().join(weights), Device::Cpu).unwrap();
    let io = load(&format!("arch/{}.io.pt", arch.name()));
    let input = f32s(&io["input"]);
    let got = classifier
        .logits(ImageBatch::new(&input, shape4(&io["input"])).unwrap())
        .unwrap();
    let diff = max_rel_diff(&got.values, &f32s(&io["logits"]));
    eprintln!("{arch}: max relative logit difference {diff:.2e}");
    diff
}

#[test]
fn resnet50_matches_torchvision() {
    assert!(parity(Architecture::ResNet50, "arch/resnet50.pth") <= 1e-4);
}

#[test]
fn vgg11_bn_matches_torchvision_from_a_float16_checkpoint() {
    assert!(parity(Architecture::Vgg11Bn, "arch/vgg11-bn.pth") <= 1e-4);
}

#[test]
fn alexnet_matches_torchvision_from_a_float16_checkpoint() {
    assert!(parity(Architecture::AlexNet, "arch/alexnet.pth") <= 1e-4);
}

#[test]
fn inception_v3_matches_torchvision_ignoring_the_aux_classifier() {
    assert!(parity(Architecture::InceptionV3, "arch/inception-v3.pth") <= 1e-4);
}

#[test]
fn efficientnet_lite0_matches_the_reference_package_from_zip_and_legacy_files() {
    assert!(
        parity(
            Architecture::EfficientNetLite0,
            "arch/efficientnet-lite0.pth"
        ) <= 1e-4
    );
    assert!(
        parity(
            Architecture::EfficientNetLite0,
            "arch/efficientnet-lite0.legacy.pth"
        ) <= 1e-4
    );
}

#[test]
fn efficientnet_lite1_matches_the_reference_package() {
    assert!(
        parity(
            Architecture::EfficientNetLite1,
            "arch/efficientnet-lite1.pth"
        ) <= 1e-4
    );
}

#[test]
fn efficientnet_lite2_matches_the_reference_package() {
    assert!(
        parity(
            Architecture::EfficientNetLite2,
            "arch/efficientnet-lite2.pth"
        ) <= 1e-4
    );
}

#[test]
fn weights_load_the_same_from_safetensors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lite1.safetensors");
    write_safetensors(
        &read_weights(&fixtures().join("arch/efficientnet-lite1.pth")).unwrap(),
        &out,
    )
    .unwrap();
    assert!(parity(Architecture::EfficientNetLite1, out.to_str().unwrap()) <= 1e-4);
}

#[test]
fn input_gradient_of_a_probability_matches_pytorch_autograd() {
    let classifier = Classifier::load(
        Architecture::AlexNet,
        &fixtures().join("arch/alexnet.pth"),
        Device::Cpu,
    )
    .unwrap();
    let io = load("arch/alexnet.io.pt");
    let input = f32s(&io["input"]);
    let class = f32s(&io["grad_class"])[0] as usize;
    let batch = ImageBatch::new(&input, shape4(&io["input"])).unwrap();
    let (p, grad) = classifier.probability_gradient(batch, class).unwrap();
    let probs = classifier.probabilities(batch).unwrap();
    assert_eq!(p.len(), 2);
    for (i, &pi) in p.iter().enumerate() {
        assert!((pi - probs.row(i)[class]).abs() < 1e-6);
    }
    let diff = max_rel_diff(&grad, &f32s(&io["grad"]));
    eprintln!("alexnet: max relative gradient difference {diff:.2e}");
    assert!(diff <= 1e-3, "{diff}");
}

#[test]
fn weights_of_another_shape_are_refused_naming_each_offending_key() {
    let mut sd = read_weights(&fixtures().join("arch/efficientnet-lite0.pth")).unwrap();
    sd.get_mut("_fc.weight").unwrap().shape = vec![1280, 1000];
    sd.remove("_bn1.running_var");
    let mut extra = sd["_fc.bias"].clone();
    extra.shape = vec![10, 100];
    sd.insert("_head.extra".into(), extra);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");
    write_safetensors(&sd, &path).unwrap();
    let err = Classifier::load(Architecture::EfficientNetLite0, &path, Device::Cpu).unwrap_err();
    let NetError::Weights { mismatch, .. } = &err else {
        panic!("expected a key mismatch, got {err}")
    };
    assert_eq!(mismatch.missing, vec!["_bn1.running_var"]);
    assert_eq!(mismatch.unexpected, vec!["_head.extra"]);
    assert_eq!(
        mismatch.misshaped,
        vec![("_fc.weight".to_owned(), vec![1000, 1280], vec![1280, 1000])]
    );
    let text = err.to_string();
    assert!(
        text.contains("bad.safetensors") && text.contains("efficientnet-lite0"),
        "{text}"
    );
}

#[test]
fn weights_of_another_architecture_are_refused() {
    let err = Classifier::load(
        Architecture::ResNet50,
        &fixtures().join("arch/efficientnet-lite0.pth"),
        Device::Cpu,
    )
    .unwrap_err();
    let NetError::Weights { mismatch, .. } = &err else {
        panic!("expected a key mismatch, got {err}")
    };
    assert!(mismatch.missing.contains(&"fc.weight".to_owned()));
    assert!(mismatch.unexpected.contains(&"_fc.weight".to_owned()));
}

/// `Device::Cuda` on a machine with CUDA: the network loads there and gives torchvision's
/// logits, within 1e-2 of the largest (cuDNN may convolve in TF32, 10-bit mantissas); on a
/// machine without it: refused with `NetError::CudaUnavailable`, not a libtorch panic. Each
/// machine checks the half it can, and says which on stderr.
#[test]
fn cuda_gives_torchvisions_logits_or_is_refused_clearly() {
    if tch::Cuda::is_available() {
        eprintln!("CUDA is available: checking AlexNet's logits on it");
        let weights = fixtures().join("arch/alexnet.pth");
        let net = Classifier::load(Architecture::AlexNet, &weights, Device::Cuda).unwrap();
        assert!(net.tch_device().is_cuda());
        let io = load("arch/alexnet.io.pt");
        let input = f32s(&io["input"]);
        let got = net
            .logits(ImageBatch::new(&input, shape4(&io["input"])).unwrap())
            .unwrap();
        let diff = max_rel_diff(&got.values, &f32s(&io["logits"]));
        eprintln!("alexnet on CUDA: max relative logit difference {diff:.2e}");
        assert!(diff <= 1e-2, "{diff}");
    } else {
        eprintln!("no CUDA here: checking that Device::Cuda is refused");
        let err = Classifier::untrained(Architecture::AlexNet, Device::Cuda).unwrap_err();
        assert!(matches!(err, NetError::CudaUnavailable), "{err}");
    }
}

#[test]
fn malformed_batches_are_refused() {
    let channels = ImageBatch::new(&[0.0; 12], [1, 4, 1, 3]).unwrap_err();
    assert!(
        matches!(&channels, NetError::Batch(m) if m.contains("[1, 4, 1, 3]")),
        "{channels}"
    );
    let short = ImageBatch::new(&[0.0; 11], [1, 3, 2, 2]).unwrap_err();
    assert!(
        matches!(&short, NetError::Batch(m) if m.contains("11 values")),
        "{short}"
    );
    assert!(ImageBatch::new(&[0.0; 12], [1, 3, 2, 2]).is_ok());
}
