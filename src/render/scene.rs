//! What a render is made with beyond the mesh: the camera and light when they are not
//! semantic axes, and the image settings.

use serde::{Deserialize, Serialize};

use super::DEFAULT_DISTANCE;

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
