//! What both PyTorch formats share: storages named by persistent ids, and tensors as strided
//! views into them, copied out to contiguous [`RawTensor`]s.

use std::collections::HashMap;
use std::path::Path;

use super::pickle::{TensorRef, Value};
use super::{CheckpointError, DType, RawTensor, StateDict};

/// A storage: its dtype and raw bytes.
pub(super) struct Storage<'a> {
    pub(super) dtype: DType,
    pub(super) bytes: &'a [u8],
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
pub(super) fn collect_tensors<'a>(
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

/// The dtype of each storage key, from the persistent ids of the tensors that use it.
pub(super) fn storage_dtypes(
    path: &Path,
    root: &Value,
) -> Result<HashMap<String, DType>, CheckpointError> {
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
