//! The function of interest on a real network (SPEC §1): `f(u)` = softmax score of the true
//! label for the render of a mesh under the semantic parameters `u`
//! ([`crate::semantic::SemanticParam`], turned into views by
//! [`crate::render::Scene::view`]), and its identity [`NetworkMapMeta`] (what a map of it
//! says it was drawn from).
//!
//! The folder holds the function and what it is made of:
//! * here, `ClassifierFunction` (feature `torch`): a mesh, a classifier and a label. It is a
//!   black box; wrap it in [`crate::semantic::finite_difference::FiniteDifference`] for OIR_W;
//! * [`inputs`]: what it loads (meshes, weights files), with the identifiers that go into
//!   every fingerprint;
//! * `stream` (feature `torch`): the render-while-classifying pipeline behind
//!   `ClassifierFunction::scores`: points render and classify in chunks of at most `batch`
//!   images; with the CPU renderer the next chunk renders while the network scores the
//!   current one; with the device renderer ([`crate::render::RenderBackend::Device`]) the
//!   images are drawn on the network's device and never cross to the host;
//! * `shared` (feature `torch`): the functions of several jobs sharing one network's batches
//!   (lockstep region runs, certificates).

use serde::Serialize;
use serde_json::Value;

use crate::render::{RenderBackend, Scene};
use crate::semantic::AxisSpec;
use inputs::WeightsId;

pub use batch::{BatchSize, BatchSizeError, ZeroBatch};

mod batch;
pub mod inputs;
#[cfg(feature = "torch")]
pub mod shared;
#[cfg(feature = "torch")]
mod stream;

#[cfg(feature = "torch")]
pub use torch::{
    ClassifierFunction, FunctionError, FunctionSource, LabelScores, LoadFunctionError,
    LoadedFunction, NetCounters,
};

/// What a network semantic map was drawn from: its grid file's metadata, `"kind": "nsm"`.
/// A benchmark job's map names its class and shape; `semrob map`'s its mesh, the image size,
/// the renderer and the axes. Keys that do not apply are left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename = "nsm")]
pub struct NetworkMapMeta {
    pub network: String,
    pub weights: WeightsId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mesh: Option<String>,
    pub label: usize,
    /// The label's ImageNet name (none for a network with other classes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_name: Option<&'static str>,
    pub render: Scene,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renderer: Option<RenderBackend>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub axes: Option<Vec<AxisSpec>>,
}

impl NetworkMapMeta {
    /// The metadata as JSON, for [`crate::semantic::Grid::new`].
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("plain data serialises")
    }
}

#[cfg(feature = "torch")]
mod torch {
    use std::ops::Range;
    use std::sync::{Arc, Mutex};

    use nalgebra::{DMatrix, DVector};

    use super::inputs::{load_classifier, InputError, LoadError, MeshSource};
    use super::{BatchSize, NetworkMapMeta};
    use crate::nets::{
        Classifier, ImageBatch as NetBatch, Label, LoadOptions, Model, NetError, Scores,
    };
    use crate::render::{
        Mesh, RenderBackend, RenderError, RenderOptions, Renderer, Scene, TensorRenderError,
        TensorRenderer,
    };
    use crate::semantic::{EvalError, Evaluation, SemanticFunction, SemanticParam};

    /// Why the rendered function could not be built or evaluated.
    #[derive(Debug, thiserror::Error)]
    pub enum FunctionError {
        #[error("label {label} is outside the classes of {model} (0–{})", .classes - 1)]
        Label {
            label: usize,
            model: String,
            classes: usize,
        },
        #[error("render settings: {0}")]
        Render(#[from] RenderError),
        #[error("device renderer: {0}")]
        DeviceRender(#[from] TensorRenderError),
        #[error(transparent)]
        Net(#[from] NetError),
        #[error("a contact sheet: {0}")]
        Image(Box<crate::render::ImageError>),
    }

    /// Why [`ClassifierFunction::load`] could not build the function: the error names the
    /// label, mesh, weights file or network at fault.
    #[derive(Debug, thiserror::Error)]
    pub enum LoadFunctionError {
        #[error(transparent)]
        Label(FunctionError),
        #[error(transparent)]
        Mesh(#[from] InputError),
        #[error(transparent)]
        Network(#[from] LoadError),
        #[error("{model} on {mesh}: {source}")]
        Build {
            model: String,
            mesh: String,
            #[source]
            source: Box<FunctionError>,
        },
    }

    /// Where a function of interest comes from (what [`ClassifierFunction::load`] reads).
    pub struct FunctionSource<'a> {
        pub mesh: &'a MeshSource,
        pub model: &'a Model,
        /// The weights file; `None`: the model's default weights.
        pub weights: Option<&'a std::path::Path>,
        pub label: Label,
        pub params: Vec<SemanticParam>,
        pub scene: Scene,
        pub backend: RenderBackend,
        pub options: LoadOptions,
    }

    /// A loaded function of interest and what its maps' metadata says it was made of.
    pub struct LoadedFunction {
        pub function: ClassifierFunction,
        pub meta: NetworkMapMeta,
    }

    /// `f(u) = softmax(C(R(u, S)))[k]` (SPEC §1) for a mesh, a classifier and a label.
    ///
    /// The classifier sits behind a mutex (libtorch modules are not `Sync`; one network can
    /// serve several functions). A call with many points renders and classifies them in
    /// chunks of at most `batch` ([`ClassifierFunction::with_batch`]). With the CPU renderer
    /// (the default), while the network scores one chunk on the calling thread, the next
    /// chunk renders on rayon's pool; with the device renderer
    /// ([`ClassifierFunction::with_renderer`]) each chunk is drawn on the network's device and
    /// handed to the network there, with no host round trip (the device's own queue orders the
    /// work).
    pub struct ClassifierFunction {
        pub(super) mesh: Mesh,
        pub(super) renderer: Renderer,
        /// The device renderer, when this function draws its images on the network's device.
        pub(super) device_renderer: Option<TensorRenderer>,
        pub(super) classifier: Arc<Mutex<Classifier>>,
        pub(super) label: usize,
        pub(super) params: Vec<SemanticParam>,
        pub(super) scene: Scene,
        pub(super) batch: BatchSize,
        pub(super) counters: Mutex<NetCounters>,
    }

    /// What a [`ClassifierFunction`] has done so far: network batches, images, and seconds.
    #[derive(Debug, Clone, Copy, Default, PartialEq)]
    pub struct NetCounters {
        /// Network batches (chunks).
        pub batches: usize,
        /// Images rendered and classified.
        pub images: usize,
        /// Images in the network batches it took part in, other functions' included
        /// ([`super::shared::SharedNetwork`]); `images` when it shared none.
        pub batch_images: usize,
        /// Seconds spent rendering (overlapped with the network, except the first chunk of
        /// each call).
        pub render_seconds: f64,
        /// Seconds in the network (calling thread).
        pub network_seconds: f64,
        /// Seconds the network waited for a render: rendering not hidden behind the network.
        pub render_wait_seconds: f64,
    }

    impl NetCounters {
        /// What happened between `before` and `self`.
        pub fn since(&self, before: &NetCounters) -> NetCounters {
            NetCounters {
                batches: self.batches - before.batches,
                images: self.images - before.images,
                batch_images: self.batch_images - before.batch_images,
                render_seconds: self.render_seconds - before.render_seconds,
                network_seconds: self.network_seconds - before.network_seconds,
                render_wait_seconds: self.render_wait_seconds - before.render_wait_seconds,
            }
        }
    }

    /// Scores of a batch of renders: the true label's probability, whether it ranked first,
    /// and the class that did.
    #[derive(Debug, Clone, PartialEq)]
    pub struct LabelScores {
        pub probability: Vec<f64>,
        pub top1: Vec<bool>,
        /// The top-1 class of each render (ties: the lowest index, as `Scores::top` ranks).
        pub top_class: Vec<usize>,
    }

    impl LabelScores {
        pub(super) fn with_capacity(n: usize) -> LabelScores {
            LabelScores {
                probability: Vec::with_capacity(n),
                top1: Vec::with_capacity(n),
                top_class: Vec::with_capacity(n),
            }
        }

        /// For image `i` of a scored chunk, appends the probability of its part's label and
        /// whether it ranked first to `out[part]`.
        pub(super) fn record(
            probs: &Scores,
            chunk: &[(usize, usize)],
            labels: &[usize],
            out: &mut [LabelScores],
        ) {
            for (i, &(part, _)) in chunk.iter().enumerate().take(probs.batch()) {
                let row = probs.row(i);
                let label = labels[part];
                out[part].probability.push(row[label] as f64);
                // Ties count as top-1 only for the lowest index, as `Scores::top` ranks them.
                let top = probs.top(i, 1)[0].0;
                out[part].top1.push(top == label);
                out[part].top_class.push(top);
            }
        }
    }

    impl ClassifierFunction {
        pub fn new(
            mesh: Mesh,
            classifier: Classifier,
            label: usize,
            params: Vec<SemanticParam>,
            scene: Scene,
        ) -> Result<Self, FunctionError> {
            Self::shared(mesh, Arc::new(Mutex::new(classifier)), label, params, scene)
        }

        /// Like [`ClassifierFunction::new`] with a classifier shared by several functions
        /// (one network, many shapes).
        pub fn shared(
            mesh: Mesh,
            classifier: Arc<Mutex<Classifier>>,
            label: usize,
            params: Vec<SemanticParam>,
            scene: Scene,
        ) -> Result<Self, FunctionError> {
            let input = {
                let c = classifier.lock().unwrap_or_else(|e| e.into_inner());
                if !c.model().has_class(label) {
                    return Err(FunctionError::Label {
                        label,
                        model: c.model().name().to_string(),
                        classes: c.classes(),
                    });
                }
                c.input_size() as u32
            };
            let size = scene.size.unwrap_or(input);
            let renderer = Renderer::new(
                RenderOptions::default()
                    .with_size(size)
                    .with_supersampling(scene.supersampling),
            )?;
            Ok(ClassifierFunction {
                mesh,
                renderer,
                device_renderer: None,
                classifier,
                label,
                params,
                scene,
                batch: BatchSize::DEFAULT,
                counters: Mutex::new(NetCounters::default()),
            })
        }

        /// Loads the function `source` names: the label is checked against the model's classes
        /// first, then the mesh and the weights load (each error names its file).
        pub fn load(source: FunctionSource) -> Result<LoadedFunction, LoadFunctionError> {
            let FunctionSource {
                mesh,
                model,
                weights,
                label,
                params,
                scene,
                backend,
                options,
            } = source;
            let label = label.index();
            if !model.has_class(label) {
                return Err(LoadFunctionError::Label(FunctionError::Label {
                    label,
                    model: model.name().to_string(),
                    classes: model.classes(),
                }));
            }
            let loaded_mesh = mesh.load()?;
            let (classifier, weights) = load_classifier(model, weights, options)?;
            let function = ClassifierFunction::new(loaded_mesh, classifier, label, params, scene)
                .and_then(|f| f.with_renderer(backend))
                .map_err(|source| LoadFunctionError::Build {
                    model: model.to_string(),
                    mesh: mesh.to_string(),
                    source: Box::new(source),
                })?;
            let meta = NetworkMapMeta {
                network: model.name().to_string(),
                weights,
                class: None,
                shape: None,
                mesh: Some(mesh.to_string()),
                label,
                label_name: model.class_name(label),
                render: function.scene,
                image_size: Some(function.renderer.options().size),
                renderer: Some(function.backend()),
                axes: None,
            };
            Ok(LoadedFunction { function, meta })
        }

        /// The largest network batch.
        pub fn with_batch(self, batch: BatchSize) -> Self {
            ClassifierFunction { batch, ..self }
        }

        pub fn batch(&self) -> usize {
            self.batch.get()
        }

        /// Which renderer draws the images the network scores ([`RenderBackend::Cpu`] unless
        /// set): the images, and so the scores, are the same either way (SPEC §6; the tensor
        /// renderer is pixel-equal to the CPU renderer); the device renderer works on the
        /// classifier's device.
        pub fn with_renderer(self, backend: RenderBackend) -> Result<Self, FunctionError> {
            let device_renderer = match backend {
                RenderBackend::Cpu => None,
                RenderBackend::Device => {
                    let device = self
                        .classifier
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .tch_device();
                    Some(TensorRenderer::new(self.renderer.options(), device)?)
                }
            };
            Ok(ClassifierFunction {
                device_renderer,
                ..self
            })
        }

        /// Which renderer draws the images the network scores.
        pub fn backend(&self) -> RenderBackend {
            if self.device_renderer.is_some() {
                RenderBackend::Device
            } else {
                RenderBackend::Cpu
            }
        }

        /// Network batches, images and seconds so far.
        pub fn counters(&self) -> NetCounters {
            *self.counters.lock().unwrap_or_else(|e| e.into_inner())
        }

        pub fn params(&self) -> &[SemanticParam] {
            &self.params
        }

        pub fn renderer(&self) -> &Renderer {
            &self.renderer
        }

        pub fn mesh(&self) -> &Mesh {
            &self.mesh
        }

        pub fn scene(&self) -> &Scene {
            &self.scene
        }

        /// Renders the points (rows of `points`) as one batch on the host, with the CPU renderer
        /// whatever [`ClassifierFunction::backend`] is (for pictures; the scores go through
        /// [`ClassifierFunction::scores`]).
        pub fn render(
            &self,
            points: &DMatrix<f64>,
        ) -> Result<crate::render::ImageBatch, FunctionError> {
            self.render_rows(points, 0..points.nrows())
        }

        /// Renders the points (rows of `points`) like [`ClassifierFunction::render`] onto one
        /// contact sheet, `columns` per row, as PNG bytes.
        pub fn contact_sheet_png(
            &self,
            points: &DMatrix<f64>,
            columns: usize,
        ) -> Result<Vec<u8>, FunctionError> {
            let image = |e| FunctionError::Image(Box::new(e));
            let sheet = self
                .render(points)?
                .contact_sheet(columns, 4)
                .map_err(image)?;
            crate::render::png_bytes(&sheet).map_err(image)
        }

        pub(super) fn render_rows(
            &self,
            points: &DMatrix<f64>,
            rows: Range<usize>,
        ) -> Result<crate::render::ImageBatch, FunctionError> {
            let views = self.views(points, rows);
            Ok(self.renderer.render_batch(&self.mesh, &views)?)
        }

        pub(super) fn views(
            &self,
            points: &DMatrix<f64>,
            rows: Range<usize>,
        ) -> Vec<crate::render::View> {
            rows.map(|j| {
                let u: Vec<f64> = points.row(j).iter().copied().collect();
                self.scene.view(&self.params, &u)
            })
            .collect()
        }

        /// The label's probability and top-1 flag for images rendered already (by
        /// [`ClassifierFunction::render`]), as one network batch, outside the counters.
        pub fn classify_images(
            &self,
            images: &crate::render::ImageBatch,
        ) -> Result<LabelScores, FunctionError> {
            let n = images.shape().batch;
            let mut out = LabelScores::with_capacity(n);
            let batch = NetBatch::new(images.data(), images.shape().dims())?;
            let probs = self
                .classifier
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .probabilities(batch)?;
            let chunk: Vec<(usize, usize)> = (0..n).map(|j| (0, j)).collect();
            LabelScores::record(
                &probs,
                &chunk,
                &[self.label],
                std::slice::from_mut(&mut out),
            );
            Ok(out)
        }
    }

    impl SemanticFunction for ClassifierFunction {
        fn dim(&self) -> usize {
            self.params.len()
        }

        fn evaluate(
            &self,
            points: &DMatrix<f64>,
            gradient_rows: usize,
        ) -> Result<Evaluation, EvalError> {
            if gradient_rows > 0 {
                return Err(EvalError::NoGradients);
            }
            if points.ncols() != self.dim() {
                return Err(EvalError::Dimension {
                    expected: self.dim(),
                    got: points.ncols(),
                });
            }
            let s = self.scores(points).map_err(EvalError::backend)?;
            Ok(Evaluation {
                values: DVector::from_vec(s.probability),
                gradients: None,
            })
        }
    }
}
