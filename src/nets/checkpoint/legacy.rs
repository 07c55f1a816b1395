//! PyTorch's legacy (non-zip) `torch.save` format: five pickles in a row, then the storages.

use std::collections::HashMap;
use std::path::Path;

use super::pickle::{self, Value};
use super::storages::{collect_tensors, storage_dtypes, Storage};
use super::{CheckpointError, StateDict};

/// The legacy format's first pickle, `pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)`, less
/// its STOP: PROTO 2, LONG1 of 10 little-endian bytes.
pub(super) const MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

pub(super) fn read(path: &Path, bytes: &[u8]) -> Result<StateDict, CheckpointError> {
    let bad = |message: String| CheckpointError::Format {
        path: path.into(),
        message,
    };
    // The magic number (a 10-byte LONG1) was recognised by `read_weights`; skip its pickle.
    if bytes.get(MAGIC.len()) != Some(&b'.') {
        return Err(bad("bad magic number".into()));
    }
    let mut pos = MAGIC.len() + 1;
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
        // Every claimed length is checked against what the file holds, in checked arithmetic.
        let count = bytes
            .get(pos..)
            .and_then(|rest| rest.get(..8))
            .ok_or_else(|| bad(format!("file ends before storage {key}")))?;
        let numel = u64::from_le_bytes(count.try_into().expect("8 bytes"));
        pos += 8;
        let data = usize::try_from(numel)
            .ok()
            .and_then(|n| n.checked_mul(dtype.size()))
            .and_then(|len| bytes.get(pos..)?.get(..len))
            .ok_or_else(|| bad(format!("file ends inside storage {key} ({numel} elements)")))?;
        pos += data.len();
        storages.insert(key, Storage { dtype, bytes: data });
    }
    collect_tensors(path, bytes.len(), root, |_, key| {
        let s = storages
            .get(key)
            .ok_or_else(|| bad(format!("storage {key} missing from the file")))?;
        Ok(Storage {
            dtype: s.dtype,
            bytes: s.bytes,
        })
    })
}
