//! The function of interest on a real network (SPEC §1): `f(u)` = softmax score of the true
//! label for the render of a mesh under the semantic parameters `u`
//! ([`crate::semantic::SemanticParam`], turned into views by
//! [`crate::render::Scene::view`]).
//!
//! * `ClassifierFunction` (feature `torch`): a batch of points renders and classifies in
//!   chunks of at most `batch` images. With the CPU renderer the next chunk renders while the
//!   network scores the current one; with the device renderer
//!   ([`crate::render::RenderBackend::Device`]) the images are drawn on the network's device
//!   and never cross to the host. It is a black box; wrap it in
//!   [`crate::semantic::finite_difference::FiniteDifference`] for OIR_W.

#[cfg(feature = "torch")]
pub use torch::{
    score_jointly, ClassifierFunction, FunctionError, FunctionSource, LabelScores,
    LoadFunctionError, LoadedFunction, NetCounters, NotShared, ScoreJointlyError, SharedNetwork,
    DEFAULT_BATCH,
};

#[cfg(feature = "torch")]
mod torch {
    use std::ops::Range;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use nalgebra::{DMatrix, DVector};

    use crate::analysis::inputs::{load_classifier, InputError, LoadError, MeshSource};
    use crate::analysis::map::NetworkMapMeta;
    use crate::nets::{
        Classifier, ImageBatch as NetBatch, Label, LoadOptions, Model, NetError, Scores,
    };
    use crate::region::lockstep::{JointBatch, JointFunction};
    use crate::render::{
        Mesh, RenderBackend, RenderError, RenderOptions, Renderer, Scene, TensorRenderError,
        TensorRenderer,
    };
    use crate::semantic::finite_difference::FiniteDifference;
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
        #[error("batch 0: the largest network batch must be ≥ 1")]
        Batch,
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
        mesh: Mesh,
        renderer: Renderer,
        /// The device renderer, when this function draws its images on the network's device.
        device_renderer: Option<TensorRenderer>,
        classifier: Arc<Mutex<Classifier>>,
        label: usize,
        params: Vec<SemanticParam>,
        scene: Scene,
        batch: usize,
        counters: Mutex<NetCounters>,
    }

    /// The default largest network batch of a [`ClassifierFunction`].
    pub const DEFAULT_BATCH: usize = 32;

    /// What a [`ClassifierFunction`] has done so far: network batches, images, and seconds.
    #[derive(Debug, Clone, Copy, Default, PartialEq)]
    pub struct NetCounters {
        /// Network batches (chunks).
        pub batches: usize,
        /// Images rendered and classified.
        pub images: usize,
        /// Images in the network batches it took part in, other functions' included
        /// ([`SharedNetwork`]); `images` when it shared none.
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
        fn with_capacity(n: usize) -> LabelScores {
            LabelScores {
                probability: Vec::with_capacity(n),
                top1: Vec::with_capacity(n),
                top_class: Vec::with_capacity(n),
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
                batch: DEFAULT_BATCH,
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

        /// The largest network batch (≥ 1; 0 is refused).
        pub fn with_batch(self, batch: usize) -> Result<Self, FunctionError> {
            if batch == 0 {
                return Err(FunctionError::Batch);
            }
            Ok(ClassifierFunction { batch, ..self })
        }

        pub fn batch(&self) -> usize {
            self.batch
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

        fn render_rows(
            &self,
            points: &DMatrix<f64>,
            rows: Range<usize>,
        ) -> Result<crate::render::ImageBatch, FunctionError> {
            let views = self.views(points, rows);
            Ok(self.renderer.render_batch(&self.mesh, &views)?)
        }

        fn views(&self, points: &DMatrix<f64>, rows: Range<usize>) -> Vec<crate::render::View> {
            rows.map(|j| {
                let u: Vec<f64> = points.row(j).iter().copied().collect();
                self.scene.view(&self.params, &u)
            })
            .collect()
        }

        /// The label's probability and top-1 flag for every point: the points render and
        /// classify in chunks of at most `batch`, the render of chunk `k + 1` overlapping the
        /// network on chunk `k`.
        pub fn scores(&self, points: &DMatrix<f64>) -> Result<LabelScores, FunctionError> {
            let mut out = score_parts(&[(self, points)], self.batch)?;
            Ok(out.pop().expect("one part"))
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
            record(
                &probs,
                &chunk,
                &[self.label],
                std::slice::from_mut(&mut out),
            );
            Ok(out)
        }

        /// Whether `other` can share this function's network batches: the same network
        /// (the same shared classifier), the same render size, the same largest batch and the
        /// same renderer.
        fn shares_batches_with(&self, other: &ClassifierFunction) -> bool {
            Arc::ptr_eq(&self.classifier, &other.classifier)
                && self.renderer.batch_shape(1) == other.renderer.batch_shape(1)
                && self.batch == other.batch
                && self.backend() == other.backend()
        }
    }

    /// The scores of every part (a function and its points) as one stream ([`score_parts`]):
    /// the functions must share one classifier, render size, largest batch and renderer
    /// (refused otherwise, naming the first part that does not). Certificates use it so that
    /// the samples of many regions and jobs fill the network's batches together.
    pub fn score_jointly(
        parts: &[(&ClassifierFunction, &DMatrix<f64>)],
    ) -> Result<Vec<LabelScores>, ScoreJointlyError> {
        let Some((first, _)) = parts.first() else {
            return Ok(Vec::new());
        };
        if let Some(index) = parts
            .iter()
            .position(|(f, _)| !first.shares_batches_with(f))
        {
            return Err(ScoreJointlyError::NotShared(NotShared { index }));
        }
        score_parts(parts, first.batch).map_err(ScoreJointlyError::Function)
    }

    /// Why [`score_jointly`] failed.
    #[derive(Debug, thiserror::Error)]
    pub enum ScoreJointlyError {
        #[error(transparent)]
        NotShared(NotShared),
        #[error(transparent)]
        Function(FunctionError),
    }

    /// Rows of several functions that share one classifier ([`ClassifierFunction::shared`]),
    /// scored as ONE stream: part after part, in chunks of at most `batch` images that may
    /// hold rows of several parts (each rendered with its own mesh and scene, each scored for
    /// its own label). With the CPU renderer the render of chunk `k + 1` overlaps the network
    /// on chunk `k`; with the device renderer each chunk is drawn and scored on the device in
    /// turn. Each part's counters get its rows, the chunks it was in, and its share of each
    /// chunk's seconds (by its rows).
    fn score_parts(
        parts: &[(&ClassifierFunction, &DMatrix<f64>)],
        batch: usize,
    ) -> Result<Vec<LabelScores>, FunctionError> {
        let mut out: Vec<LabelScores> = parts
            .iter()
            .map(|(_, p)| LabelScores::with_capacity(p.nrows()))
            .collect();
        // Every row as (part, row), chunked.
        let rows: Vec<(usize, usize)> = parts
            .iter()
            .enumerate()
            .flat_map(|(k, (_, p))| (0..p.nrows()).map(move |j| (k, j)))
            .collect();
        // No rows at all: nothing to render or score.
        let Some((first, _)) = parts.iter().find(|(_, p)| p.nrows() > 0) else {
            return Ok(out);
        };
        let chunks: Vec<&[(usize, usize)]> = rows.chunks(batch).collect();
        let stream = Stream {
            parts,
            labels: parts.iter().map(|(f, _)| f.label).collect(),
            classifier: &first.classifier,
        };
        let mut tally = Tally(vec![NetCounters::default(); parts.len()]);
        let result = if first.device_renderer.is_some() {
            stream.on_device(&chunks, &mut out, &mut tally)
        } else {
            stream.overlapped(&chunks, first, &mut out, &mut tally)
        };
        for ((f, _), c) in parts.iter().zip(&tally.0) {
            let mut total = f.counters.lock().unwrap_or_else(|e| e.into_inner());
            total.batches += c.batches;
            total.images += c.images;
            total.batch_images += c.batch_images;
            total.render_seconds += c.render_seconds;
            total.network_seconds += c.network_seconds;
            total.render_wait_seconds += c.render_wait_seconds;
        }
        result.map(|()| out)
    }

    /// One stream of [`score_parts`]: its parts, their labels and the shared classifier.
    struct Stream<'p, 'f> {
        parts: &'p [(&'f ClassifierFunction, &'f DMatrix<f64>)],
        labels: Vec<usize>,
        classifier: &'f Mutex<Classifier>,
    }

    /// What each part of a stream has been charged so far.
    struct Tally(Vec<NetCounters>);

    impl Tally {
        /// Charges `seconds` of a chunk to its parts by their rows in it.
        fn charge(
            &mut self,
            chunk: &[(usize, usize)],
            field: fn(&mut NetCounters) -> &mut f64,
            seconds: f64,
        ) {
            for (part, c) in self.0.iter_mut().enumerate() {
                let mine = chunk.iter().filter(|(k, _)| *k == part).count();
                *field(c) += seconds * mine as f64 / chunk.len() as f64;
            }
        }

        /// Counts a scored chunk: its images and one batch for every part in it.
        fn count(&mut self, chunk: &[(usize, usize)]) {
            for (part, c) in self.0.iter_mut().enumerate() {
                let mine = chunk.iter().filter(|(k, _)| *k == part).count();
                if mine > 0 {
                    c.images += mine;
                    c.batches += 1;
                    c.batch_images += chunk.len();
                }
            }
        }
    }

    impl Stream<'_, '_> {
        /// A chunk's consecutive rows of one part: `(part, first row, rows)`.
        fn segments(chunk: &[(usize, usize)]) -> Vec<(usize, usize, usize)> {
            let mut out = Vec::new();
            let mut start = 0;
            while start < chunk.len() {
                let part = chunk[start].0;
                let len = chunk[start..]
                    .iter()
                    .take_while(|(k, _)| *k == part)
                    .count();
                out.push((part, chunk[start].1, len));
                start += len;
            }
            out
        }

        /// A chunk's renders by the CPU renderer, part segment by part segment, into one
        /// `[B, 3, H, W]` host buffer, and the seconds it took.
        fn render_host(&self, chunk: &[(usize, usize)]) -> (Result<Vec<f32>, FunctionError>, f64) {
            let t = Instant::now();
            let result = (|| {
                let mut data: Vec<f32> = Vec::new();
                for (part, first_row, len) in Self::segments(chunk) {
                    let (f, points) = self.parts[part];
                    let images = f.render_rows(points, first_row..first_row + len)?;
                    if data.is_empty() {
                        data = images.into_data();
                    } else {
                        data.extend_from_slice(images.data());
                    }
                }
                Ok::<_, FunctionError>(data)
            })();
            (result, t.elapsed().as_secs_f64())
        }

        /// A chunk's renders by the parts' device renderers, as one `[B, 3, H, W]` tensor on
        /// the classifier's device.
        fn render_device(&self, chunk: &[(usize, usize)]) -> Result<tch::Tensor, FunctionError> {
            let mut images = Vec::new();
            for (part, first_row, len) in Self::segments(chunk) {
                let (f, points) = self.parts[part];
                let renderer = f.device_renderer.as_ref().expect("a device renderer");
                let views = f.views(points, first_row..first_row + len);
                images.push(renderer.render_batch(&f.mesh, &views)?);
            }
            Ok(tch::Tensor::f_cat(&images, 0).map_err(TensorRenderError::from)?)
        }

        /// Every chunk with the CPU renderer, the render of chunk `k + 1` (on another thread)
        /// overlapping the network on chunk `k`.
        fn overlapped(
            &self,
            chunks: &[&[(usize, usize)]],
            first: &ClassifierFunction,
            out: &mut [LabelScores],
            tally: &mut Tally,
        ) -> Result<(), FunctionError> {
            let dims = |len: usize| first.renderer.batch_shape(len).dims();
            std::thread::scope(|s| {
                let (first_images, dt) = self.render_host(chunks[0]);
                tally.charge(chunks[0], |c| &mut c.render_seconds, dt);
                tally.charge(chunks[0], |c| &mut c.render_wait_seconds, dt);
                let mut current = Some(first_images?);
                for (k, chunk) in chunks.iter().enumerate() {
                    let images = current.take().expect("rendered");
                    let next = chunks.get(k + 1).map(|c| s.spawn(|| self.render_host(c)));
                    let t = Instant::now();
                    let scores = self.classify_host(&images, dims(chunk.len()))?;
                    record(&scores, chunk, &self.labels, out);
                    tally.charge(chunk, |c| &mut c.network_seconds, t.elapsed().as_secs_f64());
                    tally.count(chunk);
                    if let Some(handle) = next {
                        let t = Instant::now();
                        let (r, dt) = handle.join().expect("the render thread panicked");
                        let waited = t.elapsed().as_secs_f64();
                        let c = chunks[k + 1];
                        tally.charge(c, |c| &mut c.render_wait_seconds, waited);
                        tally.charge(c, |c| &mut c.render_seconds, dt);
                        current = Some(r?);
                    }
                }
                Ok(())
            })
        }

        /// Every chunk with the device renderers: drawn on the device, scored there, only the
        /// scores copied back. On CUDA the render seconds are the time to queue its kernels;
        /// their running time lands in the network's seconds (the copy of the scores waits for
        /// both).
        fn on_device(
            &self,
            chunks: &[&[(usize, usize)]],
            out: &mut [LabelScores],
            tally: &mut Tally,
        ) -> Result<(), FunctionError> {
            for chunk in chunks {
                let t = Instant::now();
                let images = self.render_device(chunk)?;
                let dt = t.elapsed().as_secs_f64();
                tally.charge(chunk, |c| &mut c.render_seconds, dt);
                tally.charge(chunk, |c| &mut c.render_wait_seconds, dt);
                let t = Instant::now();
                let scores = self
                    .classifier
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .probabilities_of(&images)?;
                record(&scores, chunk, &self.labels, out);
                tally.charge(chunk, |c| &mut c.network_seconds, t.elapsed().as_secs_f64());
                tally.count(chunk);
            }
            Ok(())
        }

        /// One network batch of host images.
        fn classify_host(&self, data: &[f32], dims: [usize; 4]) -> Result<Scores, FunctionError> {
            let batch = NetBatch::new(data, dims)?;
            Ok(self
                .classifier
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .probabilities(batch)?)
        }
    }

    /// For image `i` of a scored chunk, appends the probability of its part's label and
    /// whether it ranked first to `out[part]`.
    fn record(probs: &Scores, chunk: &[(usize, usize)], labels: &[usize], out: &mut [LabelScores]) {
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

    /// The functions of several jobs of ONE network (each its mesh, label and finite-difference
    /// steps), evaluated together for [`crate::region::lockstep::run_joint`]: a round's
    /// batches of every job, with their finite-difference neighbours, go to the renderer and
    /// the network as one stream ([`ClassifierFunction::scores`], across meshes), so that a
    /// GPU gets batches of many jobs' points.
    pub struct SharedNetwork<'a> {
        jobs: Vec<FiniteDifference<&'a ClassifierFunction>>,
    }

    /// Why functions cannot share a network's batches.
    #[derive(Debug, thiserror::Error)]
    #[error("job {index} cannot share network batches with job 0: its function has another classifier, render size, largest batch or renderer")]
    pub struct NotShared {
        pub index: usize,
    }

    impl<'a> SharedNetwork<'a> {
        /// Jobs whose functions share one classifier, render size and largest batch.
        pub fn new(jobs: Vec<FiniteDifference<&'a ClassifierFunction>>) -> Result<Self, NotShared> {
            if let Some(first) = jobs.first() {
                if let Some(index) = jobs
                    .iter()
                    .position(|j| !first.inner().shares_batches_with(j.inner()))
                {
                    return Err(NotShared { index });
                }
            }
            Ok(SharedNetwork { jobs })
        }
    }

    impl JointFunction for SharedNetwork<'_> {
        fn len(&self) -> usize {
            self.jobs.len()
        }

        fn function(&self, search: usize) -> &dyn SemanticFunction {
            &self.jobs[search]
        }

        fn evaluate_joint(&self, batches: &[JointBatch<'_>]) -> Vec<Result<Evaluation, EvalError>> {
            let mut results: Vec<Option<Result<Evaluation, EvalError>>> =
                batches.iter().map(|_| None).collect();
            // The points and neighbours of every batch of the right dimension.
            let mut stencils = Vec::new();
            for (k, b) in batches.iter().enumerate() {
                let fd = &self.jobs[b.search];
                match EvalError::check_dimension(fd.dim(), b.points) {
                    Ok(()) => stencils.push((k, fd.stencil(b.points, b.gradient_rows))),
                    Err(e) => results[k] = Some(Err(e)),
                }
            }
            let parts: Vec<(&ClassifierFunction, &DMatrix<f64>)> = stencils
                .iter()
                .map(|(k, m)| (*self.jobs[batches[*k].search].inner(), m))
                .collect();
            let batch = self.jobs.first().map_or(1, |j| j.inner().batch());
            match score_parts(&parts, batch) {
                Ok(scores) => {
                    for ((k, _), s) in stencils.iter().zip(scores) {
                        let b = &batches[*k];
                        results[*k] = Some(self.jobs[b.search].from_stencil(
                            b.points,
                            b.gradient_rows,
                            &DVector::from_vec(s.probability),
                        ));
                    }
                }
                Err(e) => {
                    // The shared stream failed: every batch in it fails, the first with the
                    // error itself, the others with its message.
                    let message = e.to_string();
                    let mut first = Some(e);
                    for (k, _) in &stencils {
                        results[*k] = Some(Err(match first.take() {
                            Some(e) => EvalError::backend(e),
                            None => EvalError::backend(format!(
                                "the network batch shared with another job failed: {message}"
                            )),
                        }));
                    }
                }
            }
            results
                .into_iter()
                .map(|r| r.expect("every batch answered"))
                .collect()
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
