//! ResNet-50 (torchvision `resnet50`: bottlenecks with the stride on the 3×3 convolution).

use tch::nn::{self, ModuleT};

use super::layers::{linear, BnFolds, ConvBn, ConvShape};

const BN_EPS: f64 = 1e-5;

/// Convolution `conv` (no bias) and its batch norm `bn` under `p`.
fn conv_bn(folds: &BnFolds, p: &nn::Path, conv: &str, bn: &str, shape: ConvShape) -> ConvBn {
    folds.conv_bn(p / conv, p / bn, shape, false, BN_EPS)
}

/// Bottleneck block `conv1 (1×1) → conv2 (3×3, stride) → conv3 (1×1, ×4)` plus shortcut.
fn bottleneck(folds: &BnFolds, p: nn::Path, c_in: i64, width: i64, stride: i64) -> impl ModuleT {
    let c_out = 4 * width;
    let sq = ConvShape::square;
    let block1 = conv_bn(folds, &p, "conv1", "bn1", sq(c_in, width, 1, 1, 0));
    let block2 = conv_bn(folds, &p, "conv2", "bn2", sq(width, width, 3, stride, 1));
    let block3 = conv_bn(folds, &p, "conv3", "bn3", sq(width, c_out, 1, 1, 0));
    let downsample = (stride != 1 || c_in != c_out).then(|| {
        conv_bn(
            folds,
            &(&p / "downsample"),
            "0",
            "1",
            sq(c_in, c_out, 1, stride, 0),
        )
    });
    nn::func_t(move |x, train| {
        let y = x.apply_t(&block1, train).relu();
        let y = y.apply_t(&block2, train).relu();
        let y = y.apply_t(&block3, train);
        let shortcut = match &downsample {
            Some(d) => x.apply_t(d, train),
            None => x.shallow_clone(),
        };
        (y + shortcut).relu()
    })
}

fn layer(
    folds: &BnFolds,
    p: nn::Path,
    c_in: i64,
    width: i64,
    stride: i64,
    blocks: i64,
) -> nn::SequentialT {
    let mut seq = nn::seq_t().add(bottleneck(folds, &p / "0", c_in, width, stride));
    for i in 1..blocks {
        seq = seq.add(bottleneck(folds, &p / i, 4 * width, width, 1));
    }
    seq
}

/// ResNet-50 with torchvision's state-dict keys (`conv1`, `layer1.0.conv1`, ..., `fc`); its
/// batch norms are registered in `folds`.
pub fn resnet50(p: &nn::Path, folds: &BnFolds, classes: i64) -> impl ModuleT {
    let stem = conv_bn(folds, p, "conv1", "bn1", ConvShape::square(3, 64, 7, 2, 3));
    let layers = nn::seq_t()
        .add(layer(folds, p / "layer1", 64, 64, 1, 3))
        .add(layer(folds, p / "layer2", 256, 128, 2, 4))
        .add(layer(folds, p / "layer3", 512, 256, 2, 6))
        .add(layer(folds, p / "layer4", 1024, 512, 2, 3));
    let fc = linear(p / "fc", 2048, classes);
    nn::func_t(move |x, train| {
        let x = x.apply_t(&stem, train).relu();
        let x = x.max_pool2d([3, 3], [2, 2], [1, 1], [1, 1], false);
        let x = x.apply_t(&layers, train).adaptive_avg_pool2d([1, 1]);
        x.flatten(1, -1).apply(&fc)
    })
}
