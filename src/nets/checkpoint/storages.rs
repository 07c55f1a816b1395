//! What both PyTorch formats share: storages named by persistent ids, and tensors as strided
//! views into them, copied out to contiguous [`RawTensor`]s.

use std::collections::HashMap;
use std::path::Path;

use super::pickle::{TensorRef, Value};
use super::{CheckpointError, DType, RawTensor, StateDict, MAX_TENSOR_DIMS, MAX_VIEW_COPIES};

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

/// Collects the tensors of a state-dict pickle, resolving storages with `storage`. The
/// tensors together may hold at most [`MAX_VIEW_COPIES`] times `file_len` bytes: tensors that
/// share a storage each get their own copy, and the sum is checked after each tensor (each
/// at most its storage's size).
pub(super) fn collect_tensors<'a>(
    path: &Path,
    file_len: usize,
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
    let budget = file_len.saturating_mul(MAX_VIEW_COPIES);
    let mut total = 0usize;
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
        total = total.saturating_add(raw.data.len());
        if total > budget {
            return Err(CheckpointError::Tensor {
                path: path.into(),
                key,
                message: format!(
                    "the tensors so far hold {total} bytes, more than {MAX_VIEW_COPIES} times \
                     the file's {file_len} (too many views of shared storages)"
                ),
            });
        }
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

/// Copies the strided view `t` out of storage `s` into a contiguous tensor. Every size,
/// offset and stride the file claims goes through checked arithmetic, and a view may not hold
/// more elements than its storage (an expanded view, stride 0, is not a weight), so what is
/// allocated is at most the storage's size.
fn materialise(t: &TensorRef, s: &Storage) -> Result<RawTensor, String> {
    let es = s.dtype.size();
    let storage_numel = s.bytes.len() / es;
    if t.size.len() > MAX_TENSOR_DIMS {
        return Err(format!(
            "{} dimensions, at most {MAX_TENSOR_DIMS} are supported",
            t.size.len()
        ));
    }
    let view = || {
        format!(
            "view (offset {}, size {:?}, stride {:?})",
            t.offset, t.size, t.stride
        )
    };
    let numel = t
        .size
        .iter()
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .ok_or_else(|| format!("{}: the element count overflows", view()))?;
    if numel > storage_numel {
        return Err(format!(
            "{} holds {numel} elements, more than its storage of {storage_numel}",
            view()
        ));
    }
    if numel == 0 {
        return Ok(RawTensor {
            dtype: s.dtype,
            shape: t.size.clone(),
            data: Vec::new(),
        });
    }
    // The last element the view reaches: offset + Σ (size − 1) · stride, all checked.
    let last = t
        .size
        .iter()
        .zip(&t.stride)
        .try_fold(t.offset, |acc, (&n, &st)| {
            (n - 1).checked_mul(st).and_then(|d| acc.checked_add(d))
        });
    match last {
        Some(last) if last < storage_numel => {}
        Some(last) => {
            return Err(format!(
                "{} reaches element {last} of a storage of {storage_numel}",
                view()
            ))
        }
        None => return Err(format!("{}: the last element overflows", view())),
    }
    // From here on every index is at most `last`, inside the storage.
    let mut data = Vec::with_capacity(numel * es);
    let contiguous = {
        let mut expect = 1;
        let mut ok = true;
        for (&n, &st) in t.size.iter().zip(&t.stride).rev() {
            if n != 1 && st != expect {
                ok = false;
            }
            expect *= n; // a partial product of a nonzero `numel`: no overflow
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
