//! What a render is made with beyond the mesh: the camera and light when they are not
//! semantic axes, and the image settings.

use serde::{Deserialize, Serialize};

use super::{RenderError, RenderOptions, Renderer, DEFAULT_DISTANCE};

/// Everything about a render that is not an axis: the fixed values of the semantic
/// parameters and the image settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scene {
    /// Azimuth when it is not an axis (degrees).
    pub azimuth_deg: f64,
    /// Elevation when it is not an axis (degrees; the paper's 1-D maps use 35°).
    pub elevation_deg: f64,
    /// Camera distance when it is not an axis (NMR: 2.732).
    pub distance: f64,
    /// Light azimuth and elevation when they are not axes (90° elevation is NMR's +y light).
    pub light_azimuth_deg: f64,
    pub light_elevation_deg: f64,
    /// Rendered image side in pixels; `None`: the network's input size (no resizing).
    pub size: Option<u32>,
    /// Anti-aliasing factor (NMR: 2).
    pub supersampling: u32,
}

impl Default for Scene {
    fn default() -> Self {
        Scene {
            azimuth_deg: 0.0,
            elevation_deg: 35.0,
            distance: DEFAULT_DISTANCE,
            light_azimuth_deg: 0.0,
            light_elevation_deg: 90.0,
            size: None,
            supersampling: 2,
        }
    }
}

/// A scene setting the renderer refuses: the field (`size`, `supersampling`, `distance`, …)
/// and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct SceneError {
    pub field: &'static str,
    pub message: String,
}

impl Scene {
    /// Checks the settings against the renderer's own limits ([`Renderer::new`] for the
    /// image, [`super::View`]'s for the camera): finite angles, a distance > 0, a
    /// supersampling factor of 1 to 4 and, when a size is given, at most
    /// [`super::MAX_SAMPLES_PER_SIDE`] samples per side.
    pub fn check(&self) -> Result<(), SceneError> {
        let bad = |field, message| Err(SceneError { field, message });
        for (field, value) in [
            ("azimuth_deg", self.azimuth_deg),
            ("elevation_deg", self.elevation_deg),
            ("light_azimuth_deg", self.light_azimuth_deg),
            ("light_elevation_deg", self.light_elevation_deg),
        ] {
            if !value.is_finite() {
                return bad(field, format!("{value} is not a finite number"));
            }
        }
        if !(self.distance.is_finite() && self.distance > 0.0) {
            return bad("distance", format!("{} is not > 0", self.distance));
        }
        // Without a size the network's input size is used; the factor is checked at 1 pixel.
        let options = RenderOptions {
            size: self.size.unwrap_or(1),
            supersampling: self.supersampling,
        };
        match Renderer::new(options) {
            Ok(_) => Ok(()),
            Err(e @ RenderError::Supersampling(_)) => bad("supersampling", e.to_string()),
            Err(e) => bad("size", e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::MAX_SAMPLES_PER_SIDE;

    #[test]
    fn a_scene_is_checked_against_the_renderers_limits() {
        assert_eq!(Scene::default().check(), Ok(()));
        let field = |s: Scene| s.check().unwrap_err().field;
        let d = Scene::default();
        assert_eq!(
            field(Scene {
                supersampling: 9,
                ..d
            }),
            "supersampling"
        );
        assert_eq!(
            field(Scene {
                supersampling: 0,
                ..d
            }),
            "supersampling"
        );
        assert_eq!(field(Scene { size: Some(0), ..d }), "size");
        let big = Scene {
            size: Some(MAX_SAMPLES_PER_SIDE / 2 + 1),
            supersampling: 2,
            ..d
        };
        assert!(big.check().unwrap_err().message.contains("8192"), "{big:?}");
        assert_eq!(
            Scene {
                size: Some(MAX_SAMPLES_PER_SIDE / 4),
                supersampling: 4,
                ..d
            }
            .check(),
            Ok(())
        );
        assert_eq!(field(Scene { distance: 0.0, ..d }), "distance");
        assert_eq!(
            field(Scene {
                distance: f64::NAN,
                ..d
            }),
            "distance"
        );
        assert_eq!(
            field(Scene {
                light_elevation_deg: f64::INFINITY,
                ..d
            }),
            "light_elevation_deg"
        );
    }
}
