//! The checkpoint reader against files written by PyTorch 2.13 itself: both container
//! formats, every dtype semrob reads, strided and offset views, parameters, and the errors.

use crate::support::{fixtures, load};
use semrob::nets::checkpoint::{
    read_weights, write_safetensors, CheckpointError, DType, RawTensor,
};

/// Decodes a tensor's bytes to f64 per its dtype (exact for every dtype in the fixtures).
fn values(t: &RawTensor) -> Vec<f64> {
    let n = t.dtype.size();
    t.data
        .chunks_exact(n)
        .map(|c| match t.dtype {
            DType::I64 => i64::from_le_bytes(c.try_into().unwrap()) as f64,
            DType::I32 => f64::from(i32::from_le_bytes(c.try_into().unwrap())),
            DType::F64 => f64::from_le_bytes(c.try_into().unwrap()),
            _ => f64::from(
                RawTensor {
                    dtype: t.dtype,
                    shape: vec![1],
                    data: c.to_vec(),
                }
                .to_f32()
                .unwrap()[0],
            ),
        })
        .collect()
}

fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::F32 => "float32",
        DType::F64 => "float64",
        DType::F16 => "float16",
        DType::BF16 => "bfloat16",
        DType::I64 => "int64",
        DType::I32 => "int32",
        DType::I16 => "int16",
        DType::I8 => "int8",
        DType::U8 => "uint8",
        DType::Bool => "bool",
    }
}

fn check_against_expected(file: &str) {
    let got = load(file);
    let text = std::fs::read_to_string(fixtures().join("reader/expected.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let expected = expected.as_object().unwrap();
    let mut want_keys: Vec<&String> = expected.keys().collect();
    want_keys.sort();
    assert_eq!(got.keys().collect::<Vec<_>>(), want_keys, "{file}: keys");
    for (key, want) in expected {
        let t = &got[key];
        assert_eq!(
            dtype_name(t.dtype),
            want["dtype"].as_str().unwrap(),
            "{file}: {key} dtype"
        );
        let shape: Vec<usize> = want["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(t.shape, shape, "{file}: {key} shape");
        let values_want: Vec<f64> = want["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        // serde_json's float parsing may be one ulp off for f64; all other dtypes are exact.
        let close = values(t)
            .iter()
            .zip(&values_want)
            .all(|(a, b)| (a - b).abs() <= 1e-14 * b.abs());
        assert!(
            close && t.numel() == values_want.len(),
            "{file}: {key} values {:?} vs {values_want:?}",
            values(t)
        );
    }
}

#[test]
fn zip_format_views_and_dtypes_match_pytorch() {
    check_against_expected("reader/zip.pt");
}

#[test]
fn legacy_format_views_and_dtypes_match_pytorch() {
    check_against_expected("reader/legacy.pt");
}

#[test]
fn legacy_and_zip_files_of_one_state_dict_read_the_same() {
    // efficientnet-lite0: the same random init saved both ways (the zip one in float32 too).
    assert_eq!(
        load("arch/efficientnet-lite0.legacy.pth"),
        load("arch/efficientnet-lite0.pth")
    );
}

#[test]
fn safetensors_round_trip_keeps_names_dtypes_shapes_and_bytes() {
    let original = load("reader/zip.pt");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cases.safetensors");
    write_safetensors(&original, &out).unwrap();
    assert_eq!(read_weights(&out).unwrap(), original);
}

#[test]
fn convert_weights_cli_writes_safetensors_that_read_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lite0.safetensors");
    let input = fixtures().join("arch/efficientnet-lite0.legacy.pth");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_semrob"))
        .arg("convert-weights")
        .arg(&input)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(read_weights(&out).unwrap(), read_weights(&input).unwrap());
}

#[test]
fn a_dict_holding_non_tensors_is_refused_naming_the_key() {
    let path = fixtures().join("reader/not_a_state_dict.pt");
    match read_weights(&path) {
        Err(e @ CheckpointError::Tensor { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("\"epoch\"") && text.contains("not a tensor"),
                "{text}"
            );
        }
        other => panic!("expected a Tensor error, got {other:?}"),
    }
}

#[test]
fn truncated_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["zip.pt", "legacy.pt"] {
        let bytes = std::fs::read(fixtures().join("reader").join(name)).unwrap();
        let cut = dir.path().join(name);
        std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
        let e = read_weights(&cut).expect_err(name).to_string();
        assert!(e.contains(cut.to_str().unwrap()), "{e}");
    }
    let junk = dir.path().join("junk.pth");
    std::fs::write(&junk, b"hello, not a checkpoint").unwrap();
    assert!(matches!(
        read_weights(&junk),
        Err(CheckpointError::UnknownFormat { .. })
    ));
    let missing = dir.path().join("missing.pth");
    assert!(matches!(
        read_weights(&missing),
        Err(CheckpointError::Io { .. })
    ));
}
