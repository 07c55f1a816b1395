//! The region core and the semantic maps: methods, geometry, face quadrature, the driver,
//! the ask/tell engine, divergence, goldens and the grids, against analytic oracles.

mod asktell;
mod behaviour;
mod coordinates;
mod directions;
mod divergence;
mod driver;
mod face_quadrature;
mod geometry;
mod golden;
mod grid;
mod oir_w;
mod refine;
mod rest;
mod support;
