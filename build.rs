//! Gives binaries, tests and benches an rpath to libtorch when the `torch` feature is on
//! (torch-sys links libtorch but sets no rpath; see scripts/setup.sh for the install), and
//! with the `onnx` feature the path of the ONNX Runtime library scripts/setup.sh installs.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_ONNX").is_some() {
        // Where scripts/setup.sh installs ONNX Runtime: src/nets/onnx.rs loads it from there at
        // run time (a missing library is reported then, when an ONNX model is asked for).
        let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        let library = Path::new(&root).join(".onnxruntime/libonnxruntime.so");
        println!(
            "cargo:rustc-env=SEMROB_ONNXRUNTIME_LIBRARY={}",
            library.display()
        );
    }
    if std::env::var_os("CARGO_FEATURE_TORCH").is_none() {
        return;
    }
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let lib = std::env::var("DEP_TCH_LIBTORCH_LIB").unwrap_or_default();
    if lib.is_empty() || !Path::new(&lib).join("libtorch_cpu.so").exists() {
        panic!(
            "libtorch not found (DEP_TCH_LIBTORCH_LIB = {lib:?}): run `scripts/setup.sh` to install \
             the pinned libtorch into .libtorch/, or build without it: `cargo build --no-default-features`"
        );
    }
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
}
