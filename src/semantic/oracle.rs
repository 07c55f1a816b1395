//! Analytic oracles (crate `semrob-oracles`) as semantic functions. The command line's
//! `--oracle NAME` picks one of `semrob_oracles::examples()`.

use nalgebra::{DMatrix, DVector};
use semrob_oracles::Oracle;

use super::{EvalError, Evaluation, SemanticFunction};

/// An analytic oracle seen as a function of interest, with its exact gradient.
#[derive(Debug, Clone)]
pub struct OracleFunction(pub Oracle);

impl SemanticFunction for OracleFunction {
    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn provides_gradients(&self) -> bool {
        true
    }

    fn evaluate(
        &self,
        points: &DMatrix<f64>,
        gradient_rows: usize,
    ) -> Result<Evaluation, EvalError> {
        let n = self.dim();
        EvalError::check_dimension(n, points)?;
        let rows: Vec<Vec<f64>> = (0..points.nrows())
            .map(|j| points.row(j).iter().copied().collect())
            .collect();
        let values = DVector::from_iterator(rows.len(), rows.iter().map(|u| self.0.value(u)));
        let gradient_rows = gradient_rows.min(rows.len());
        let gradients = (gradient_rows > 0).then(|| {
            let mut g = DMatrix::zeros(gradient_rows, n);
            for (j, u) in rows.iter().take(gradient_rows).enumerate() {
                for (k, d) in self.0.gradient(u).into_iter().enumerate() {
                    g[(j, k)] = d;
                }
            }
            g
        });
        Ok(Evaluation { values, gradients })
    }
}
