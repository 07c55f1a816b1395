//! Analytic test functions with exact values, gradients and box integrals.
