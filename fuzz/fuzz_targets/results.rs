//! AFL target: `semrob::fuzzing::results`.
semrob_fuzz::target!(results);
