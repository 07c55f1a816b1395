//! AFL target: `semrob::fuzzing::image`.
semrob_fuzz::target!(image);
