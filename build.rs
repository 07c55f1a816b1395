//! Gives binaries, tests and benches an rpath to libtorch when the `torch` feature is on
//! (torch-sys links libtorch but sets no rpath; see scripts/setup.sh for the install).

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
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
