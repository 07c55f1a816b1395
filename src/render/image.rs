//! Rendered batches: the f32 `[B, 3, H, W]` tensor the classifiers take, and PNG output.

use std::path::Path;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ImageError {
    #[error("image {index} requested from a batch of {batch}")]
    Index { index: usize, batch: usize },
    #[error("{path}: cannot write PNG: {source}")]
    Write {
        path: String,
        source: ::image::ImageError,
    },
    #[error("a contact sheet needs at least one image and one column")]
    EmptySheet,
    #[error("cannot encode PNG: {0}")]
    Encode(::image::ImageError),
}

/// `image` as the bytes of an 8-bit RGB PNG file.
pub fn png_bytes(image: &::image::RgbImage) -> Result<Vec<u8>, ImageError> {
    let mut png = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut png),
            ::image::ImageFormat::Png,
        )
        .map_err(ImageError::Encode)?;
    Ok(png)
}

/// Shape of an image batch, in the classifier's order `[B, C, H, W]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchShape {
    pub batch: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl BatchShape {
    /// Values in one image (`C · H · W`).
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Values in the whole batch.
    pub fn len(&self) -> usize {
        self.batch * self.image_len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dims(&self) -> [usize; 4] {
        [self.batch, self.channels, self.height, self.width]
    }
}

/// A batch of RGB images, planar and row-major (`[B, 3, H, W]`, row 0 at the top), values in
/// [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct ImageBatch {
    shape: BatchShape,
    data: Vec<f32>,
}

impl ImageBatch {
    pub(crate) fn new(shape: BatchShape, data: Vec<f32>) -> ImageBatch {
        debug_assert_eq!(shape.len(), data.len());
        ImageBatch { shape, data }
    }

    pub fn shape(&self) -> BatchShape {
        self.shape
    }

    /// All values, `[B, 3, H, W]` row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    /// The values of image `index` (`[3, H, W]`).
    pub fn image(&self, index: usize) -> Result<&[f32], ImageError> {
        if index >= self.shape.batch {
            return Err(ImageError::Index {
                index,
                batch: self.shape.batch,
            });
        }
        let n = self.shape.image_len();
        Ok(&self.data[index * n..(index + 1) * n])
    }

    /// Image `index` quantised to 8 bits (`round(255 x)`).
    pub fn to_rgb8(&self, index: usize) -> Result<::image::RgbImage, ImageError> {
        let values = self.image(index)?;
        let (h, w) = (self.shape.height, self.shape.width);
        let plane = h * w;
        let mut bytes = Vec::with_capacity(3 * plane);
        for i in 0..plane {
            for c in 0..3 {
                bytes.push(quantise(values[c * plane + i]));
            }
        }
        Ok(::image::RgbImage::from_raw(w as u32, h as u32, bytes).expect("buffer of H·W·3 bytes"))
    }

    /// Image `index` as the bytes of an 8-bit RGB PNG file.
    pub fn png(&self, index: usize) -> Result<Vec<u8>, ImageError> {
        png_bytes(&self.to_rgb8(index)?)
    }

    /// Writes image `index` as an 8-bit RGB PNG.
    pub fn save_png(&self, index: usize, path: impl AsRef<Path>) -> Result<(), ImageError> {
        save(&self.to_rgb8(index)?, path.as_ref())
    }

    /// Every image of the batch on one sheet, `columns` per row, in batch order, separated by
    /// a `gap`-pixel grey line.
    pub fn contact_sheet(&self, columns: usize, gap: u32) -> Result<::image::RgbImage, ImageError> {
        if self.shape.batch == 0 || columns == 0 {
            return Err(ImageError::EmptySheet);
        }
        let columns = columns.min(self.shape.batch);
        let rows = self.shape.batch.div_ceil(columns);
        let (h, w) = (self.shape.height as u32, self.shape.width as u32);
        let sheet_w = columns as u32 * w + (columns as u32 - 1) * gap;
        let sheet_h = rows as u32 * h + (rows as u32 - 1) * gap;
        let mut sheet = ::image::RgbImage::from_pixel(sheet_w, sheet_h, ::image::Rgb([128; 3]));
        for index in 0..self.shape.batch {
            let tile = self.to_rgb8(index)?;
            let (col, row) = ((index % columns) as u32, (index / columns) as u32);
            let (x0, y0) = (col * (w + gap), row * (h + gap));
            for (x, y, p) in tile.enumerate_pixels() {
                sheet.put_pixel(x0 + x, y0 + y, *p);
            }
        }
        Ok(sheet)
    }
}

/// Writes an RGB image as PNG, naming the path in errors.
pub(crate) fn save(image: &::image::RgbImage, path: &Path) -> Result<(), ImageError> {
    image.save(path).map_err(|source| ImageError::Write {
        path: path.display().to_string(),
        source,
    })
}

fn quantise(x: f32) -> u8 {
    (x.clamp(0.0, 1.0) * 255.0).round() as u8
}
