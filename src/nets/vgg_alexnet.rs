//! VGG11 with batch norm and AlexNet (torchvision `vgg11_bn`, `alexnet`): a `features`
//! stack indexed like torchvision's `nn.Sequential`, adaptive average pooling and a
//! `classifier` stack (dropout is the identity at inference).

use tch::nn::{self, ModuleT};

use super::layers::{conv_sq, linear, BnFolds, ConvShape};

/// VGG11-BN: configuration "A" (`64 M 128 M 256 256 M 512 512 M 512 512 M`), each
/// convolution followed by batch norm and ReLU, so each takes three `features` indices. Its
/// batch norms are registered in `folds`.
pub fn vgg11_bn(p: &nn::Path, folds: &BnFolds, classes: i64) -> impl ModuleT {
    const CONFIG: [i64; 13] = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]; // 0 = max pool
    let f = p / "features";
    let mut features = nn::seq_t();
    let (mut index, mut c_in) = (0, 3);
    for c_out in CONFIG {
        if c_out == 0 {
            features = features.add_fn(|x| x.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false));
            index += 1;
        } else {
            let shape = ConvShape::square(c_in, c_out, 3, 1, 1);
            features = features
                .add(folds.conv_bn(&f / index, &f / (index + 1), shape, true, 1e-5))
                .add_fn(|x| x.relu());
            index += 3;
            c_in = c_out;
        }
    }
    let c = p / "classifier";
    let classifier = nn::seq_t()
        .add(linear(&c / "0", 512 * 7 * 7, 4096))
        .add_fn(|x| x.relu())
        .add_fn_t(|x, train| x.dropout(0.5, train))
        .add(linear(&c / "3", 4096, 4096))
        .add_fn(|x| x.relu())
        .add_fn_t(|x, train| x.dropout(0.5, train))
        .add(linear(&c / "6", 4096, classes));
    nn::func_t(move |x, train| {
        let x = x.apply_t(&features, train).adaptive_avg_pool2d([7, 7]);
        x.flatten(1, -1).apply_t(&classifier, train)
    })
}

/// AlexNet as in torchvision (the one-GPU variant: 64-192-384-256-256 channels).
pub fn alexnet(p: &nn::Path, classes: i64) -> impl ModuleT {
    let f = p / "features";
    let pool = |x: &tch::Tensor| x.max_pool2d([3, 3], [2, 2], [0, 0], [1, 1], false);
    let features = nn::seq_t()
        .add(conv_sq(&f / "0", 3, 64, 11, 4, 2, true))
        .add_fn(|x| x.relu())
        .add_fn(pool)
        .add(conv_sq(&f / "3", 64, 192, 5, 1, 2, true))
        .add_fn(|x| x.relu())
        .add_fn(pool)
        .add(conv_sq(&f / "6", 192, 384, 3, 1, 1, true))
        .add_fn(|x| x.relu())
        .add(conv_sq(&f / "8", 384, 256, 3, 1, 1, true))
        .add_fn(|x| x.relu())
        .add(conv_sq(&f / "10", 256, 256, 3, 1, 1, true))
        .add_fn(|x| x.relu())
        .add_fn(pool);
    let c = p / "classifier";
    let classifier = nn::seq_t()
        .add_fn_t(|x, train| x.dropout(0.5, train))
        .add(linear(&c / "1", 256 * 6 * 6, 4096))
        .add_fn(|x| x.relu())
        .add_fn_t(|x, train| x.dropout(0.5, train))
        .add(linear(&c / "4", 4096, 4096))
        .add_fn(|x| x.relu())
        .add(linear(&c / "6", 4096, classes));
    nn::func_t(move |x, train| {
        let x = x.apply_t(&features, train).adaptive_avg_pool2d([6, 6]);
        x.flatten(1, -1).apply_t(&classifier, train)
    })
}
