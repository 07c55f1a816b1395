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

mod legacy;
mod pickle;
mod safetensors_file;
mod storages;
mod zip_file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use pickle::Value;
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
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.into(),
        source,
    })?;
    if bytes.starts_with(b"PK\x03\x04") {
        zip_file::read(path, &bytes)
    } else if bytes.starts_with(legacy::MAGIC) {
        legacy::read(path, &bytes)
    } else if safetensors_file::looks_like(&bytes) {
        safetensors_file::read(path, &bytes)
    } else {
        Err(CheckpointError::UnknownFormat { path: path.into() })
    }
}
