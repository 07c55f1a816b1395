//! The semantic parameters `u` (SPEC §1, §6): which ones can be axes, how an axis is sampled,
//! and how a point `u` becomes a camera and light for the renderer.
//!
//! * [`SemanticParam`]: the parameters that can be axes (the paper's azimuth and elevation,
//!   plus camera distance and the light's azimuth and elevation), each with its unit and
//!   default domain.
//! * [`AxisSpec`]: an axis sampled from `lo` to `hi` by `step` (`azimuth:0:360:3`).
//! * [`Scene::view`]: a point `u` as a renderer [`View`], the scene giving the parameters
//!   that are not axes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::render::{Scene, View};
use crate::semantic::grid::MAX_GRID_POINTS;
use crate::semantic::Axis;

/// A semantic parameter that can be an axis of `u`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SemanticParam {
    /// Camera azimuth in degrees (periodic, 360).
    Azimuth,
    /// Camera elevation in degrees.
    Elevation,
    /// Camera distance to the origin (NMR: 2.732; the mesh fits [−1, 1]³).
    Distance,
    /// Azimuth of the direction towards the light, degrees, same convention as the camera.
    LightAzimuth,
    /// Elevation of the direction towards the light, degrees (90 = NMR's light from +y).
    LightElevation,
}

impl SemanticParam {
    pub const ALL: [SemanticParam; 5] = [
        SemanticParam::Azimuth,
        SemanticParam::Elevation,
        SemanticParam::Distance,
        SemanticParam::LightAzimuth,
        SemanticParam::LightElevation,
    ];

    /// The command-line and grid-axis name.
    pub fn name(self) -> &'static str {
        match self {
            SemanticParam::Azimuth => "azimuth",
            SemanticParam::Elevation => "elevation",
            SemanticParam::Distance => "distance",
            SemanticParam::LightAzimuth => "light-azimuth",
            SemanticParam::LightElevation => "light-elevation",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            SemanticParam::Distance => "",
            _ => "deg",
        }
    }

    pub fn period(self) -> Option<f64> {
        match self {
            SemanticParam::Azimuth | SemanticParam::LightAzimuth => Some(360.0),
            _ => None,
        }
    }

    /// The default domain Ω along this parameter: the paper's [0, 360] × [−10, 90] for the
    /// camera angles; distance [2, 4] (closer than 2 the mesh leaves the 60° field of view);
    /// light azimuth [0, 360] and light elevation [0, 90] (the upper hemisphere).
    pub fn default_domain(self) -> [f64; 2] {
        match self {
            SemanticParam::Azimuth | SemanticParam::LightAzimuth => [0.0, 360.0],
            SemanticParam::Elevation => [-10.0, 90.0],
            SemanticParam::Distance => [2.0, 4.0],
            SemanticParam::LightElevation => [0.0, 90.0],
        }
    }

    /// The default sampling step of a map along this parameter (the paper's 3° for angles).
    pub fn default_step(self) -> f64 {
        match self {
            SemanticParam::Distance => 0.1,
            _ => 3.0,
        }
    }

    /// The default finite-difference step for gradients (OIR_W): 0.5° for angles, 0.01 for
    /// the distance. Renders change in whole pixels, so much smaller steps see rasterisation
    /// noise rather than the trend (see the stability test of the rendered function).
    pub fn default_fd_step(self) -> f64 {
        match self {
            SemanticParam::Distance => 0.01,
            _ => 0.5,
        }
    }
}

impl fmt::Display for SemanticParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a [`SemanticParam`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown semantic parameter {0:?}; known: azimuth, elevation, distance, light-azimuth, light-elevation")]
pub struct UnknownParam(pub String);

impl FromStr for SemanticParam {
    type Err = UnknownParam;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SemanticParam::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownParam(s.to_string()))
    }
}

/// One axis of a map or of a region search: a parameter, its domain `[lo, hi]` and the map's
/// sampling step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AxisSpec {
    pub param: SemanticParam,
    pub lo: f64,
    pub hi: f64,
    pub step: f64,
}

/// Why an axis list was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AxisSpecError {
    #[error("axis {text:?}: {message}")]
    Bad { text: String, message: String },
    #[error(transparent)]
    Unknown(#[from] UnknownParam),
    #[error("parameter {0} appears twice in the axes")]
    Repeated(SemanticParam),
    #[error("no axes given")]
    Empty,
    /// The map sampled on these axes would hold more points than a map may.
    #[error("a map on these axes would have {counts} points, more than the {max} a map may have")]
    MapTooLarge { counts: String, max: usize },
}

/// The number of points of a map sampled on `axes` (the product of their sample counts),
/// counted without allocating a sample; refused when it exceeds [`MAX_GRID_POINTS`] or
/// overflows, naming each axis's count.
pub fn map_point_count(axes: &[AxisSpec]) -> Result<usize, AxisSpecError> {
    axes.iter()
        .try_fold(1usize, |acc, a| acc.checked_mul(a.sample_count()))
        .filter(|&points| points <= MAX_GRID_POINTS)
        .ok_or_else(|| AxisSpecError::MapTooLarge {
            counts: axes
                .iter()
                .map(|a| a.sample_count().to_string())
                .collect::<Vec<_>>()
                .join(" × "),
            max: MAX_GRID_POINTS,
        })
}

impl AxisSpec {
    /// The parameter's default domain and step.
    pub fn default_for(param: SemanticParam) -> AxisSpec {
        let [lo, hi] = param.default_domain();
        AxisSpec {
            param,
            lo,
            hi,
            step: param.default_step(),
        }
    }

    /// Checks `lo < hi` and `0 < step ≤ hi − lo`, all finite.
    pub fn validate(&self) -> Result<(), AxisSpecError> {
        let bad = |message: String| AxisSpecError::Bad {
            text: self.to_string(),
            message,
        };
        if !(self.lo.is_finite() && self.hi.is_finite() && self.step.is_finite()) {
            return Err(bad("bounds and step must be finite numbers".into()));
        }
        if self.lo >= self.hi {
            return Err(bad(format!(
                "lower bound {} ≥ upper bound {}",
                self.lo, self.hi
            )));
        }
        if !(self.step > 0.0 && self.step <= self.hi - self.lo) {
            return Err(bad(format!(
                "step {} must be > 0 and at most the width {}",
                self.step,
                self.hi - self.lo
            )));
        }
        if self.param == SemanticParam::Distance && self.lo <= 0.0 {
            return Err(bad("a camera distance must be > 0".into()));
        }
        Ok(())
    }

    /// The map's sample positions: `lo, lo + step, …` below `hi`, and `hi` itself unless the
    /// axis is periodic with a domain of one full period (then `hi` is `lo` again). The
    /// paper's azimuth 0, 3, …, 357 and elevation −10, −7, …, 89 come out of the defaults
    /// (89 because 92 would leave the domain).
    pub fn samples(&self) -> Vec<f64> {
        (0..self.sample_count())
            .map(|i| self.lo + i as f64 * self.step)
            .collect()
    }

    /// How many [`AxisSpec::samples`] there are, computed without allocating them (a
    /// configuration may claim an axis of 10¹¹ samples; it is refused from this count).
    pub fn sample_count(&self) -> usize {
        // Saturates for a width that is not a finite multiple of the step.
        let steps = ((self.hi - self.lo) / self.step + 1e-9).floor() as usize;
        let last = self.lo + steps as f64 * self.step;
        let full_period = self.param.period() == Some(self.hi - self.lo);
        let drop_last = full_period && steps > 0 && (last - self.hi).abs() < 1e-9;
        steps.saturating_add(1) - usize::from(drop_last)
    }

    /// This axis as a grid axis (values, unit, period, domain).
    pub fn grid_axis(&self) -> Axis {
        let period = self
            .param
            .period()
            .filter(|p| (self.hi - self.lo - p).abs() < 1e-9);
        Axis {
            name: self.param.name().to_string(),
            unit: self.param.unit().to_string(),
            values: self.samples(),
            period,
            domain: Some([self.lo, self.hi]),
        }
    }

    /// Parses `NAME`, `NAME:LO:HI` or `NAME:LO:HI:STEP` (defaults from the parameter).
    pub fn parse(text: &str) -> Result<AxisSpec, AxisSpecError> {
        let parts: Vec<&str> = text.trim().split(':').collect();
        let param: SemanticParam = parts[0].trim().parse()?;
        let mut spec = AxisSpec::default_for(param);
        let num = |s: &str| -> Result<f64, AxisSpecError> {
            s.trim().parse::<f64>().map_err(|_| AxisSpecError::Bad {
                text: text.to_string(),
                message: format!("{s:?} is not a number"),
            })
        };
        match parts.len() {
            1 => {}
            3 | 4 => {
                spec.lo = num(parts[1])?;
                spec.hi = num(parts[2])?;
                if parts.len() == 4 {
                    spec.step = num(parts[3])?;
                }
            }
            _ => {
                return Err(AxisSpecError::Bad {
                    text: text.to_string(),
                    message: "expected NAME, NAME:LO:HI or NAME:LO:HI:STEP".into(),
                })
            }
        }
        spec.validate()?;
        Ok(spec)
    }

    /// Parses a comma-separated list of axes, refusing repeats.
    pub fn parse_list(text: &str) -> Result<Vec<AxisSpec>, AxisSpecError> {
        let axes = text
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(AxisSpec::parse)
            .collect::<Result<Vec<_>, _>>()?;
        check_axes(&axes)?;
        Ok(axes)
    }
}

/// At least one axis, no parameter twice, every axis valid.
pub fn check_axes(axes: &[AxisSpec]) -> Result<(), AxisSpecError> {
    if axes.is_empty() {
        return Err(AxisSpecError::Empty);
    }
    for (i, a) in axes.iter().enumerate() {
        a.validate()?;
        if axes[..i].iter().any(|b| b.param == a.param) {
            return Err(AxisSpecError::Repeated(a.param));
        }
    }
    Ok(())
}

impl fmt::Display for AxisSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}:{}", self.param, self.lo, self.hi, self.step)
    }
}

/// The paper's 2-D axes: azimuth 0–360 and elevation −10–90, by 3°.
pub fn paper_axes() -> Vec<AxisSpec> {
    vec![
        AxisSpec::default_for(SemanticParam::Azimuth),
        AxisSpec::default_for(SemanticParam::Elevation),
    ]
}

impl Scene {
    /// The view for point `u` whose coordinates are the parameters `params`, in order.
    pub fn view(&self, params: &[SemanticParam], u: &[f64]) -> View {
        let mut s = *self;
        for (p, &x) in params.iter().zip(u) {
            match p {
                SemanticParam::Azimuth => s.azimuth_deg = x,
                SemanticParam::Elevation => s.elevation_deg = x,
                SemanticParam::Distance => s.distance = x,
                SemanticParam::LightAzimuth => s.light_azimuth_deg = x,
                SemanticParam::LightElevation => s.light_elevation_deg = x,
            }
        }
        View::new(s.azimuth_deg, s.elevation_deg)
            .with_distance(s.distance)
            .with_light_direction(crate::render::direction(
                s.light_azimuth_deg,
                s.light_elevation_deg,
            ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::DEFAULT_DISTANCE;

    #[test]
    fn default_axes_sample_the_papers_grid() {
        let axes = paper_axes();
        let az = axes[0].grid_axis();
        let el = axes[1].grid_axis();
        assert_eq!(az.values.len(), 120);
        assert_eq!((az.values[0], az.values[119]), (0.0, 357.0));
        assert_eq!(az.period, Some(360.0));
        assert_eq!(el.values.len(), 34);
        assert_eq!((el.values[0], el.values[33]), (-10.0, 89.0));
        assert_eq!(el.domain, Some([-10.0, 90.0]));
        assert_eq!(el.period, None);
    }

    #[test]
    fn axis_lists_parse_with_defaults_and_refuse_bad_ranges() {
        let axes = AxisSpec::parse_list("azimuth:0:360:3,elevation:-10:90:3").unwrap();
        assert_eq!(axes, paper_axes());
        let axes = AxisSpec::parse_list("distance,light-elevation:10:80").unwrap();
        assert_eq!(axes[0], AxisSpec::default_for(SemanticParam::Distance));
        assert_eq!((axes[1].lo, axes[1].hi, axes[1].step), (10.0, 80.0, 3.0));
        // Each refusal by its variant; `Bad` by the axis it quotes and what it says is wrong.
        for (bad, axis, message) in [
            (
                "azimuth:10:5",
                "azimuth:10:5:3",
                "lower bound 10 ≥ upper bound 5",
            ),
            ("azimuth:0:360:0", "azimuth:0:360:0", "step 0 must be > 0"),
            (
                "azimuth:0:360:-3",
                "azimuth:0:360:-3",
                "step -3 must be > 0",
            ),
            ("azimuth:0:10:20", "azimuth:0:10:20", "at most the width 10"),
            (
                "distance:0:3",
                "distance:0:3:0.1",
                "a camera distance must be > 0",
            ),
            ("azimuth:0:x", "azimuth:0:x", "\"x\" is not a number"),
            (
                "azimuth:0",
                "azimuth:0",
                "expected NAME, NAME:LO:HI or NAME:LO:HI:STEP",
            ),
        ] {
            match AxisSpec::parse_list(bad) {
                Err(AxisSpecError::Bad { text, message: m }) => {
                    assert_eq!(text, axis, "{bad:?}");
                    assert!(m.contains(message), "{bad:?}: {m}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(
            AxisSpec::parse_list("azimuth,azimuth"),
            Err(AxisSpecError::Repeated(SemanticParam::Azimuth))
        );
        assert_eq!(
            AxisSpec::parse_list("colour"),
            Err(AxisSpecError::Unknown(UnknownParam("colour".into())))
        );
        assert_eq!(AxisSpec::parse_list(""), Err(AxisSpecError::Empty));
    }

    #[test]
    fn a_partial_period_keeps_its_upper_end_and_no_period() {
        let a = AxisSpec::parse("azimuth:0:90:30").unwrap().grid_axis();
        assert_eq!(a.values, vec![0.0, 30.0, 60.0, 90.0]);
        assert_eq!(a.period, None);
    }

    #[test]
    fn scene_views_take_axes_from_u_and_the_rest_from_the_scene() {
        let scene = Scene::default();
        let v = scene.view(&[SemanticParam::Azimuth], &[130.0]);
        assert_eq!((v.azimuth_deg, v.elevation_deg), (130.0, 35.0));
        assert_eq!(v.distance, DEFAULT_DISTANCE);
        // The default light is NMR's +y.
        assert!((v.light_direction[1] - 1.0).abs() < 1e-12);
        assert!(v.light_direction[0].abs() < 1e-12 && v.light_direction[2].abs() < 1e-12);
        let v = scene.view(
            &[
                SemanticParam::LightElevation,
                SemanticParam::Distance,
                SemanticParam::LightAzimuth,
            ],
            &[0.0, 3.5, 90.0],
        );
        assert_eq!(v.distance, 3.5);
        // Light at elevation 0, azimuth 90: along +x.
        assert!(
            (v.light_direction[0] - 1.0).abs() < 1e-12,
            "{:?}",
            v.light_direction
        );
    }
}
