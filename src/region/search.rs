//! One value for a whole region search: which methods, from which starts, with which
//! hyper-parameters, robust or adversarial.

use super::driver::{Goal, RunState};
use super::methods::{HyperParams, Method};
use super::{Region, RegionError};
use crate::semantic::SemanticFunction;

/// Every run of a search: each method from each start (method-major), the same
/// hyper-parameters and goal for all; `keep_trace` asks the executor for every step's box.
///
/// `start_boxes`, when given, holds one box per run (in [`RegionSearch::jobs`] order) that
/// the run starts from instead of its start point's ε box ([`RunState::from_box`]); the
/// start points still name the runs. Refine mode continues the runs grown on a map this way.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionSearch {
    pub methods: Vec<Method>,
    pub starts: Vec<Vec<f64>>,
    pub hyper: HyperParams,
    pub goal: Goal,
    pub keep_trace: bool,
    pub start_boxes: Option<Vec<Region>>,
}

impl RegionSearch {
    /// Robust regions, no trace.
    pub fn new(methods: Vec<Method>, starts: Vec<Vec<f64>>, hyper: HyperParams) -> RegionSearch {
        RegionSearch {
            methods,
            starts,
            hyper,
            goal: Goal::Robust,
            keep_trace: false,
            start_boxes: None,
        }
    }

    pub fn with_goal(self, goal: Goal) -> RegionSearch {
        RegionSearch { goal, ..self }
    }

    pub fn with_trace(self, keep_trace: bool) -> RegionSearch {
        RegionSearch { keep_trace, ..self }
    }

    /// Every run starts from its box (one per run, in [`RegionSearch::jobs`] order).
    pub fn with_start_boxes(self, boxes: Vec<Region>) -> RegionSearch {
        RegionSearch {
            start_boxes: Some(boxes),
            ..self
        }
    }

    /// `(method, start)` of every run, method-major: the order of results.
    pub fn jobs(&self) -> Vec<(Method, &[f64])> {
        self.methods
            .iter()
            .flat_map(|&m| self.starts.iter().map(move |s| (m, s.as_slice())))
            .collect()
    }

    /// The runs of the search on `f` over `domain`, each checked (the first bad one's error).
    pub fn runs(
        &self,
        f: &dyn SemanticFunction,
        domain: &Region,
    ) -> Result<Vec<RunState>, RegionError> {
        let jobs = self.jobs();
        match &self.start_boxes {
            None => jobs
                .into_iter()
                .map(|(method, init)| {
                    RunState::new(f, method, domain, init, &self.hyper, self.goal)
                })
                .collect(),
            Some(boxes) if boxes.len() != jobs.len() => Err(RegionError::StartBoxCount {
                expected: jobs.len(),
                got: boxes.len(),
            }),
            Some(boxes) => jobs
                .into_iter()
                .zip(boxes)
                .map(|((method, _), start)| {
                    RunState::from_box(f, method, domain, start, &self.hyper, self.goal)
                })
                .collect(),
        }
    }
}
