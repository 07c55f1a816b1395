//! `.safetensors`: an 8-byte little-endian header length, a JSON header, then the tensors.

use std::path::Path;

use super::{CheckpointError, DType, RawTensor, StateDict};

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

pub(super) fn looks_like(bytes: &[u8]) -> bool {
    // 8-byte little-endian header length, then a JSON object.
    bytes.len() > 9 && bytes[8] == b'{'
}

pub(super) fn read(path: &Path, bytes: &[u8]) -> Result<StateDict, CheckpointError> {
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
