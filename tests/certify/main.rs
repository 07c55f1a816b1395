//! Certificates (SPEC §8): the Clopper–Pearson bound against reference values, the coverage
//! of the certificate (boxes failing on more than p are certified at a rate ≤ α), the
//! ask/tell run (reproducible, early refutation, the failure rule per goal and criterion,
//! lockstep), independence from region growth, and the largest clean box against a brute
//! force over every candidate box.

mod asktell;
mod clean;
mod coverage;
mod stats;
mod support;
