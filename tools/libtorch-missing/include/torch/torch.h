// Found only when libtorch is not installed: .cargo/config.toml puts this folder on
// CPLUS_INCLUDE_PATH, which the compiler searches after torch-sys's `-I $LIBTORCH/include`.
#error "libtorch is not installed (LIBTORCH=.libtorch/torch): run scripts/setup.sh, or build without the classifiers: cargo build --no-default-features"
