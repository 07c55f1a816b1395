//! Jobs sharing one network: the functions of several jobs (each its mesh, label and
//! finite-difference steps) evaluated as one stream ([`SharedNetwork`] for lockstep region
//! runs, [`score_jointly`] for certificates), so that a GPU gets batches of many jobs' points.

use std::sync::Arc;

use nalgebra::{DMatrix, DVector};

use super::stream::score_parts;
use super::{ClassifierFunction, FunctionError, LabelScores};
use crate::region::lockstep::{JointBatch, JointFunction};
use crate::semantic::finite_difference::FiniteDifference;
use crate::semantic::{EvalError, Evaluation, SemanticFunction};

impl ClassifierFunction {
    /// Whether `other` can share this function's network batches: the same network
    /// (the same shared classifier), the same render size, the same largest batch and the
    /// same renderer.
    fn shares_batches_with(&self, other: &ClassifierFunction) -> bool {
        Arc::ptr_eq(&self.classifier, &other.classifier)
            && self.renderer.batch_shape(1) == other.renderer.batch_shape(1)
            && self.batch == other.batch
            && self.backend() == other.backend()
    }
}

/// The scores of every part (a function and its points) as one stream ([`score_parts`]):
/// the functions must share one classifier, render size, largest batch and renderer
/// (refused otherwise, naming the first part that does not). Certificates use it so that
/// the samples of many regions and jobs fill the network's batches together.
pub fn score_jointly(
    parts: &[(&ClassifierFunction, &DMatrix<f64>)],
) -> Result<Vec<LabelScores>, ScoreJointlyError> {
    let Some((first, _)) = parts.first() else {
        return Ok(Vec::new());
    };
    if let Some(index) = parts
        .iter()
        .position(|(f, _)| !first.shares_batches_with(f))
    {
        return Err(ScoreJointlyError::NotShared(NotShared { index }));
    }
    score_parts(parts, first.batch.get()).map_err(ScoreJointlyError::Function)
}

/// Why [`score_jointly`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ScoreJointlyError {
    #[error(transparent)]
    NotShared(NotShared),
    #[error(transparent)]
    Function(FunctionError),
}

/// The functions of several jobs of ONE network (each its mesh, label and finite-difference
/// steps), evaluated together for [`crate::region::lockstep::run_joint`]: a round's
/// batches of every job, with their finite-difference neighbours, go to the renderer and
/// the network as one stream ([`ClassifierFunction::scores`], across meshes), so that a
/// GPU gets batches of many jobs' points.
pub struct SharedNetwork<'a> {
    jobs: Vec<FiniteDifference<&'a ClassifierFunction>>,
}

/// Why functions cannot share a network's batches.
#[derive(Debug, thiserror::Error)]
#[error("job {index} cannot share network batches with job 0: its function has another classifier, render size, largest batch or renderer")]
pub struct NotShared {
    pub index: usize,
}

impl<'a> SharedNetwork<'a> {
    /// Jobs whose functions share one classifier, render size and largest batch.
    pub fn new(jobs: Vec<FiniteDifference<&'a ClassifierFunction>>) -> Result<Self, NotShared> {
        if let Some(first) = jobs.first() {
            if let Some(index) = jobs
                .iter()
                .position(|j| !first.inner().shares_batches_with(j.inner()))
            {
                return Err(NotShared { index });
            }
        }
        Ok(SharedNetwork { jobs })
    }
}

impl JointFunction for SharedNetwork<'_> {
    fn len(&self) -> usize {
        self.jobs.len()
    }

    fn function(&self, search: usize) -> &dyn SemanticFunction {
        &self.jobs[search]
    }

    fn evaluate_joint(&self, batches: &[JointBatch<'_>]) -> Vec<Result<Evaluation, EvalError>> {
        let mut results: Vec<Option<Result<Evaluation, EvalError>>> =
            batches.iter().map(|_| None).collect();
        // The points and neighbours of every batch of the right dimension.
        let mut stencils = Vec::new();
        for (k, b) in batches.iter().enumerate() {
            let fd = &self.jobs[b.search];
            match EvalError::check_dimension(fd.dim(), b.points) {
                Ok(()) => stencils.push((k, fd.stencil(b.points, b.gradient_rows))),
                Err(e) => results[k] = Some(Err(e)),
            }
        }
        let parts: Vec<(&ClassifierFunction, &DMatrix<f64>)> = stencils
            .iter()
            .map(|(k, m)| (*self.jobs[batches[*k].search].inner(), m))
            .collect();
        let batch = self.jobs.first().map_or(1, |j| j.inner().batch());
        match score_parts(&parts, batch) {
            Ok(scores) => {
                for ((k, _), s) in stencils.iter().zip(scores) {
                    let b = &batches[*k];
                    results[*k] = Some(self.jobs[b.search].from_stencil(
                        b.points,
                        b.gradient_rows,
                        &DVector::from_vec(s.probability),
                    ));
                }
            }
            Err(e) => {
                // The shared stream failed: every batch in it fails, the first with the
                // error itself, the others with its message.
                let message = e.to_string();
                let mut first = Some(e);
                for (k, _) in &stencils {
                    results[*k] = Some(Err(match first.take() {
                        Some(e) => EvalError::backend(e),
                        None => EvalError::backend(format!(
                            "the network batch shared with another job failed: {message}"
                        )),
                    }));
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.expect("every batch answered"))
            .collect()
    }
}
