//! The render-while-classifying pipeline behind [`ClassifierFunction::scores`]: rows of one
//! or several functions that share a classifier go to the renderer and the network as one
//! stream of chunks of at most `batch` images. With the CPU renderer the render of chunk
//! `k + 1` overlaps the network on chunk `k`; with the device renderer each chunk is drawn
//! and scored on the device in turn.

use std::sync::Mutex;
use std::time::Instant;

use nalgebra::DMatrix;

use super::{ClassifierFunction, FunctionError, LabelScores, NetCounters};
use crate::nets::{Classifier, ImageBatch as NetBatch, Scores};
use crate::render::TensorRenderError;

impl ClassifierFunction {
    /// The label's probability and top-1 flag for every point: the points render and
    /// classify in chunks of at most `batch`, the render of chunk `k + 1` overlapping the
    /// network on chunk `k`.
    pub fn scores(&self, points: &DMatrix<f64>) -> Result<LabelScores, FunctionError> {
        let mut out = score_parts(&[(self, points)], self.batch.get())?;
        Ok(out.pop().expect("one part"))
    }
}

/// Rows of several functions that share one classifier ([`ClassifierFunction::shared`]),
/// scored as ONE stream: part after part, in chunks of at most `batch` images that may
/// hold rows of several parts (each rendered with its own mesh and scene, each scored for
/// its own label). With the CPU renderer the render of chunk `k + 1` overlaps the network
/// on chunk `k`; with the device renderer each chunk is drawn and scored on the device in
/// turn. Each part's counters get its rows, the chunks it was in, and its share of each
/// chunk's seconds (by its rows).
pub(super) fn score_parts(
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
                LabelScores::record(&scores, chunk, &self.labels, out);
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
            LabelScores::record(&scores, chunk, &self.labels, out);
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
