//! Inception v3 (torchvision `inception_v3`, `transform_input = False`, 299 × 299 input).
//! The auxiliary classifier (`AuxLogits.*`) is used only in training and is not built; its
//! keys in a checkpoint are ignored (see `Architecture::ignores_key`).

use tch::nn::{self, ModuleT};
use tch::Tensor;

use super::layers::{linear, BnFolds, ConvShape};

/// torchvision's `BasicConv2d`: convolution without bias, batch norm (eps 0.001), ReLU.
/// The batch norm is registered in `f` for folding.
fn basic(
    f: &BnFolds,
    p: nn::Path,
    c_in: i64,
    c_out: i64,
    k: [i64; 2],
    stride: i64,
    padding: [i64; 2],
) -> impl ModuleT {
    let shape = ConvShape {
        c_in,
        c_out,
        k,
        stride,
        padding,
        groups: 1,
    };
    let conv_bn = f.conv_bn(&p / "conv", &p / "bn", shape, false, 1e-3);
    nn::func_t(move |x, train| x.apply_t(&conv_bn, train).relu())
}

fn b1(f: &BnFolds, p: nn::Path, c_in: i64, c_out: i64) -> impl ModuleT {
    basic(f, p, c_in, c_out, [1, 1], 1, [0, 0])
}

fn b3(f: &BnFolds, p: nn::Path, c_in: i64, c_out: i64, stride: i64, pad: i64) -> impl ModuleT {
    basic(f, p, c_in, c_out, [3, 3], stride, [pad, pad])
}

fn max_pool(x: &Tensor) -> Tensor {
    x.max_pool2d([3, 3], [2, 2], [0, 0], [1, 1], false)
}

/// 3×3 average pooling, stride 1, padding 1, padded zeros counted (PyTorch's default).
fn avg_pool(x: &Tensor) -> Tensor {
    x.avg_pool2d([3, 3], [1, 1], [1, 1], false, true, None)
}

fn cat(parts: &[Tensor]) -> Tensor {
    Tensor::cat(parts, 1)
}

fn inception_a(f: &BnFolds, p: nn::Path, c_in: i64, pool_features: i64) -> impl ModuleT {
    let b1x1 = b1(f, &p / "branch1x1", c_in, 64);
    let b5_1 = b1(f, &p / "branch5x5_1", c_in, 48);
    let b5_2 = basic(f, &p / "branch5x5_2", 48, 64, [5, 5], 1, [2, 2]);
    let d1 = b1(f, &p / "branch3x3dbl_1", c_in, 64);
    let d2 = b3(f, &p / "branch3x3dbl_2", 64, 96, 1, 1);
    let d3 = b3(f, &p / "branch3x3dbl_3", 96, 96, 1, 1);
    let pool = b1(f, &p / "branch_pool", c_in, pool_features);
    nn::func_t(move |x, t| {
        cat(&[
            x.apply_t(&b1x1, t),
            x.apply_t(&b5_1, t).apply_t(&b5_2, t),
            x.apply_t(&d1, t).apply_t(&d2, t).apply_t(&d3, t),
            avg_pool(x).apply_t(&pool, t),
        ])
    })
}

fn inception_b(f: &BnFolds, p: nn::Path, c_in: i64) -> impl ModuleT {
    let b3x3 = b3(f, &p / "branch3x3", c_in, 384, 2, 0);
    let d1 = b1(f, &p / "branch3x3dbl_1", c_in, 64);
    let d2 = b3(f, &p / "branch3x3dbl_2", 64, 96, 1, 1);
    let d3 = b3(f, &p / "branch3x3dbl_3", 96, 96, 2, 0);
    nn::func_t(move |x, t| {
        cat(&[
            x.apply_t(&b3x3, t),
            x.apply_t(&d1, t).apply_t(&d2, t).apply_t(&d3, t),
            max_pool(x),
        ])
    })
}

fn inception_c(f: &BnFolds, p: nn::Path, c_in: i64, c7: i64) -> impl ModuleT {
    let row = |name: &str, i: i64, o: i64| basic(f, &p / name, i, o, [1, 7], 1, [0, 3]);
    let col = |name: &str, i: i64, o: i64| basic(f, &p / name, i, o, [7, 1], 1, [3, 0]);
    let b1x1 = b1(f, &p / "branch1x1", c_in, 192);
    let s1 = b1(f, &p / "branch7x7_1", c_in, c7);
    let s2 = row("branch7x7_2", c7, c7);
    let s3 = col("branch7x7_3", c7, 192);
    let d1 = b1(f, &p / "branch7x7dbl_1", c_in, c7);
    let d2 = col("branch7x7dbl_2", c7, c7);
    let d3 = row("branch7x7dbl_3", c7, c7);
    let d4 = col("branch7x7dbl_4", c7, c7);
    let d5 = row("branch7x7dbl_5", c7, 192);
    let pool = b1(f, &p / "branch_pool", c_in, 192);
    nn::func_t(move |x, t| {
        cat(&[
            x.apply_t(&b1x1, t),
            x.apply_t(&s1, t).apply_t(&s2, t).apply_t(&s3, t),
            x.apply_t(&d1, t)
                .apply_t(&d2, t)
                .apply_t(&d3, t)
                .apply_t(&d4, t)
                .apply_t(&d5, t),
            avg_pool(x).apply_t(&pool, t),
        ])
    })
}

fn inception_d(f: &BnFolds, p: nn::Path, c_in: i64) -> impl ModuleT {
    let a1 = b1(f, &p / "branch3x3_1", c_in, 192);
    let a2 = b3(f, &p / "branch3x3_2", 192, 320, 2, 0);
    let s1 = b1(f, &p / "branch7x7x3_1", c_in, 192);
    let s2 = basic(f, &p / "branch7x7x3_2", 192, 192, [1, 7], 1, [0, 3]);
    let s3 = basic(f, &p / "branch7x7x3_3", 192, 192, [7, 1], 1, [3, 0]);
    let s4 = b3(f, &p / "branch7x7x3_4", 192, 192, 2, 0);
    nn::func_t(move |x, t| {
        cat(&[
            x.apply_t(&a1, t).apply_t(&a2, t),
            x.apply_t(&s1, t)
                .apply_t(&s2, t)
                .apply_t(&s3, t)
                .apply_t(&s4, t),
            max_pool(x),
        ])
    })
}

fn inception_e(f: &BnFolds, p: nn::Path, c_in: i64) -> impl ModuleT {
    let split = |name: &str| {
        let a = basic(f, &p / format!("{name}a"), 384, 384, [1, 3], 1, [0, 1]);
        let b = basic(f, &p / format!("{name}b"), 384, 384, [3, 1], 1, [1, 0]);
        nn::func_t(move |x, t| cat(&[x.apply_t(&a, t), x.apply_t(&b, t)]))
    };
    let b1x1 = b1(f, &p / "branch1x1", c_in, 320);
    let s1 = b1(f, &p / "branch3x3_1", c_in, 384);
    let s2 = split("branch3x3_2");
    let d1 = b1(f, &p / "branch3x3dbl_1", c_in, 448);
    let d2 = b3(f, &p / "branch3x3dbl_2", 448, 384, 1, 1);
    let d3 = split("branch3x3dbl_3");
    let pool = b1(f, &p / "branch_pool", c_in, 192);
    nn::func_t(move |x, t| {
        cat(&[
            x.apply_t(&b1x1, t),
            x.apply_t(&s1, t).apply_t(&s2, t),
            x.apply_t(&d1, t).apply_t(&d2, t).apply_t(&d3, t),
            avg_pool(x).apply_t(&pool, t),
        ])
    })
}

/// Inception v3 with torchvision's state-dict keys (`Conv2d_1a_3x3.conv`, `Mixed_5b...`, `fc`);
/// its batch norms are registered in `f`.
pub fn inception_v3(p: &nn::Path, f: &BnFolds, classes: i64) -> impl ModuleT {
    let stem = nn::seq_t()
        .add(b3(f, p / "Conv2d_1a_3x3", 3, 32, 2, 0))
        .add(b3(f, p / "Conv2d_2a_3x3", 32, 32, 1, 0))
        .add(b3(f, p / "Conv2d_2b_3x3", 32, 64, 1, 1))
        .add_fn(max_pool)
        .add(b1(f, p / "Conv2d_3b_1x1", 64, 80))
        .add(b3(f, p / "Conv2d_4a_3x3", 80, 192, 1, 0))
        .add_fn(max_pool);
    let mixed = nn::seq_t()
        .add(inception_a(f, p / "Mixed_5b", 192, 32))
        .add(inception_a(f, p / "Mixed_5c", 256, 64))
        .add(inception_a(f, p / "Mixed_5d", 288, 64))
        .add(inception_b(f, p / "Mixed_6a", 288))
        .add(inception_c(f, p / "Mixed_6b", 768, 128))
        .add(inception_c(f, p / "Mixed_6c", 768, 160))
        .add(inception_c(f, p / "Mixed_6d", 768, 160))
        .add(inception_c(f, p / "Mixed_6e", 768, 192))
        .add(inception_d(f, p / "Mixed_7a", 768))
        .add(inception_e(f, p / "Mixed_7b", 1280))
        .add(inception_e(f, p / "Mixed_7c", 2048));
    let fc = linear(p / "fc", 2048, classes);
    nn::func_t(move |x, t| {
        let x = x
            .apply_t(&stem, t)
            .apply_t(&mixed, t)
            .adaptive_avg_pool2d([1, 1]);
        x.flatten(1, -1).dropout(0.5, t).apply(&fc)
    })
}
