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
