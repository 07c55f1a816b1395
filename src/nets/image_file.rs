//! The images `semrob classify` takes: PNG or JPEG files decoded to a `[1, 3, H, W]` batch
//! of RGB values in [0, 1], within stated limits.
//!
//! The limits are checked on the header, before any pixel is decoded: a side of at most
//! [`MAX_IMAGE_SIDE`] pixels and at most [`MAX_IMAGE_PIXELS`] pixels in all. The decoder's
//! own allocations are capped to what an image of that many pixels needs (16-bit RGBA).

use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The longest side of an image `classify` accepts, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// The most pixels an image `classify` accepts (8192 × 8192): the decoded batch is 12 bytes
/// a pixel, 768 MiB at this size.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 26;

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageFileError {
    #[error("cannot read image {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("image {path}: not a PNG or JPEG file")]
    UnknownFormat { path: PathBuf },
    #[error("image {path}: {width} × {height} pixels is beyond the limit ({what})")]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        what: String,
    },
    #[error("image {path}: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error("image {path}: {source}")]
    Decode {
        path: PathBuf,
        source: image::ImageError,
    },
}

/// A decoded image: `[1, 3, H, W]` values in [0, 1], channel-major.
#[derive(Debug, Clone, PartialEq)]
pub struct InputImage {
    pub data: Vec<f32>,
    pub shape: [usize; 4],
}

/// Reads and decodes a PNG or JPEG file (recognised by content) within the default limits.
pub fn read_image(path: &Path) -> Result<InputImage, ImageFileError> {
    let bytes = std::fs::read(path).map_err(|source| ImageFileError::Io {
        path: path.into(),
        source,
    })?;
    decode_image(&bytes, path, MAX_IMAGE_PIXELS)
}

/// Decodes PNG or JPEG `bytes` (`path` only names them in errors), refusing an image of more
/// than `max_pixels` pixels (at most [`MAX_IMAGE_PIXELS`]) or a side over [`MAX_IMAGE_SIDE`]
/// from its header, before decoding.
pub fn decode_image(
    bytes: &[u8],
    path: &Path,
    max_pixels: u64,
) -> Result<InputImage, ImageFileError> {
    let max_pixels = max_pixels.min(MAX_IMAGE_PIXELS);
    let decode = |source| ImageFileError::Decode {
        path: path.into(),
        source,
    };
    let reader = || -> Result<image::ImageReader<Cursor<&[u8]>>, ImageFileError> {
        let reader = image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|source| ImageFileError::Io {
                path: path.into(),
                source,
            })?;
        match reader.format() {
            Some(image::ImageFormat::Png | image::ImageFormat::Jpeg) => Ok(reader),
            _ => Err(ImageFileError::UnknownFormat { path: path.into() }),
        }
    };
    check_png_palette(bytes).map_err(|message| ImageFileError::Malformed {
        path: path.into(),
        message,
    })?;
    let (width, height) = reader()?.into_dimensions().map_err(decode)?;
    let too_large = |what: String| ImageFileError::TooLarge {
        path: path.into(),
        width,
        height,
        what,
    };
    if width.max(height) > MAX_IMAGE_SIDE {
        return Err(too_large(format!("a side of at most {MAX_IMAGE_SIDE}")));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(too_large(format!("at most {max_pixels} pixels")));
    }
    let mut reader = reader()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // 16-bit RGBA is the widest pixel PNG and JPEG decode to; a little room for tables.
    limits.max_alloc = Some(pixels * 8 + (1 << 20));
    reader.limits(limits);
    // zune-jpeg 0.5.15, the JPEG decoder `image` uses, panics in its AVX2 upsampler on some
    // malformed JPEGs (`input.len() * 2 <= scratch_space.len()`; found by the 20-minute image
    // fuzz campaign, issue 23): a panic while decoding is a refusal of the file, not a crash.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.decode()))
        .map_err(|_| ImageFileError::Malformed {
            path: path.into(),
            message: "the image decoder failed on this file (a panic inside the decoding \
                      library; the file is malformed)"
                .into(),
        })?;
    let img = decoded.map_err(decode)?.to_rgb8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut data = vec![0f32; 3 * h * w];
    for (x, y, px) in img.enumerate_pixels() {
        for c in 0..3 {
            data[(c * h + y as usize) * w + x as usize] = f32::from(px[c]) / 255.0;
        }
    }
    Ok(InputImage {
        data,
        shape: [1, 3, h, w],
    })
}

/// A PNG's palettes (PLTE chunks) must hold 1 to 256 RGB entries, as the PNG specification
/// says. Found by the image fuzz campaign (issue 23): png 0.18.1, the decoder `image` uses,
/// does not check, and panics expanding a palette whose length is not a multiple of 3.
/// Chunks are walked by their stated lengths; other formats, and a file cut short, are left
/// to the decoder.
fn check_png_palette(bytes: &[u8]) -> Result<(), String> {
    let Some(mut rest) = bytes.strip_prefix(b"\x89PNG\r\n\x1a\n") else {
        return Ok(());
    };
    while rest.len() >= 8 {
        let len = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        if &rest[4..8] == b"PLTE" && (len == 0 || len % 3 != 0 || len > 3 * 256) {
            return Err(format!(
                "a PLTE chunk of {len} bytes: a palette holds 1 to 256 RGB entries"
            ));
        }
        // Length, type, data, CRC.
        match len.checked_add(12) {
            Some(next) if next <= rest.len() => rest = &rest[next..],
            _ => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz/image");
        std::fs::read(root.join(name)).unwrap()
    }

    #[test]
    fn seeds_decode_to_batches_in_the_unit_interval() {
        let img = decode_image(
            &fixture("seeds/rgb.png"),
            Path::new("rgb.png"),
            MAX_IMAGE_PIXELS,
        )
        .unwrap();
        assert_eq!(img.shape, [1, 3, 4, 6]);
        // Pixel (x, y) = (1, 2) is (40, 120, 60): channel-major, row-major.
        let at = |c: usize| img.data[(c * 4 + 2) * 6 + 1];
        assert_eq!(
            [at(0), at(1), at(2)],
            [40.0 / 255.0, 120.0 / 255.0, 60.0 / 255.0]
        );
        let jpeg = fixture("seeds/baseline.jpg");
        assert_eq!(
            decode_image(&jpeg, Path::new("j"), MAX_IMAGE_PIXELS)
                .unwrap()
                .shape,
            [1, 3, 4, 6]
        );
    }

    #[test]
    fn headers_beyond_the_limits_are_refused_before_decoding() {
        for (name, what) in [
            ("side-over-limit.png", "a side of at most 16384"),
            ("pixels-over-limit.png", "at most 67108864 pixels"),
            ("claims-4-gigapixels.png", "a side of at most 16384"),
        ] {
            let bytes = fixture(&format!("regressions/{name}"));
            match decode_image(&bytes, Path::new(name), MAX_IMAGE_PIXELS) {
                Err(e @ ImageFileError::TooLarge { .. }) => {
                    assert!(e.to_string().contains(what), "{name}: {e}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        // A caller's tighter limit applies too.
        let small = fixture("seeds/rgb.png");
        assert!(matches!(
            decode_image(&small, Path::new("s"), 23),
            Err(ImageFileError::TooLarge { .. })
        ));
    }

    #[test]
    fn other_formats_and_missing_files_are_typed_errors() {
        assert!(matches!(
            decode_image(b"GIF89a....", Path::new("g"), MAX_IMAGE_PIXELS),
            Err(ImageFileError::UnknownFormat { .. })
        ));
        let e = read_image(Path::new("/nonexistent/x.png")).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("cannot read image /nonexistent/x.png"));
    }

    #[test]
    fn palettes_that_are_not_whole_rgb_entries_are_refused_not_a_panic() {
        // Minimised by afl-tmin from the image campaign's crashes: png 0.18.1 panicked.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz/image");
        let bytes = std::fs::read(root.join("regressions/palette-length.png")).unwrap();
        match decode_image(&bytes, Path::new("p.png"), MAX_IMAGE_PIXELS) {
            Err(e @ ImageFileError::Malformed { .. }) => {
                assert!(e.to_string().contains("a palette holds 1 to 256"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        // The palette seed's PLTE is whole and reads.
        let seed = std::fs::read(root.join("seeds/palette.png")).unwrap();
        assert!(check_png_palette(&seed).is_ok());
        assert!(decode_image(&seed, Path::new("s"), MAX_IMAGE_PIXELS).is_ok());
    }
}
