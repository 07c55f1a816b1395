//! Arguments shared by several subcommands.

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use semrob::analysis::regions::{default_starts, RunSummary};
use semrob::region::{HyperParams, Method, Region};
use semrob::report::plot::{palette, Overlay};

/// Which region methods to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodChoice {
    Naive,
    OirB,
    OirW,
    All,
}

impl MethodChoice {
    pub fn methods(self) -> Vec<Method> {
        match self {
            MethodChoice::Naive => vec![Method::Naive],
            MethodChoice::OirB => vec![Method::OirB],
            MethodChoice::OirW => vec![Method::OirW],
            MethodChoice::All => Method::ALL.to_vec(),
        }
    }
}

/// The region methods' hyper-parameters; defaults are the paper's (SPEC §3).
#[derive(Debug, Clone, Args)]
pub struct HyperArgs {
    /// Step size η (> 0).
    #[arg(long, default_value_t = HyperParams::default().eta)]
    pub eta: f64,
    /// Naive's regulariser λ (≥ 0).
    #[arg(long, default_value_t = HyperParams::default().lambda)]
    pub lambda: f64,
    /// OIR's outer margin α (> 0).
    #[arg(long, default_value_t = HyperParams::default().alpha)]
    pub alpha: f64,
    /// OIR_W's emphasis β (0 ≤ β < 2/(2n−1)).
    #[arg(long, default_value_t = HyperParams::default().beta)]
    pub beta: f64,
    /// Iteration budget per run (≥ 1).
    #[arg(long, default_value_t = HyperParams::default().iterations)]
    pub iterations: usize,
    /// Convergence tolerance: stop when every bound moves by at most this fraction of its
    /// side in one step.
    #[arg(long, default_value_t = HyperParams::default().tolerance)]
    pub tolerance: f64,
    /// Points per dimension on each face for the Leibniz face integrals (2 = the paper's
    /// corner rule; m gives m^(n−1) points per face).
    #[arg(long, default_value_t = HyperParams::default().face_points)]
    pub face_points: usize,
}

impl HyperArgs {
    pub fn params(&self) -> HyperParams {
        HyperParams {
            eta: self.eta,
            lambda: self.lambda,
            alpha: self.alpha,
            beta: self.beta,
            iterations: self.iterations,
            tolerance: self.tolerance,
            face_points: self.face_points,
            ..HyperParams::default()
        }
    }
}

/// Parses a point `X,Y,...`.
pub fn parse_point(text: &str) -> anyhow::Result<Vec<f64>> {
    text.split(',')
        .map(|part| {
            let v: f64 = part
                .trim()
                .parse()
                .with_context(|| format!("--init {text:?}: {part:?} is not a number"))?;
            if !v.is_finite() {
                bail!("--init {text:?}: {part:?} is not finite");
            }
            Ok(v)
        })
        .collect()
}

/// Parses a domain `LO:HI,LO:HI,...` into a region.
pub fn parse_domain(text: &str) -> anyhow::Result<Region> {
    let mut lower = Vec::new();
    let mut upper = Vec::new();
    for part in text.split(',') {
        let Some((lo, hi)) = part.split_once(':') else {
            bail!("--domain {text:?}: {part:?} is not LO:HI");
        };
        let parse = |s: &str| -> anyhow::Result<f64> {
            let v: f64 = s
                .trim()
                .parse()
                .with_context(|| format!("--domain {text:?}: {s:?} is not a number"))?;
            if !v.is_finite() {
                bail!("--domain {text:?}: {s:?} is not finite");
            }
            Ok(v)
        };
        lower.push(parse(lo)?);
        upper.push(parse(hi)?);
    }
    Region::new(lower, upper).with_context(|| format!("--domain {text:?}"))
}

/// The domain (`--domain`, else `default`) and the starts (`--init`, else the defaults of
/// [`default_starts`]) of a region run on a function of `dim` parameters.
pub fn domain_and_starts(
    domain: Option<&str>,
    default: Region,
    dim: usize,
    init: &[String],
) -> anyhow::Result<(Region, Vec<Vec<f64>>)> {
    let domain = match domain {
        Some(text) => parse_domain(text)?,
        None => default,
    };
    if domain.dim() != dim {
        bail!(
            "--domain has {} dimensions, the function has {dim}",
            domain.dim()
        );
    }
    let starts = if init.is_empty() {
        default_starts(&domain)
    } else {
        init.iter()
            .map(|s| parse_point(s))
            .collect::<anyhow::Result<_>>()?
    };
    Ok((domain, starts))
}

/// The boxes of 2-D region runs, to draw over their map, one colour and legend entry each.
pub fn region_overlays(runs: &[RunSummary]) -> Vec<Overlay> {
    runs.iter()
        .enumerate()
        .map(|(i, r)| Overlay {
            lower: [r.lower[0], r.lower[1]],
            upper: [r.upper[0], r.upper[1]],
            label: format!("{} from ({:.0}, {:.0})", r.method, r.init[0], r.init[1]),
            colour: palette(i),
        })
        .collect()
}
