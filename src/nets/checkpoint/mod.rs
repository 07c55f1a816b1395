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

mod pickle;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use pickle::TensorRef;
pub use pickle::Value;

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

/// The legacy format's first pickle, `pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)`, less
/// its STOP: PROTO 2, LONG1 of 10 little-endian bytes.
const LEGACY_MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

/// Reads a state dict from a `.safetensors` file or a PyTorch checkpoint (zip or legacy),
/// recognised by content, not by extension.
pub fn read_weights(path: &Path) -> Result<StateDict, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.into(),
        source,
    })?;
    if bytes.starts_with(b"PK\x03\x04") {
        read_zip(path, &bytes)
    } else if bytes.starts_with(LEGACY_MAGIC) {
        read_legacy(path, &bytes)
    } else if looks_like_safetensors(&bytes) {
        read_safetensors(path, &bytes)
    } else {
        Err(CheckpointError::UnknownFormat { path: path.into() })
    }
}

/// Writes a state dict as `.safetensors` (same names, dtypes and shapes).
pub fn write_safetensors(tensors: &StateDict, path: &Path) -> Result<(), CheckpointError> {
    let views = tensors
        .iter()
        .map(|(k, t)| {
            safetensors::tensor::TensorView::new(t.dtype.to_safetensors(), t.shape.clone(), &t.data)
                .map(|v| (k.as_str(), v))
                .map_err(|e| CheckpointError::Safetensors {
                    path: path.into(),
                    message: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    safetensors::serialize_to_file(views, None, path).map_err(|e| CheckpointError::Safetensors {
        path: path.into(),
        message: e.to_string(),
    })
}

fn looks_like_safetensors(bytes: &[u8]) -> bool {
    // 8-byte little-endian header length, then a JSON object.
    bytes.len() > 9 && bytes[8] == b'{'
}

fn read_safetensors(path: &Path, bytes: &[u8]) -> Result<StateDict, CheckpointError> {
    let bad = |message: String| CheckpointError::Safetensors {
        path: path.into(),
        message,
    };
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| bad(e.to_string()))?;
    let mut out = StateDict::new();
    for (name, view) in st.tensors() {
        let dtype = DType::from_safetensors(view.dtype()).ok_or_else(|| {
            bad(format!(
                "tensor {name:?} has unsupported dtype {:?}",
                view.dtype()
            ))
        })?;
        out.insert(
            name,
            RawTensor {
                dtype,
                shape: view.shape().to_vec(),
                data: view.data().to_vec(),
            },
        );
    }
    Ok(out)
}

/// A storage: its dtype and raw bytes.
struct Storage<'a> {
    dtype: DType,
    bytes: &'a [u8],
}

/// What a storage persistent id says: `('storage', torch.XStorage, key, location, numel, ...)`.
fn storage_id(pid: &Value, path: &Path) -> Result<(DType, String), CheckpointError> {
    let bad = |message: String| CheckpointError::Format {
        path: path.into(),
        message,
    };
    let items = match pid {
        Value::Tuple(items) if items.len() >= 3 => items,
        other => return Err(bad(format!("unexpected persistent id {other:?}"))),
    };
    match &items[0] {
        Value::Str(s) if s == "storage" => {}
        other => {
            return Err(bad(format!(
                "persistent id of kind {other:?} is not a storage"
            )))
        }
    }
    let dtype = match &items[1] {
        Value::Global { module, name } if module == "torch" => DType::from_storage_class(name)
            .ok_or_else(|| bad(format!("unsupported storage type torch.{name}")))?,
        other => return Err(bad(format!("unexpected storage type {other:?}"))),
    };
    let key = match &items[2] {
        Value::Str(s) => s.clone(),
        other => return Err(bad(format!("unexpected storage key {other:?}"))),
    };
    Ok((dtype, key))
}

/// Collects the tensors of a state-dict pickle, resolving storages with `storage`.
fn collect_tensors<'a>(
    path: &Path,
    root: Value,
    mut storage: impl FnMut(DType, &str) -> Result<Storage<'a>, CheckpointError>,
) -> Result<StateDict, CheckpointError> {
    let entries = match root {
        Value::Dict(entries) => entries,
        other => {
            return Err(CheckpointError::Format {
                path: path.into(),
                message: format!("the checkpoint holds {}, not a state dict", kind(&other)),
            })
        }
    };
    let mut out = StateDict::new();
    for (key, value) in entries {
        let key = match key {
            Value::Str(s) => s,
            other => {
                return Err(CheckpointError::Format {
                    path: path.into(),
                    message: format!("state dict key {other:?} is not a string"),
                })
            }
        };
        let tensor = match value {
            Value::Tensor(t) => t,
            other => {
                return Err(CheckpointError::Tensor {
                    path: path.into(),
                    key,
                    message: format!("holds {}, not a tensor (is this a training checkpoint? save the state dict only)", kind(&other)),
                })
            }
        };
        let (dtype, skey) = match tensor.storage.as_ref() {
            Value::Persistent(pid) => storage_id(pid, path)?,
            other => {
                return Err(CheckpointError::Tensor {
                    path: path.into(),
                    key,
                    message: format!("storage is {other:?}, not a persistent id"),
                })
            }
        };
        let s = storage(dtype, &skey)?;
        let raw = materialise(&tensor, &s).map_err(|message| CheckpointError::Tensor {
            path: path.into(),
            key: key.clone(),
            message,
        })?;
        out.insert(key, raw);
    }
    Ok(out)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::None => "None",
        Value::Bool(_) => "a bool",
        Value::Int(_) => "an int",
        Value::Float(_) => "a float",
        Value::Str(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::Tuple(_) => "a tuple",
        Value::List(_) => "a list",
        Value::Dict(_) => "a dict",
        Value::Global { .. } => "a global",
        Value::Persistent(_) => "a storage",
        Value::Tensor(_) => "a tensor",
    }
}

/// Copies the strided view `t` out of storage `s` into a contiguous tensor.
fn materialise(t: &TensorRef, s: &Storage) -> Result<RawTensor, String> {
    let es = s.dtype.size();
    let storage_numel = s.bytes.len() / es;
    let numel: usize = t.size.iter().product();
    if numel > 0 {
        let last = t.offset
            + t.size
                .iter()
                .zip(&t.stride)
                .map(|(&n, &st)| (n - 1) * st)
                .sum::<usize>();
        if last >= storage_numel {
            return Err(format!(
                "view (offset {}, size {:?}, stride {:?}) reaches element {last} of a storage of {storage_numel}",
                t.offset, t.size, t.stride
            ));
        }
    }
    let mut data = Vec::with_capacity(numel * es);
    let contiguous = {
        let mut expect = 1;
        let mut ok = true;
        for (&n, &st) in t.size.iter().zip(&t.stride).rev() {
            if n != 1 && st != expect {
                ok = false;
            }
            expect *= n;
        }
        ok
    };
    if contiguous {
        data.extend_from_slice(&s.bytes[t.offset * es..(t.offset + numel) * es]);
    } else {
        let mut index = vec![0usize; t.size.len()];
        for _ in 0..numel {
            let e = t.offset
                + index
                    .iter()
                    .zip(&t.stride)
                    .map(|(i, st)| i * st)
                    .sum::<usize>();
            data.extend_from_slice(&s.bytes[e * es..(e + 1) * es]);
            for d in (0..index.len()).rev() {
                index[d] += 1;
                if index[d] < t.size[d] {
                    break;
                }
                index[d] = 0;
            }
        }
    }
    Ok(RawTensor {
        dtype: s.dtype,
        shape: t.size.clone(),
        data,
    })
}

fn read_zip(path: &Path, bytes: &[u8]) -> Result<StateDict, CheckpointError> {
    let zerr = |source| CheckpointError::Zip {
        path: path.into(),
        source,
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zerr)?;
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let pkl = names
        .iter()
        .find(|n| n.ends_with("/data.pkl") || *n == "data.pkl")
        .cloned();
    let pkl = pkl.ok_or_else(|| CheckpointError::Format {
        path: path.into(),
        message: "zip has no data.pkl (not a torch.save file)".into(),
    })?;
    let prefix = &pkl[..pkl.len() - "data.pkl".len()];
    let mut read = |name: &str| -> Result<Vec<u8>, CheckpointError> {
        let mut f = archive.by_name(name).map_err(zerr)?;
        let mut buf = Vec::with_capacity(f.size() as usize);
        f.read_to_end(&mut buf)
            .map_err(|source| CheckpointError::Io {
                path: path.into(),
                source,
            })?;
        Ok(buf)
    };
    // Storages are little-endian unless the file says otherwise (torch ≥ 1.13 writes it).
    let byteorder = format!("{prefix}byteorder");
    if names.contains(&byteorder) && read(&byteorder)? != b"little" {
        return Err(CheckpointError::Format {
            path: path.into(),
            message: "big-endian storages are not supported".into(),
        });
    }
    let (root, _) = pickle::load(&read(&pkl)?)?;
    let mut storages: HashMap<String, (DType, Vec<u8>)> = HashMap::new();
    for (key, dtype) in storage_dtypes(path, &root)? {
        let data = read(&format!("{prefix}data/{key}"))?;
        storages.insert(key, (dtype, data));
    }
    collect_tensors(path, root, |_, key| {
        let (dtype, data) = &storages[key];
        Ok(Storage {
            dtype: *dtype,
            bytes: data,
        })
    })
}

fn read_legacy(path: &Path, bytes: &[u8]) -> Result<StateDict, CheckpointError> {
    let bad = |message: String| CheckpointError::Format {
        path: path.into(),
        message,
    };
    // The magic number (a 10-byte LONG1) was recognised by `read_weights`; skip its pickle.
    if bytes.get(LEGACY_MAGIC.len()) != Some(&b'.') {
        return Err(bad("bad magic number".into()));
    }
    let mut pos = LEGACY_MAGIC.len() + 1;
    let mut next = |what: &str| -> Result<Value, CheckpointError> {
        let (v, used) =
            pickle::load(&bytes[pos..]).map_err(|e| bad(format!("reading the {what}: {e}")))?;
        pos += used;
        Ok(v)
    };
    let protocol = next("protocol version")?;
    if protocol != Value::Int(1001) {
        return Err(bad(format!(
            "unsupported legacy protocol version {protocol:?}"
        )));
    }
    let _sys_info = next("sys info")?;
    let root = next("state dict")?;
    let keys = match next("storage keys")? {
        Value::List(keys) => keys,
        other => return Err(bad(format!("storage keys are {other:?}, not a list"))),
    };
    // The storages follow in the order of `keys`: 8-byte element count, then the elements.
    // Their dtypes are only known from the tensors that use them.
    let dtypes = storage_dtypes(path, &root)?;
    let mut storages: HashMap<String, Storage> = HashMap::new();
    for key in keys {
        let key = match key {
            Value::Str(s) => s,
            other => return Err(bad(format!("storage key {other:?} is not a string"))),
        };
        let dtype = *dtypes
            .get(&key)
            .ok_or_else(|| bad(format!("storage {key} is used by no tensor")))?;
        let count = bytes
            .get(pos..pos + 8)
            .ok_or_else(|| bad(format!("file ends before storage {key}")))?;
        let numel = u64::from_le_bytes(count.try_into().unwrap()) as usize;
        pos += 8;
        let len = numel * dtype.size();
        let data = bytes
            .get(pos..pos + len)
            .ok_or_else(|| bad(format!("file ends inside storage {key} ({numel} elements)")))?;
        pos += len;
        storages.insert(key, Storage { dtype, bytes: data });
    }
    collect_tensors(path, root, |_, key| {
        let s = storages
            .get(key)
            .ok_or_else(|| bad(format!("storage {key} missing from the file")))?;
        Ok(Storage {
            dtype: s.dtype,
            bytes: s.bytes,
        })
    })
}

/// The dtype of each storage key, from the persistent ids of the tensors that use it.
fn storage_dtypes(path: &Path, root: &Value) -> Result<HashMap<String, DType>, CheckpointError> {
    let mut out = HashMap::new();
    if let Value::Dict(entries) = root {
        for (_, v) in entries {
            if let Value::Tensor(t) = v {
                if let Value::Persistent(pid) = t.storage.as_ref() {
                    let (dtype, key) = storage_id(pid, path)?;
                    out.insert(key, dtype);
                }
            }
        }
    }
    Ok(out)
}
