//! AFL target: `semrob::fuzzing::grid`.
semrob_fuzz::target!(grid);
