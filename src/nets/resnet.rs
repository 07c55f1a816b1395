//! ResNet-50 (torchvision `resnet50`: bottlenecks with the stride on the 3×3 convolution).

use tch::nn::{self, ModuleT};

use super::layers::{batch_norm, conv_sq, linear};

const BN_EPS: f64 = 1e-5;

/// Bottleneck block `conv1 (1×1) → conv2 (3×3, stride) → conv3 (1×1, ×4)` plus shortcut.
fn bottleneck(p: nn::Path, c_in: i64, width: i64, stride: i64) -> impl ModuleT {
    let c_out = 4 * width;
    let conv1 = conv_sq(&p / "conv1", c_in, width, 1, 1, 0, false);
    let bn1 = batch_norm(&p / "bn1", width, BN_EPS);
    let conv2 = conv_sq(&p / "conv2", width, width, 3, stride, 1, false);
    let bn2 = batch_norm(&p / "bn2", width, BN_EPS);
    let conv3 = conv_sq(&p / "conv3", width, c_out, 1, 1, 0, false);
    let bn3 = batch_norm(&p / "bn3", c_out, BN_EPS);
    let downsample = (stride != 1 || c_in != c_out).then(|| {
        let d = &p / "downsample";
        (
            conv_sq(&d / "0", c_in, c_out, 1, stride, 0, false),
            batch_norm(&d / "1", c_out, BN_EPS),
        )
    });
    nn::func_t(move |x, train| {
        let y = x.apply(&conv1).apply_t(&bn1, train).relu();
        let y = y.apply(&conv2).apply_t(&bn2, train).relu();
        let y = y.apply(&conv3).apply_t(&bn3, train);
        let shortcut = match &downsample {
            Some((conv, bn)) => x.apply(conv).apply_t(bn, train),
            None => x.shallow_clone(),
        };
        (y + shortcut).relu()
    })
}

fn layer(p: nn::Path, c_in: i64, width: i64, stride: i64, blocks: i64) -> nn::SequentialT {
    let mut seq = nn::seq_t().add(bottleneck(&p / "0", c_in, width, stride));
    for i in 1..blocks {
        seq = seq.add(bottleneck(&p / i, 4 * width, width, 1));
    }
    seq
}

/// ResNet-50 with torchvision's state-dict keys (`conv1`, `layer1.0.conv1`, ..., `fc`).
pub fn resnet50(p: &nn::Path, classes: i64) -> impl ModuleT {
    let conv1 = conv_sq(p / "conv1", 3, 64, 7, 2, 3, false);
    let bn1 = batch_norm(p / "bn1", 64, BN_EPS);
    let layers = nn::seq_t()
        .add(layer(p / "layer1", 64, 64, 1, 3))
        .add(layer(p / "layer2", 256, 128, 2, 4))
        .add(layer(p / "layer3", 512, 256, 2, 6))
        .add(layer(p / "layer4", 1024, 512, 2, 3));
    let fc = linear(p / "fc", 2048, classes);
    nn::func_t(move |x, train| {
        let x = x.apply(&conv1).apply_t(&bn1, train).relu();
        let x = x.max_pool2d([3, 3], [2, 2], [1, 1], [1, 1], false);
        let x = x.apply_t(&layers, train).adaptive_avg_pool2d([1, 1]);
        x.flatten(1, -1).apply(&fc)
    })
}
