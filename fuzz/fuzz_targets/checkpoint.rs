//! AFL target: `semrob::fuzzing::checkpoint`.
semrob_fuzz::target!(checkpoint);
