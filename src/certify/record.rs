//! What a run's box was found to be on the network, as a run's record keeps it (SPEC §8): a
//! certificate, or none for a box too small to sample, and the clean box inside an
//! uncertified one. The records sit here, below the analysis that plans and stores them, so
//! that the run summaries (`analysis::region_runs`) and the certification
//! (`analysis::certificates`) both depend on them and not on each other.

use serde::{Deserialize, Serialize};

use super::{Certificate, CertifySettings, Verdict};

/// A certificate whose margin (the sampled score closest to the threshold) is below this is
/// *fragile*: libtorch's CPU kernels move scores by about 1e-7 relative, so a verdict with
/// a larger margin puts every sample on the same side of the threshold on every CPU (the
/// samples themselves are fixed by the seed), and so is the same everywhere; a fragile one
/// may flip. Reports count them; a golden report must hold none (SPEC §8).
pub const FRAGILE_MARGIN: f64 = 1e-5;

/// What a run's box was found to be on the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RegionCertificate {
    /// Under the smallest share of Ω that gets a certificate
    /// (`analysis::certificates::MIN_CERTIFIED_RATIO`): not sampled, counts 0 in certified
    /// SRVR.
    TooSmall,
    /// Sampled on the network.
    Sampled(Certificate),
}

impl RegionCertificate {
    /// Whether the box is certified.
    pub fn is_certified(&self) -> bool {
        matches!(self, RegionCertificate::Sampled(c) if c.verdict == Verdict::Certified)
    }

    /// The sampled certificate (`None` for a box too small to certify).
    pub fn sampled(&self) -> Option<&Certificate> {
        match self {
            RegionCertificate::Sampled(c) => Some(c),
            RegionCertificate::TooSmall => None,
        }
    }

    /// Whether its verdict may differ on another CPU ([`FRAGILE_MARGIN`]).
    pub fn is_fragile(&self) -> bool {
        self.sampled().is_some_and(|c| c.margin < FRAGILE_MARGIN)
    }

    /// Whether it was made with `settings` at `threshold` (a folder certified with other
    /// settings is certified again by `semrob certify`).
    pub fn made_with(&self, settings: &CertifySettings, threshold: f64) -> bool {
        match self {
            RegionCertificate::TooSmall => true,
            RegionCertificate::Sampled(c) => {
                c.planned == settings.samples
                    && c.confidence == settings.confidence
                    && c.max_share == settings.max_share
                    && c.criterion == settings.criterion
                    && c.threshold == threshold
            }
        }
    }

    /// The file of its witness's render under the job's renders folder (`None`: no witness).
    pub fn witness_file(&self) -> Option<String> {
        self.sampled().map(|c| witness_file(c.seed))
    }
}

/// `witness-<seed>.png`: the render of a certificate's witness, in the job's renders folder.
pub fn witness_file(seed: u64) -> String {
    format!("witness-{seed:016x}.png")
}

/// The largest clean box inside a run's uncertified box (`clean` certificates), and its
/// certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanRegion {
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// |D| / |Ω| of the clean box.
    pub volume_ratio: f64,
    pub certificate: RegionCertificate,
}
