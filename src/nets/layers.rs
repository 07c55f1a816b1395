//! Small builders shared by the networks. Each takes the `nn::Path` whose name is the
//! checkpoint prefix of the layer, so variable names are the state-dict keys.

use tch::nn;

/// A 2-d convolution with a `kh × kw` kernel (`weight`, optional `bias`).
pub fn conv(
    p: nn::Path,
    c_in: i64,
    c_out: i64,
    k: [i64; 2],
    stride: i64,
    padding: [i64; 2],
    bias: bool,
) -> nn::Conv2D {
    let config = nn::ConvConfigND {
        stride: [stride, stride],
        padding,
        bias,
        ..Default::default()
    };
    nn::conv(p, c_in, c_out, k, config)
}

/// A square `k × k` convolution with symmetric padding.
pub fn conv_sq(
    p: nn::Path,
    c_in: i64,
    c_out: i64,
    k: i64,
    stride: i64,
    padding: i64,
    bias: bool,
) -> nn::Conv2D {
    conv(p, c_in, c_out, [k, k], stride, [padding, padding], bias)
}

/// A depthwise (one group per channel) square convolution without bias, unpadded.
pub fn depthwise(p: nn::Path, c: i64, k: i64, stride: i64) -> nn::Conv2D {
    let config = nn::ConvConfigND {
        stride: [stride, stride],
        padding: [0, 0],
        bias: false,
        groups: c,
        ..Default::default()
    };
    nn::conv(p, c, c, [k, k], config)
}

/// Batch norm in eval mode: `weight`, `bias`, `running_mean`, `running_var`.
pub fn batch_norm(p: nn::Path, c: i64, eps: f64) -> nn::BatchNorm {
    nn::batch_norm2d(
        p,
        c,
        nn::BatchNormConfig {
            eps,
            ..Default::default()
        },
    )
}

pub fn linear(p: nn::Path, c_in: i64, c_out: i64) -> nn::Linear {
    nn::linear(p, c_in, c_out, Default::default())
}
