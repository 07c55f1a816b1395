//! Analytic oracles (crate `semrob-oracles`) as semantic functions, and the named set the
//! command line offers (`semrob regions --oracle NAME`).

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
        with_gradients: bool,
    ) -> Result<Evaluation, EvalError> {
        let n = self.dim();
        if points.ncols() != n {
            return Err(EvalError::Dimension {
                expected: n,
                got: points.ncols(),
            });
        }
        let rows: Vec<Vec<f64>> = (0..points.nrows())
            .map(|j| points.row(j).iter().copied().collect())
            .collect();
        let values = DVector::from_iterator(rows.len(), rows.iter().map(|u| self.0.value(u)));
        let gradients = with_gradients.then(|| {
            let mut g = DMatrix::zeros(rows.len(), n);
            for (j, u) in rows.iter().enumerate() {
                for (k, d) in self.0.gradient(u).into_iter().enumerate() {
                    g[(j, k)] = d;
                }
            }
            g
        });
        Ok(Evaluation { values, gradients })
    }
}

/// A named oracle with the domain it is meant to be explored in.
#[derive(Debug, Clone)]
pub struct NamedOracle {
    pub name: &'static str,
    pub description: &'static str,
    pub oracle: Oracle,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// The oracles of the command line, on the paper's domain (azimuth [0, 360], elevation
/// [−10, 90]); plateaus have logistic edges of rate 2 per degree.
pub fn named_oracles() -> Vec<NamedOracle> {
    let az = (vec![0.0], vec![360.0]);
    let az_el = (vec![0.0, -10.0], vec![360.0, 90.0]);
    let entry = |name, description, oracle, (lower, upper): &(Vec<f64>, Vec<f64>)| NamedOracle {
        name,
        description,
        oracle,
        lower: lower.clone(),
        upper: upper.clone(),
    };
    vec![
        entry(
            "constant-1d",
            "f = 0.8 on azimuth [0, 360]",
            Oracle::constant(1, 0.8),
            &az,
        ),
        entry(
            "smooth-box-1d",
            "plateau f ≈ 1 on azimuth [100, 200], edges of rate 2/deg, domain [0, 360]",
            Oracle::smooth_box(1.0, &[100.0], &[200.0], 2.0),
            &az,
        ),
        entry(
            "smooth-box-2d",
            "plateau f ≈ 1 on [100, 200] × [10, 60] (100 × 50 deg), domain [0, 360] × [-10, 90]",
            Oracle::smooth_box(1.0, &[100.0, 10.0], &[200.0, 60.0], 2.0),
            &az_el,
        ),
        entry(
            "trap-1d",
            "plateau f ≈ 1 on azimuth [100, 200] with a hole f ≈ 0.1 on [140, 150]",
            Oracle::trap(1.0, &[100.0], &[200.0], 0.9, &[140.0], &[150.0], 2.0),
            &az,
        ),
        entry(
            "trap-2d",
            "plateau f ≈ 1 on [100, 200] × [10, 60] with a hole f ≈ 0.1 on [140, 150] × [30, 40]",
            Oracle::trap(
                1.0,
                &[100.0, 10.0],
                &[200.0, 60.0],
                0.9,
                &[140.0, 30.0],
                &[150.0, 40.0],
                2.0,
            ),
            &az_el,
        ),
        entry(
            "gaussian-2d",
            "Gaussian bump of height 0.95 at (180, 40), sigma (40, 20)",
            Oracle::gaussian_bump(0.95, &[180.0, 40.0], &[40.0, 20.0]),
            &az_el,
        ),
    ]
}

/// Looks an oracle up by name.
pub fn named_oracle(name: &str) -> Option<NamedOracle> {
    named_oracles().into_iter().find(|o| o.name == name)
}
