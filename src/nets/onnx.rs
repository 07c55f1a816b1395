//! ONNX networks on ONNX Runtime (cargo feature `onnx`), through the `ort` crate with
//! `load-dynamic`: the library is the one `scripts/setup.sh` installs from the pinned
//! `onnxruntime` wheel into `.onnxruntime/`, found at the path build.rs compiled in, so nothing
//! is downloaded at build time and nothing must be set at run time. The file is parsed by ONNX
//! Runtime, not by semrob; semrob checks what it loaded (one float input `[B, 3, H, W]`, one
//! output) and then, as for TorchScript, probes it with one image (`Classifier::load_script`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};

/// The ONNX Runtime library `scripts/setup.sh` installs (build.rs: `<checkout>/.onnxruntime`).
const INSTALLED_LIBRARY: &str = env!("SEMROB_ONNXRUNTIME_LIBRARY");

/// The library's file name, also looked for beside the executable (a binary carried elsewhere
/// with the library next to it).
const LIBRARY_NAME: &str = "libonnxruntime.so";

/// Where ONNX Runtime is loaded from: the installed library, else one beside the executable,
/// else the installed path (so that the error names where `scripts/setup.sh` puts it).
pub fn library_path() -> PathBuf {
    let installed = PathBuf::from(INSTALLED_LIBRARY);
    if installed.is_file() {
        return installed;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(LIBRARY_NAME)))
        .filter(|beside| beside.is_file())
        .unwrap_or(installed)
}

/// The process's ONNX Runtime environment, made on first use (the library loaded once).
fn environment() -> Result<&'static Environment, String> {
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let path = library_path();
        if !path.is_file() {
            return Err(format!(
                "ONNX Runtime is not installed (no {}): run scripts/setup.sh",
                path.display()
            ));
        }
        ort::init_from(&path)
            .map_err(|e| format!("ONNX Runtime at {}: {e}", path.display()))?
            .with_name("semrob")
            .build()
            .map_err(|e| format!("ONNX Runtime at {}: {e}", path.display()))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// An ONNX network ready to run batches of prepared images.
pub struct OnnxNet {
    /// `Session::run` needs `&mut` (ONNX Runtime's allocators are not thread safe).
    session: Mutex<Session>,
    /// The graph's input name.
    input: String,
    /// The graph takes exactly one image per run: batches go through one image at a time.
    batch_of_one: bool,
}

impl std::fmt::Debug for OnnxNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxNet")
            .field("input", &self.input)
            .field("batch_of_one", &self.batch_of_one)
            .finish()
    }
}

/// A dimension as ONNX Runtime reports it: a number, or `?` when it is dynamic.
fn dims(shape: &[i64]) -> String {
    let d: Vec<String> = shape
        .iter()
        .map(|&n| if n < 0 { "?".into() } else { n.to_string() })
        .collect();
    format!("[{}]", d.join(", "))
}

impl OnnxNet {
    /// The ONNX file at `path`, run with `threads` intra-op threads (the thread plan's
    /// libtorch count, so that the network gets the same cores either way). Refuses a file
    /// ONNX Runtime cannot load, and a graph with other than one float32 input of rank 4 and
    /// one tensor output; each message says what is wrong (the caller names the file).
    pub fn load(path: &Path, threads: usize) -> Result<OnnxNet, String> {
        let env = environment()?;
        let mut builder = Session::builder(env)
            .map_err(|e| e.to_string())?
            .with_intra_threads(threads.max(1))
            .map_err(|e| e.to_string())?
            // Idle workers would spin on the cores the renderer uses (runtime.rs).
            .with_intra_op_spinning(false)
            .map_err(|e| e.to_string())?;
        let session = builder.commit_from_file(path).map_err(|e| {
            format!(
                "not an ONNX file that ONNX Runtime can load ({}); export one with \
                     torch.onnx.export, tf2onnx or your framework's ONNX exporter",
                e.message()
            )
        })?;
        let [input] = session.inputs() else {
            return Err(format!(
                "the graph has {} inputs, not one (the images [B, 3, H, W])",
                session.inputs().len()
            ));
        };
        let [_] = session.outputs() else {
            return Err(format!(
                "the graph has {} outputs, not one tensor [B, classes]: export only the scores",
                session.outputs().len()
            ));
        };
        let ValueType::Tensor { ty, shape, .. } = input.dtype() else {
            return Err(format!(
                "input {:?} is not a tensor but {:?}",
                input.name(),
                input.dtype()
            ));
        };
        if *ty != TensorElementType::Float32 {
            return Err(format!(
                "input {:?} holds {ty}, not float32 images [B, 3, H, W]: export the network \
                 with a float input",
                input.name()
            ));
        }
        if shape.len() != 4 || !matches!(shape[1], 3 | -1) {
            return Err(format!(
                "input {:?} has shape {}, not images [B, 3, H, W]",
                input.name(),
                dims(shape)
            ));
        }
        let batch_of_one = shape[0] == 1;
        if batch_of_one {
            eprintln!(
                "warning: {}: the ONNX graph takes a batch of exactly 1 image, so semrob runs \
                 batches one image at a time (slower); export it with a dynamic batch axis",
                path.display()
            );
        }
        Ok(OnnxNet {
            input: input.name().to_string(),
            session: Mutex::new(session),
            batch_of_one,
        })
    }

    /// The output of images `[B, 3, H, W]` (row-major f32), and its shape: one run, or one
    /// run per image for a graph with a fixed batch of 1 (rows concatenated).
    pub fn run(&self, images: &[f32], shape: [usize; 4]) -> Result<(Vec<f32>, Vec<i64>), String> {
        if !self.batch_of_one || shape[0] == 1 {
            return self.run_once(images, shape);
        }
        let one = [1, shape[1], shape[2], shape[3]];
        let per_image = one.iter().product::<usize>();
        let mut values = Vec::new();
        let mut row_shape = Vec::new();
        for image in images.chunks_exact(per_image) {
            let (v, s) = self.run_once(image, one)?;
            values.extend_from_slice(&v);
            row_shape = s;
        }
        if let Some(b) = row_shape.first_mut() {
            *b = shape[0] as i64;
        }
        Ok((values, row_shape))
    }

    fn run_once(&self, images: &[f32], shape: [usize; 4]) -> Result<(Vec<f32>, Vec<i64>), String> {
        let input = TensorRef::from_array_view((shape, images)).map_err(|e| e.to_string())?;
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session
            .run(ort::inputs![self.input.as_str() => input])
            .map_err(|e| e.message().to_string())?;
        let (out_shape, values) = outputs[0].try_extract_tensor::<f32>().map_err(|e| {
            format!(
                "the output is not a float32 tensor [B, classes] ({})",
                e.message()
            )
        })?;
        Ok((values.to_vec(), out_shape.to_vec()))
    }
}
