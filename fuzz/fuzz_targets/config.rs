//! AFL target: `semrob::fuzzing::config`.
semrob_fuzz::target!(config);
