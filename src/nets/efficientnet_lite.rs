//! EfficientNet-Lite0/1/2 as in the `efficientnet-lite-pytorch` package (0.1.0), with the
//! keys of its checkpoints (`_conv_stem`, `_blocks.N._depthwise_conv`, `_fc`...).
//!
//! Lite differs from EfficientNet-B: ReLU6 instead of swish, no squeeze-and-excitation, and
//! the stem (32 channels), the head (1280 channels) and the repeats of the first and last
//! stage are not scaled. Convolutions use TensorFlow's "SAME" padding computed for the
//! network's fixed input size (the package's `Conv2dStaticSamePadding`): output size
//! `ceil(i / s)`, total padding `max((o − 1)·s + k − i, 0)`, the odd pixel on the bottom/right.

use tch::nn::{self, ModuleT};

use super::layers::{linear, BnFolds, ConvShape};

const BN_EPS: f64 = 1e-3;

/// The EfficientNet-Lite variants semrob builds: the three the `efficientnet-lite-pytorch`
/// package ships weights for (Lite3/4 have none there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteVariant {
    Lite0,
    Lite1,
    Lite2,
}

impl LiteVariant {
    /// Width and depth multipliers and input size.
    pub fn params(self) -> (f64, f64, i64) {
        match self {
            LiteVariant::Lite0 => (1.0, 1.0, 224),
            LiteVariant::Lite1 => (1.0, 1.1, 240),
            LiteVariant::Lite2 => (1.1, 1.2, 260),
        }
    }
}

/// Stages `(repeats, kernel, stride, expand ratio, input filters, output filters)` of
/// EfficientNet-Lite before scaling.
const STAGES: [(i64, i64, i64, i64, i64, i64); 7] = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
];

/// Channels scaled by the width multiplier, rounded to a multiple of 8 (never down by > 10 %).
fn round_filters(filters: i64, width: f64) -> i64 {
    let f = filters as f64 * width;
    let rounded = (((f + 4.0) as i64) / 8 * 8).max(8);
    if (rounded as f64) < 0.9 * f {
        rounded + 8
    } else {
        rounded
    }
}

/// "SAME" padding `[left, right, top, bottom]` of a `k × k`, stride `s` convolution on an
/// `i × i` input.
fn same_padding(i: i64, k: i64, s: i64) -> [i64; 4] {
    let o = (i + s - 1) / s;
    let pad = ((o - 1) * s + k - i).max(0);
    [pad / 2, pad - pad / 2, pad / 2, pad - pad / 2]
}

/// Mobile inverted bottleneck: [1×1 expand] → k×k depthwise (stride) → 1×1 project, with
/// the identity shortcut when the shape is kept. Its batch norms are registered in `f`.
#[allow(clippy::too_many_arguments)]
fn mbconv(
    f: &BnFolds,
    p: nn::Path,
    c_in: i64,
    c_out: i64,
    k: i64,
    stride: i64,
    expand: i64,
    size: i64,
) -> impl ModuleT {
    let mid = c_in * expand;
    let conv_bn = |conv: &str, bn: &str, shape| f.conv_bn(&p / conv, &p / bn, shape, false, BN_EPS);
    let expansion = (expand != 1).then(|| {
        conv_bn(
            "_expand_conv",
            "_bn0",
            ConvShape::square(c_in, mid, 1, 1, 0),
        )
    });
    let dw = conv_bn(
        "_depthwise_conv",
        "_bn1",
        ConvShape::depthwise(mid, k, stride),
    );
    let project = conv_bn(
        "_project_conv",
        "_bn2",
        ConvShape::square(mid, c_out, 1, 1, 0),
    );
    let pad = same_padding(size, k, stride);
    let skip = stride == 1 && c_in == c_out;
    nn::func_t(move |x, t| {
        let y = match &expansion {
            Some(expand) => x.apply_t(expand, t).relu6(),
            None => x.shallow_clone(),
        };
        let y = y.constant_pad_nd(pad).apply_t(&dw, t).relu6();
        let y = y.apply_t(&project, t);
        if skip {
            y + x
        } else {
            y
        }
    })
}

/// EfficientNet-Lite `variant` for its own input size ([`LiteVariant::params`]); its batch
/// norms are registered in `f`.
pub fn efficientnet_lite(
    p: &nn::Path,
    f: &BnFolds,
    variant: LiteVariant,
    classes: i64,
) -> impl ModuleT {
    let (width, depth, input) = variant.params();
    let conv_bn = |conv: &str, bn: &str, shape| f.conv_bn(p / conv, p / bn, shape, false, BN_EPS);
    let stem = conv_bn("_conv_stem", "_bn0", ConvShape::square(3, 32, 3, 2, 0));
    let stem_pad = same_padding(input, 3, 2);
    let mut size = (input + 1) / 2;
    let mut blocks = nn::seq_t();
    let mut index = 0;
    let mut c_out = 32;
    let b = p / "_blocks";
    for (stage, &(repeats, k, stride, expand, c_in, out)) in STAGES.iter().enumerate() {
        let first_or_last = stage == 0 || stage == STAGES.len() - 1;
        let repeats = if first_or_last {
            repeats
        } else {
            (depth * repeats as f64).ceil() as i64
        };
        let mut c_in = if stage == 0 {
            32
        } else {
            round_filters(c_in, width)
        };
        c_out = round_filters(out, width);
        for r in 0..repeats {
            let s = if r == 0 { stride } else { 1 };
            blocks = blocks.add(mbconv(f, &b / index, c_in, c_out, k, s, expand, size));
            if r == 0 {
                size = (size + stride - 1) / stride;
            }
            c_in = c_out;
            index += 1;
        }
    }
    let head = conv_bn(
        "_conv_head",
        "_bn1",
        ConvShape::square(c_out, 1280, 1, 1, 0),
    );
    let fc = linear(p / "_fc", 1280, classes);
    nn::func_t(move |x, t| {
        let x = x.constant_pad_nd(stem_pad).apply_t(&stem, t).relu6();
        let x = x.apply_t(&blocks, t);
        let x = x.apply_t(&head, t).relu6().adaptive_avg_pool2d([1, 1]);
        x.flatten(1, -1).apply(&fc)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_rounding_matches_the_reference_formula() {
        // Lite2 (width 1.1): 16→16 (17.6 rounds to 16, within 10 %), 24→24 (26.4→24 ok),
        // 40→48 (44→48), 80→88, 112→120 (123.2→120), 192→208 (211.2→208), 320→352.
        let got: Vec<i64> = [16, 24, 40, 80, 112, 192, 320]
            .iter()
            .map(|&f| round_filters(f, 1.1))
            .collect();
        assert_eq!(got, vec![16, 24, 48, 88, 120, 208, 352]);
    }

    #[test]
    fn same_padding_puts_the_odd_pixel_last() {
        assert_eq!(same_padding(224, 3, 2), [0, 1, 0, 1]);
        assert_eq!(same_padding(65, 3, 2), [1, 1, 1, 1]);
        assert_eq!(same_padding(14, 5, 1), [2, 2, 2, 2]);
    }
}
