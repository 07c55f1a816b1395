//! The SRVR benchmark (SPEC §5, §7): a configuration names networks, shapes, starts,
//! methods and settings; every (network, shape) job samples an acceptance map, grows regions
//! from every start with every method on the real function, and is saved atomically in a
//! results folder stamped with the configuration's fingerprint; `crate::analysis::srvr_report`
//! aggregates them.

mod artifacts;
#[cfg(feature = "torch")]
mod certify;
mod config;
mod results;
#[cfg(feature = "torch")]
mod run;

pub use artifacts::{render_points, RenderShot, Renders};
#[cfg(feature = "torch")]
pub use certify::{certification, certify_results, CertifyEvent};
pub use config::{
    is_embedded_default_run, AcceptanceConfig, CertifyConfig, CheckedConfig, ConfigError,
    DatasetConfig, FixtureShape, HyperConfig, NetworkConfig, SrvrConfig, DEFAULT_REFINE_STEPS,
    EMBEDDED_DEFAULT,
};
pub use results::{
    CertifyTelemetry, JobId, JobResult, JobTelemetry, ResultsDir, ResultsError, Shard, Stamp,
    FNV_RESULTS_FORMAT, RESULTS_FORMAT,
};
#[cfg(feature = "torch")]
pub use run::{
    default_lockstep_jobs, plan, run_jobs, BenchError, JobEvent, Plan, PlannedJob, PlannedNetwork,
    LOCKSTEP_JOBS_GPU,
};
