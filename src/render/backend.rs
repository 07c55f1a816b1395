//! Which renderer draws a network's inputs: [`RenderBackend`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which renderer draws the images a network classifies (issue 20): the same images either
/// way (the tensor renderer is proven pixel-equal to the CPU renderer, SPEC §6), so results
/// do not depend on it; only where the work runs does.
///
/// * `cpu`: [`super::Renderer`] on rayon's threads; the batch crosses to the network's device
///   as a host buffer.
/// * `device`: [`super::TensorRenderer`] on the network's device (feature `torch`): images
///   are born where the network reads them, with no host round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RenderBackend {
    Cpu,
    Device,
}

impl RenderBackend {
    pub const ALL: [RenderBackend; 2] = [RenderBackend::Cpu, RenderBackend::Device];

    pub fn name(self) -> &'static str {
        match self {
            RenderBackend::Cpu => "cpu",
            RenderBackend::Device => "device",
        }
    }

    /// The default where the network runs on CUDA (`device`) or on the CPU (`cpu`, where the
    /// CPU renderer is hundreds of times faster than tensor operations: BENCHMARKS.md).
    pub fn default_for(cuda: bool) -> RenderBackend {
        if cuda {
            RenderBackend::Device
        } else {
            RenderBackend::Cpu
        }
    }
}

/// A renderer name that is neither `cpu` nor `device`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown renderer {0:?}: expected \"cpu\" or \"device\"")]
pub struct UnknownBackend(pub String);

impl FromStr for RenderBackend {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RenderBackend::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBackend(s.into()))
    }
}

impl fmt::Display for RenderBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for b in RenderBackend::ALL {
            assert_eq!(b.name().parse::<RenderBackend>(), Ok(b));
            assert_eq!(serde_json::to_string(&b).unwrap(), format!("\"{b}\""));
        }
        let e = "gpu".parse::<RenderBackend>().unwrap_err();
        assert!(e.to_string().contains("\"gpu\"") && e.to_string().contains("device"));
        assert_eq!(RenderBackend::default_for(true), RenderBackend::Device);
        assert_eq!(RenderBackend::default_for(false), RenderBackend::Cpu);
    }
}
