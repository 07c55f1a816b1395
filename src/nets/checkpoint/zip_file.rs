//! PyTorch's zip format (torch ≥ 1.6, torchvision's downloads): `<root>/data.pkl` and the
//! raw storages `<root>/data/<key>`.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use super::pickle;
use super::storages::{collect_tensors, storage_dtypes, Storage};
use super::{CheckpointError, DType, StateDict};

pub(super) fn read(path: &Path, bytes: &[u8]) -> Result<StateDict, CheckpointError> {
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
    // An entry must hold exactly the bytes its header states: a claimed size beyond the
    // file is refused before allocating, and reading stops one byte past the claim.
    let mut read = |name: &str| -> Result<Vec<u8>, CheckpointError> {
        let f = archive.by_name(name).map_err(zerr)?;
        let size = f.size();
        if size > bytes.len() as u64 {
            return Err(CheckpointError::Format {
                path: path.into(),
                message: format!(
                    "zip entry {name} claims {size} bytes, more than the whole file ({})",
                    bytes.len()
                ),
            });
        }
        let mut buf = Vec::with_capacity(size as usize);
        f.take(size + 1)
            .read_to_end(&mut buf)
            .map_err(|source| CheckpointError::Io {
                path: path.into(),
                source,
            })?;
        if buf.len() as u64 != size {
            return Err(CheckpointError::Format {
                path: path.into(),
                message: format!(
                    "zip entry {name} holds {} bytes, its header states {size}",
                    buf.len()
                ),
            });
        }
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
    collect_tensors(path, bytes.len(), root, |_, key| {
        let (dtype, data) = storages.get(key).ok_or_else(|| CheckpointError::Format {
            path: path.into(),
            message: format!("storage {key} missing from the file"),
        })?;
        Ok(Storage {
            dtype: *dtype,
            bytes: data,
        })
    })
}
