//! AFL target: `semrob::fuzzing::safetensors`.
semrob_fuzz::target!(safetensors);
