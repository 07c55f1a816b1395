//! AFL target: `semrob::fuzzing::mesh`.
semrob_fuzz::target!(mesh);
