//! Small builders shared by the networks. Each takes the `nn::Path` whose name is the
//! checkpoint prefix of the layer, so variable names are the state-dict keys.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tch::nn::{self, ModuleT};
use tch::{Kind, Tensor};

/// The geometry of a convolution, kept beside it because `nn::Conv2D` keeps its own private.
#[derive(Debug, Clone, Copy)]
pub struct ConvShape {
    pub c_in: i64,
    pub c_out: i64,
    pub k: [i64; 2],
    pub stride: i64,
    pub padding: [i64; 2],
    /// 1 for a dense convolution, `c_in` for a depthwise one.
    pub groups: i64,
}

impl ConvShape {
    /// A square `k × k` dense convolution with symmetric padding.
    pub fn square(c_in: i64, c_out: i64, k: i64, stride: i64, padding: i64) -> ConvShape {
        ConvShape {
            c_in,
            c_out,
            k: [k, k],
            stride,
            padding: [padding, padding],
            groups: 1,
        }
    }

    /// A depthwise (one group per channel) square convolution, unpadded.
    pub fn depthwise(c: i64, k: i64, stride: i64) -> ConvShape {
        ConvShape {
            groups: c,
            ..ConvShape::square(c, c, k, stride, 0)
        }
    }

    fn build(self, p: nn::Path, bias: bool) -> nn::Conv2D {
        let config = nn::ConvConfigND {
            stride: [self.stride, self.stride],
            padding: self.padding,
            bias,
            groups: self.groups,
            ..Default::default()
        };
        nn::conv(p, self.c_in, self.c_out, self.k, config)
    }
}

/// The convolution → batch norm pairs of one network, collected while it is built, so that
/// once the weights are loaded [`BnFolds::fold`] can merge each batch norm into its
/// convolution: inference then runs one convolution where it ran a convolution and a full
/// pass over its output.
#[derive(Debug, Default)]
pub struct BnFolds {
    pairs: RefCell<Vec<FoldSite>>,
    folded: Arc<AtomicBool>,
}

/// One pair's tensors, shared with the variable store (shallow clones), so that folding in
/// place changes what the network's layers see.
#[derive(Debug)]
struct FoldSite {
    weight: Tensor,
    conv_bias: Option<Tensor>,
    gamma: Tensor,
    beta: Tensor,
    mean: Tensor,
    var: Tensor,
    eps: f64,
}

/// A convolution followed by batch norm (eval mode). Before [`BnFolds::fold`] it runs both
/// layers; after, one convolution with the folded weight and bias.
#[derive(Debug)]
pub struct ConvBn {
    conv: nn::Conv2D,
    bn: nn::BatchNorm,
    shape: ConvShape,
    folded: Arc<AtomicBool>,
}

impl BnFolds {
    /// A convolution at `pc` (with a `bias` of its own when `bias`) followed by batch norm
    /// at `pb`, registered for folding.
    pub fn conv_bn(
        &self,
        pc: nn::Path,
        pb: nn::Path,
        shape: ConvShape,
        bias: bool,
        eps: f64,
    ) -> ConvBn {
        let conv = shape.build(pc, bias);
        let bn = batch_norm(pb, shape.c_out, eps);
        let affine = |t: &Option<Tensor>| t.as_ref().expect("affine batch norm").shallow_clone();
        self.pairs.borrow_mut().push(FoldSite {
            weight: conv.ws.shallow_clone(),
            conv_bias: conv.bs.as_ref().map(Tensor::shallow_clone),
            gamma: affine(&bn.ws),
            beta: affine(&bn.bs),
            mean: bn.running_mean.shallow_clone(),
            var: bn.running_var.shallow_clone(),
            eps,
        });
        ConvBn {
            conv,
            bn,
            shape,
            folded: self.folded.clone(),
        }
    }

    /// Merges every batch norm into its convolution, in place in the variable store:
    /// with `s = γ / √(σ² + ε)`, the weight becomes `s·W` (per output channel) and the batch
    /// norm's bias `β + s·(b − μ)`, which the folded layer adds as the convolution's bias
    /// (b = 0 for a convolution without bias). Computed in f64 and stored in the weights' own
    /// dtype. The running statistics and γ are left as they were but no longer used: after
    /// this the store holds inference weights, not a checkpoint, and the network cannot
    /// train. Idempotent.
    pub fn fold(&self) -> Result<(), tch::TchError> {
        if self.folded.load(Ordering::Acquire) {
            return Ok(());
        }
        tch::no_grad(|| -> Result<(), tch::TchError> {
            for site in self.pairs.borrow_mut().iter_mut() {
                site.fold()?;
            }
            Ok(())
        })?;
        self.folded.store(true, Ordering::Release);
        Ok(())
    }
}

impl FoldSite {
    fn fold(&mut self) -> Result<(), tch::TchError> {
        let f64_of = |t: &Tensor| t.f_to_kind(Kind::Double);
        let scale =
            f64_of(&self.gamma)?.f_div(&f64_of(&self.var)?.f_add_scalar(self.eps)?.f_sqrt()?)?;
        let conv_bias = match &self.conv_bias {
            Some(b) => f64_of(b)?,
            None => scale.f_zeros_like()?,
        };
        let bias =
            f64_of(&self.beta)?.f_add(&scale.f_mul(&conv_bias.f_sub(&f64_of(&self.mean)?)?)?)?;
        let weight = f64_of(&self.weight)?.f_mul(&scale.f_reshape([-1, 1, 1, 1])?)?;
        self.weight.f_copy_(&weight)?;
        self.beta.f_copy_(&bias)?;
        Ok(())
    }
}

impl ModuleT for ConvBn {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        if !self.folded.load(Ordering::Relaxed) {
            return xs.apply(&self.conv).apply_t(&self.bn, train);
        }
        assert!(
            !train,
            "a network whose batch norms are folded cannot train"
        );
        let s = self.shape;
        xs.conv2d(
            &self.conv.ws,
            self.bn.bs.as_ref(),
            [s.stride, s.stride],
            s.padding,
            [1, 1],
            s.groups,
        )
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives every batch norm of `vs` statistics far from the identity, so a fold that
    /// dropped a term would show.
    fn randomise_statistics(vs: &nn::VarStore) {
        tch::no_grad(|| {
            for (name, mut t) in vs.variables() {
                let r = Tensor::rand(t.size(), (Kind::Float, tch::Device::Cpu));
                let value = if name.ends_with("running_var") {
                    r * 2.0 + 0.1
                } else {
                    r * 2.0 - 1.0
                };
                t.copy_(&value);
            }
        });
    }

    /// For a dense convolution with and without its own bias and for a depthwise one, the
    /// folded layer computes what the convolution and the batch norm computed.
    #[test]
    fn a_folded_layer_computes_what_its_convolution_and_batch_norm_did() {
        tch::manual_seed(7);
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let folds = BnFolds::default();
        let p = vs.root();
        let layers = [
            folds.conv_bn(
                &p / "a",
                &p / "abn",
                ConvShape::square(3, 8, 3, 2, 1),
                false,
                1e-5,
            ),
            folds.conv_bn(
                &p / "b",
                &p / "bbn",
                ConvShape::square(8, 8, 1, 1, 0),
                true,
                1e-3,
            ),
            folds.conv_bn(
                &p / "c",
                &p / "cbn",
                ConvShape::depthwise(8, 5, 1),
                false,
                1e-3,
            ),
        ];
        randomise_statistics(&vs);
        let x = Tensor::rand([2, 3, 17, 17], (Kind::Float, tch::Device::Cpu));
        let run = || {
            tch::no_grad(|| {
                layers
                    .iter()
                    .fold(x.shallow_clone(), |x, layer| x.apply_t(layer, false))
            })
        };
        let before = run();
        folds.fold().unwrap();
        let after = run();
        let scale = f64::try_from(before.abs().max()).unwrap();
        let diff = f64::try_from((&after - &before).abs().max()).unwrap();
        assert!(diff <= 1e-5 * scale, "{diff} against {scale}");
        folds.fold().unwrap();
        let again = run();
        assert_eq!(f64::try_from((&again - &after).abs().max()).unwrap(), 0.0);
    }
}
