//! The function of interest on a real network (SPEC §1): `f(u)` = softmax score of the true
//! label for the render of a mesh under the semantic parameters `u`
//! ([`crate::semantic::SemanticParam`], turned into views by
//! [`crate::render::Scene::view`]).
//!
//! * `ClassifierFunction` (feature `torch`): a batch of points renders and classifies in
//!   chunks of at most `batch` images, rendering the next chunk while the network scores the
//!   current one. It is a black box; wrap it in
//!   [`super::finite_difference::FiniteDifference`] for OIR_W.

#[cfg(feature = "torch")]
pub use torch::{ClassifierFunction, FunctionError, LabelScores, NetCounters, DEFAULT_BATCH};

#[cfg(feature = "torch")]
mod torch {
    use std::ops::Range;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use nalgebra::{DMatrix, DVector};

    use crate::nets::{Classifier, ImageBatch as NetBatch, NetError};
    use crate::render::{Mesh, RenderError, RenderOptions, Renderer, Scene};
    use crate::semantic::{EvalError, Evaluation, SemanticFunction, SemanticParam};

    /// Why the rendered function could not be built or evaluated.
    #[derive(Debug, thiserror::Error)]
    pub enum FunctionError {
        #[error("label {0} is outside the ImageNet labels 0–999")]
        Label(usize),
        #[error("render settings: {0}")]
        Render(#[from] RenderError),
        #[error(transparent)]
        Net(#[from] NetError),
        #[error("batch 0: the largest network batch must be ≥ 1")]
        Batch,
    }

    /// `f(u) = softmax(C(R(u, S)))[k]` (SPEC §1) for a mesh, a classifier and a label.
    ///
    /// The classifier sits behind a mutex (libtorch modules are not `Sync`; one network can
    /// serve several functions). A call with many points renders and classifies them in
    /// chunks of at most `batch` ([`ClassifierFunction::with_batch`]): while the network
    /// scores one chunk on the calling thread, the next chunk renders on rayon's pool.
    pub struct ClassifierFunction {
        mesh: Mesh,
        renderer: Renderer,
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
                render_seconds: self.render_seconds - before.render_seconds,
                network_seconds: self.network_seconds - before.network_seconds,
                render_wait_seconds: self.render_wait_seconds - before.render_wait_seconds,
            }
        }
    }

    /// Scores of a batch of renders: the true label's probability and whether it ranked first.
    #[derive(Debug, Clone, PartialEq)]
    pub struct LabelScores {
        pub probability: Vec<f64>,
        pub top1: Vec<bool>,
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
            if label >= 1000 {
                return Err(FunctionError::Label(label));
            }
            let input = classifier
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .input_size() as u32;
            let size = scene.size.unwrap_or(input);
            let renderer = Renderer::new(
                RenderOptions::default()
                    .with_size(size)
                    .with_supersampling(scene.supersampling),
            )?;
            Ok(ClassifierFunction {
                mesh,
                renderer,
                classifier,
                label,
                params,
                scene,
                batch: DEFAULT_BATCH,
                counters: Mutex::new(NetCounters::default()),
            })
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

        /// Renders the points (rows of `points`) as one batch.
        pub fn render(
            &self,
            points: &DMatrix<f64>,
        ) -> Result<crate::render::ImageBatch, FunctionError> {
            self.render_rows(points, 0..points.nrows())
        }

        fn render_rows(
            &self,
            points: &DMatrix<f64>,
            rows: Range<usize>,
        ) -> Result<crate::render::ImageBatch, FunctionError> {
            let views: Vec<_> = rows
                .map(|j| {
                    let u: Vec<f64> = points.row(j).iter().copied().collect();
                    self.scene.view(&self.params, &u)
                })
                .collect();
            Ok(self.renderer.render_batch(&self.mesh, &views)?)
        }

        /// The label's probability and top-1 flag for every point: the points render and
        /// classify in chunks of at most `batch`, the render of chunk `k + 1` overlapping the
        /// network on chunk `k`.
        pub fn scores(&self, points: &DMatrix<f64>) -> Result<LabelScores, FunctionError> {
            let m = points.nrows();
            let mut out = LabelScores {
                probability: Vec::with_capacity(m),
                top1: Vec::with_capacity(m),
            };
            if m == 0 {
                return Ok(out);
            }
            let chunks: Vec<Range<usize>> = (0..m)
                .step_by(self.batch)
                .map(|s| s..(s + self.batch).min(m))
                .collect();
            let mut c = NetCounters::default();
            let timed_render = |rows: Range<usize>| {
                let t = Instant::now();
                let r = self.render_rows(points, rows);
                (r, t.elapsed().as_secs_f64())
            };
            let result = std::thread::scope(|s| -> Result<(), FunctionError> {
                let (first, dt) = timed_render(chunks[0].clone());
                c.render_seconds += dt;
                c.render_wait_seconds += dt;
                let mut current = Some(first?);
                for k in 0..chunks.len() {
                    let images = current.take().expect("rendered");
                    let next = chunks
                        .get(k + 1)
                        .map(|rows| s.spawn(|| timed_render(rows.clone())));
                    let t = Instant::now();
                    self.classify(&images, &mut out)?;
                    c.network_seconds += t.elapsed().as_secs_f64();
                    c.batches += 1;
                    c.images += chunks[k].len();
                    if let Some(handle) = next {
                        let t = Instant::now();
                        let (r, dt) = handle.join().expect("the render thread panicked");
                        c.render_wait_seconds += t.elapsed().as_secs_f64();
                        c.render_seconds += dt;
                        current = Some(r?);
                    }
                }
                Ok(())
            });
            let mut total = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            total.batches += c.batches;
            total.images += c.images;
            total.render_seconds += c.render_seconds;
            total.network_seconds += c.network_seconds;
            total.render_wait_seconds += c.render_wait_seconds;
            result.map(|()| out)
        }

        /// The label's probability and top-1 flag for images rendered already (by
        /// [`ClassifierFunction::render`]), as one network batch, outside the counters.
        pub fn classify_images(
            &self,
            images: &crate::render::ImageBatch,
        ) -> Result<LabelScores, FunctionError> {
            let mut out = LabelScores {
                probability: Vec::with_capacity(images.shape().batch),
                top1: Vec::with_capacity(images.shape().batch),
            };
            self.classify(images, &mut out)?;
            Ok(out)
        }

        /// One network batch: appends the label's probability and top-1 flag per image.
        fn classify(
            &self,
            images: &crate::render::ImageBatch,
            out: &mut LabelScores,
        ) -> Result<(), FunctionError> {
            let batch = NetBatch::new(images.data(), images.shape().dims())?;
            let probs = self
                .classifier
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .probabilities(batch)?;
            for i in 0..probs.batch() {
                let row = probs.row(i);
                out.probability.push(row[self.label] as f64);
                // Ties count as top-1 only for the lowest index, as `Scores::top` ranks them.
                out.top1.push(probs.top(i, 1)[0].0 == self.label);
            }
            Ok(())
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
