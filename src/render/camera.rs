//! Per-view semantic parameters and the NMR look-at camera (SPEC §6).

use super::vec3::dot;
use thiserror::Error;

/// NMR's default camera distance (SPEC §6).
pub const DEFAULT_DISTANCE: f64 = 2.732;
/// NMR's "viewing angle": the half angle of the field of view, in degrees (SPEC §6).
pub const VIEW_HALF_ANGLE_DEG: f64 = 30.0;
/// Camera-space depth below which geometry is clipped away (NMR's `near`).
pub const NEAR: f64 = 0.1;

/// Why a view cannot be rendered.
#[derive(Debug, Error, PartialEq)]
pub enum ViewError {
    #[error("view parameter {field} must be finite, got {value}")]
    NotFinite { field: &'static str, value: f64 },
    #[error("camera distance must be positive, got {0}")]
    Distance(f64),
    #[error("light direction must be a nonzero finite vector, got {0:?}")]
    LightDirection([f64; 3]),
}

/// Everything that varies from one image to the next: the semantic parameters of one render.
///
/// A face's shade is `ambient + directional · max(0, n · l)` (white material and light,
/// flat, `n` the face normal turned towards the camera, `l` the unit light direction),
/// clipped to [0, 1] where intensities above NMR's 0.5 + 0.5 would exceed it.
///
/// Angles are in degrees. Any azimuth is accepted (it is periodic); elevation ±90° looks
/// straight down/up with the image's right-hand side along `(cos a, 0, sin a)`, the limit of
/// the general formula, so the camera never degenerates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub azimuth_deg: f64,
    pub elevation_deg: f64,
    /// Distance from the camera to the origin (NMR: 2.732).
    pub distance: f64,
    /// Direction *towards* the light in world space; need not be unit length (NMR: +y).
    pub light_direction: [f64; 3],
    /// Ambient light intensity (NMR: 0.5).
    pub ambient: f64,
    /// Directional light intensity (NMR: 0.5).
    pub directional: f64,
    /// RGB colour of pixels no face covers, in [0, 1] (NMR: black).
    pub background: [f32; 3],
}

impl View {
    /// The paper's view at `(azimuth_deg, elevation_deg)`: every other field at NMR's default.
    pub fn new(azimuth_deg: f64, elevation_deg: f64) -> View {
        View {
            azimuth_deg,
            elevation_deg,
            distance: DEFAULT_DISTANCE,
            light_direction: [0.0, 1.0, 0.0],
            ambient: 0.5,
            directional: 0.5,
            background: [0.0; 3],
        }
    }

    pub fn with_distance(self, distance: f64) -> View {
        View { distance, ..self }
    }

    pub fn with_light_direction(self, light_direction: [f64; 3]) -> View {
        View {
            light_direction,
            ..self
        }
    }

    pub fn with_light_intensities(self, ambient: f64, directional: f64) -> View {
        View {
            ambient,
            directional,
            ..self
        }
    }

    pub fn with_background(self, background: [f32; 3]) -> View {
        View { background, ..self }
    }

    pub(crate) fn validate(&self) -> Result<(), ViewError> {
        let fields = [
            ("azimuth_deg", self.azimuth_deg),
            ("elevation_deg", self.elevation_deg),
            ("distance", self.distance),
            ("ambient", self.ambient),
            ("directional", self.directional),
        ];
        for (field, value) in fields {
            if !value.is_finite() {
                return Err(ViewError::NotFinite { field, value });
            }
        }
        for value in self.background {
            if !value.is_finite() {
                return Err(ViewError::NotFinite {
                    field: "background",
                    value: value as f64,
                });
            }
        }
        if self.distance <= 0.0 {
            return Err(ViewError::Distance(self.distance));
        }
        let l = self.light_direction;
        let norm = (l[0] * l[0] + l[1] * l[1] + l[2] * l[2]).sqrt();
        if !norm.is_finite() || norm == 0.0 {
            return Err(ViewError::LightDirection(l));
        }
        Ok(())
    }
}

/// `(azimuth, elevation)` pairs in degrees, written `A:E,A:E,...` (`0:30,90:30`): the views
/// of a contact sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct AnglePairs(pub Vec<(f64, f64)>);

impl std::str::FromStr for AnglePairs {
    type Err = String;

    fn from_str(text: &str) -> Result<AnglePairs, String> {
        text.split(',')
            .map(|item| {
                let (a, e) = item
                    .split_once(':')
                    .ok_or_else(|| format!("{item:?} is not azimuth:elevation"))?;
                match (a.trim().parse::<f64>(), e.trim().parse::<f64>()) {
                    (Ok(a), Ok(e)) => Ok((a, e)),
                    _ => Err(format!("{item:?} is not azimuth:elevation in degrees")),
                }
            })
            .collect::<Result<_, _>>()
            .map(AnglePairs)
    }
}

impl AnglePairs {
    /// Every azimuth at every elevation: one row per elevation, one column per azimuth.
    pub fn grid(azimuths: &[f64], elevations: &[f64]) -> AnglePairs {
        AnglePairs(
            elevations
                .iter()
                .flat_map(|&e| azimuths.iter().map(move |&a| (a, e)))
                .collect(),
        )
    }

    /// `base` at each pair's azimuth and elevation.
    pub fn views(&self, base: View) -> Vec<View> {
        self.0
            .iter()
            .map(|&(azimuth_deg, elevation_deg)| View {
                azimuth_deg,
                elevation_deg,
                ..base
            })
            .collect()
    }
}

/// Numbers written `X,Y,...` (angles in degrees, a direction's coordinates).
#[derive(Debug, Clone, PartialEq)]
pub struct Numbers(pub Vec<f64>);

impl std::str::FromStr for Numbers {
    type Err = String;

    fn from_str(text: &str) -> Result<Numbers, String> {
        text.split(',')
            .map(|s| {
                s.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("{s:?} is not a number"))
            })
            .collect::<Result<_, _>>()
            .map(Numbers)
    }
}

/// A direction `x,y,z` in world space (a light's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Direction(pub [f64; 3]);

impl std::str::FromStr for Direction {
    type Err = String;

    fn from_str(text: &str) -> Result<Direction, String> {
        let Numbers(v) = text.parse()?;
        <[f64; 3]>::try_from(v.as_slice())
            .map(Direction)
            .map_err(|_| format!("{text:?} is not three numbers x,y,z"))
    }
}

/// The look-at camera of SPEC §6: eye position and the camera frame (rows of the
/// world-to-camera rotation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub eye: [f64; 3],
    pub x: [f64; 3],
    pub y: [f64; 3],
    pub z: [f64; 3],
}

impl Camera {
    /// `eye = d (cos e sin a, sin e, −cos e cos a)`, `z = normalize(−eye)`,
    /// `x = normalize(up × z)`, `y = z × x` with `up = +y`.
    ///
    /// `up × z = cos e · (cos a, 0, sin a)`, so `x = sign(cos e) (cos a, 0, sin a)` in closed
    /// form; this is the formula itself wherever it is defined and its limit at e = ±90°.
    /// Angles are reduced to [−180°, 180°] first (symmetric rounding), so that `a` and
    /// `a + 360` give the same camera and `−a` gives the exact mirror of `a`, bit for bit
    /// (at ±180° itself the two reductions may land on either end of the cut, and the
    /// cameras then differ by the sine of π in f64, about 1e−16).
    pub fn look_at(view: &View) -> Camera {
        let a = reduce_deg(view.azimuth_deg).to_radians();
        let e = reduce_deg(view.elevation_deg).to_radians();
        let (sa, ca) = (a.sin(), a.cos());
        let (se, ce) = (e.sin(), e.cos());
        let d = view.distance;
        let eye = [d * ce * sa, d * se, -d * ce * ca];
        let z = direction_of(sa, ca, se, ce).map(|c| -c);
        let s = if ce >= 0.0 { 1.0 } else { -1.0 };
        let x = [s * ca, 0.0, s * sa];
        let y = [
            z[1] * x[2] - z[2] * x[1],
            z[2] * x[0] - z[0] * x[2],
            z[0] * x[1] - z[1] * x[0],
        ];
        Camera { eye, x, y, z }
    }

    /// World point → camera coordinates (x right, y up, z forward).
    pub fn to_camera(&self, p: [f64; 3]) -> [f64; 3] {
        let q = [p[0] - self.eye[0], p[1] - self.eye[1], p[2] - self.eye[2]];
        [dot(self.x, q), dot(self.y, q), dot(self.z, q)]
    }

    /// Where a world point lands on an `size × size` image, in pixel units: column and row
    /// of the pixel whose centre it hits are the rounded values (centre of pixel `i` at `i`).
    /// `None` when the point is not in front of the near plane.
    pub fn project(&self, p: [f64; 3], size: u32) -> Option<[f64; 2]> {
        let c = self.to_camera(p);
        if c[2] < NEAR {
            return None;
        }
        let t = VIEW_HALF_ANGLE_DEG.to_radians().tan();
        let s = size as f64;
        // NDC x' = (2i + 1 − S)/S at the centre of column i, so i = (x' S + S − 1)/2;
        // rows run downwards from +y.
        let xn = c[0] / (c[2] * t);
        let yn = c[1] / (c[2] * t);
        Some([(xn * s + s - 1.0) / 2.0, (s - 1.0 - yn * s) / 2.0])
    }
}

/// The unit vector of a direction given by azimuth and elevation in degrees, in the camera's
/// convention (SPEC §6): `(cos e sin a, sin e, −cos e cos a)`. The camera looks along minus
/// the direction of its view; a light's direction is given the same way.
pub fn direction(azimuth_deg: f64, elevation_deg: f64) -> [f64; 3] {
    let (a, e) = (azimuth_deg.to_radians(), elevation_deg.to_radians());
    direction_of(a.sin(), a.cos(), e.sin(), e.cos())
}

/// [`direction`] from the sines and cosines of its angles.
fn direction_of(sa: f64, ca: f64, se: f64, ce: f64) -> [f64; 3] {
    [ce * sa, se, -ce * ca]
}

/// Angle in degrees reduced to [−180, 180] with `x − 360·round(x/360)`; `round` is symmetric,
/// so `reduce(−x) = −reduce(x)` exactly.
fn reduce_deg(x: f64) -> f64 {
    x - 360.0 * (x / 360.0).round()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_read_from_text() {
        let pairs: AnglePairs = "0:30, -90:10.5".parse().unwrap();
        assert_eq!(pairs.0, [(0.0, 30.0), (-90.0, 10.5)]);
        assert!("10;20"
            .parse::<AnglePairs>()
            .unwrap_err()
            .contains("is not azimuth:elevation"));
        assert!("10:x"
            .parse::<AnglePairs>()
            .unwrap_err()
            .contains("in degrees"));
        let Numbers(az) = "0,90".parse().unwrap();
        let Numbers(el) = "10,40".parse().unwrap();
        let grid = AnglePairs::grid(&az, &el);
        assert_eq!(
            grid.0,
            [(0.0, 10.0), (90.0, 10.0), (0.0, 40.0), (90.0, 40.0)]
        );
        let views = grid.views(View::new(0.0, 0.0).with_distance(3.0));
        assert_eq!((views[3].azimuth_deg, views[3].elevation_deg), (90.0, 40.0));
        assert_eq!(views[3].distance, 3.0);
        assert!("1,a"
            .parse::<Numbers>()
            .unwrap_err()
            .contains("\"a\" is not a number"));
        assert_eq!(
            "0,-1,0".parse::<Direction>().unwrap(),
            Direction([0.0, -1.0, 0.0])
        );
        assert!("0,1"
            .parse::<Direction>()
            .unwrap_err()
            .contains("three numbers"));
    }

    /// `direction` is a unit vector, the camera sits at `d · direction` of its view and
    /// looks along its opposite (the two places that use the convention agree).
    #[test]
    fn direction_is_the_unit_vector_from_the_origin_to_the_eye() {
        for (az, el) in [(0.0, 0.0), (37.0, -12.5), (210.0, 80.0), (-95.0, 45.0)] {
            let u = direction(az, el);
            let norm = u.iter().map(|c| c * c).sum::<f64>().sqrt();
            assert!(
                (norm - 1.0).abs() < 1e-12,
                "|direction({az}, {el})| = {norm}"
            );
            let cam = Camera::look_at(&View::new(az, el).with_distance(2.5));
            assert!(close(cam.eye, u.map(|c| 2.5 * c)), "{:?} vs {u:?}", cam.eye);
            assert!(close(cam.z, u.map(|c| -c)), "{:?} vs {u:?}", cam.z);
        }
    }

    fn close(a: [f64; 3], b: [f64; 3]) -> bool {
        (0..3).all(|k| (a[k] - b[k]).abs() < 1e-12)
    }

    #[test]
    fn frame_matches_the_spec_formula_away_from_the_poles() {
        for &(a, e) in &[(0.0, 0.0), (30.0, 20.0), (200.0, -10.0), (310.0, 87.0)] {
            let cam = Camera::look_at(&View::new(a, e));
            let z = cam.eye.map(|c| -c / DEFAULT_DISTANCE);
            let up = [0.0, 1.0, 0.0];
            let ux = [
                up[1] * z[2] - up[2] * z[1],
                up[2] * z[0] - up[0] * z[2],
                up[0] * z[1] - up[1] * z[0],
            ];
            let n = dot(ux, ux).sqrt();
            assert!(close(cam.z, z));
            assert!(close(cam.x, ux.map(|c| c / n)), "{a} {e}");
            assert!((dot(cam.y, cam.y) - 1.0).abs() < 1e-12);
            assert!(cam.y[1] >= 0.0);
        }
    }

    #[test]
    fn poles_are_finite_and_orthonormal() {
        for e in [90.0, -90.0, 270.0, 450.0] {
            let cam = Camera::look_at(&View::new(37.0, e));
            for v in [cam.eye, cam.x, cam.y, cam.z] {
                assert!(v.iter().all(|c| c.is_finite()));
            }
            assert!(dot(cam.x, cam.z).abs() < 1e-12 && dot(cam.y, cam.z).abs() < 1e-12);
            assert!((dot(cam.x, cam.x) - 1.0).abs() < 1e-12);
        }
    }

    /// Each builder sets its own fields and keeps every other one.
    #[test]
    fn builders_set_their_fields_only() {
        let base = View::new(10.0, 20.0);
        let far = base.with_distance(4.0);
        assert_eq!(
            far,
            View {
                distance: 4.0,
                ..base
            }
        );
        let lit = base.with_light_direction([1.0, 0.0, 0.0]);
        assert_eq!(
            lit,
            View {
                light_direction: [1.0, 0.0, 0.0],
                ..base
            }
        );
        let dim = base.with_light_intensities(0.25, 0.75);
        assert_eq!(
            dim,
            View {
                ambient: 0.25,
                directional: 0.75,
                ..base
            }
        );
        let grey = base.with_background([0.5, 0.25, 1.0]);
        assert_eq!(
            grey,
            View {
                background: [0.5, 0.25, 1.0],
                ..base
            }
        );
    }

    /// Every view that cannot be rendered is refused, naming what is wrong; the limits
    /// themselves (any finite angle, a light of any nonzero length) are accepted.
    #[test]
    fn a_view_is_refused_naming_its_bad_field() {
        let ok = View::new(-725.0, 135.0)
            .with_distance(1e-9)
            .with_light_direction([0.0, 0.0, -1e-100]);
        assert_eq!(ok.validate(), Ok(()));
        let not_finite = |field, value: f64| Err(ViewError::NotFinite { field, value });
        let mut v = View::new(f64::NAN, 0.0);
        assert!(matches!(
            v.validate(),
            Err(ViewError::NotFinite {
                field: "azimuth_deg",
                ..
            })
        ));
        v = View::new(0.0, f64::INFINITY);
        assert_eq!(v.validate(), not_finite("elevation_deg", f64::INFINITY));
        v = View::new(0.0, 0.0).with_distance(f64::NEG_INFINITY);
        assert_eq!(v.validate(), not_finite("distance", f64::NEG_INFINITY));
        v = View::new(0.0, 0.0).with_light_intensities(f64::INFINITY, 0.5);
        assert_eq!(v.validate(), not_finite("ambient", f64::INFINITY));
        v = View::new(0.0, 0.0).with_light_intensities(0.5, -f64::INFINITY);
        assert_eq!(v.validate(), not_finite("directional", -f64::INFINITY));
        v = View::new(0.0, 0.0).with_background([0.0, f32::INFINITY, 0.0]);
        assert_eq!(v.validate(), not_finite("background", f64::INFINITY));
        for d in [0.0, -0.0, -2.0] {
            let v = View::new(0.0, 0.0).with_distance(d);
            assert_eq!(v.validate(), Err(ViewError::Distance(d)));
        }
        // A zero, a non-finite and an overflowing light (its length is infinite).
        for l in [[0.0; 3], [f64::NAN, 1.0, 0.0], [1e200, 1e200, 0.0]] {
            let v = View::new(0.0, 0.0).with_light_direction(l);
            assert!(
                matches!(v.validate(), Err(ViewError::LightDirection(got)) if got[1] == l[1]),
                "{l:?}"
            );
        }
    }

    /// Past a pole (|elevation| > 90°) the formula itself goes on: the camera at
    /// `(a, 180° − e)` is the camera at `(a + 180°, e)`, the same eye and the same frame (`x`
    /// is `normalize(up × z) = −(cos a, 0, sin a)` there).
    #[test]
    fn past_a_pole_the_camera_is_the_one_on_the_other_side() {
        for &(a, e) in &[(40.0, 60.0), (-70.0, -45.0), (200.0, 1.0), (10.0, 89.0)] {
            let past = Camera::look_at(&View::new(a, 180.0 - e));
            let other_side = Camera::look_at(&View::new(a + 180.0, e));
            for (p, o) in [(past.eye, other_side.eye), (past.x, other_side.x)] {
                assert!(close(p, o), "({a}, {}): {p:?} vs {o:?}", 180.0 - e);
            }
            assert!(close(past.y, other_side.y) && close(past.z, other_side.z));
            let ar = f64::to_radians(a);
            assert!(
                close(past.x, [-ar.cos(), 0.0, -ar.sin()]),
                "({a}, {})",
                180.0 - e
            );
        }
    }

    /// Angles are reduced exactly: a view and the same view a whole turn (or several) away
    /// give the same camera, bit for bit, and a mirrored azimuth the mirrored camera (away
    /// from ±180° itself, where `round` sends the two ends of the cut apart: see `look_at`).
    #[test]
    fn whole_turns_give_the_same_camera_exactly() {
        for &(a, e) in &[(37.0, 20.0), (-95.5, 45.0), (210.25, -10.0), (179.5, 30.0)] {
            let cam = Camera::look_at(&View::new(a, e));
            for turns in [-2.0, -1.0, 1.0, 3.0] {
                let shifted = Camera::look_at(&View::new(a + 360.0 * turns, e + 360.0 * turns));
                assert_eq!(shifted, cam, "({a}, {e}) + {turns} turns");
            }
            let mirror = Camera::look_at(&View::new(-a, e));
            assert_eq!(
                mirror.eye,
                [-cam.eye[0], cam.eye[1], cam.eye[2]],
                "({a}, {e})"
            );
        }
    }

    /// The field of view's edges: a point on the frustum's corner ray (camera coordinates
    /// `(t·z, t·z, z)`, `t = tan 30°`) lands on the outer corner of the top-right pixel,
    /// `(S − ½, −½)`, and the opposite ray on the bottom-left one, `(−½, S − ½)`.
    #[test]
    fn the_frustum_corners_land_on_the_image_corners() {
        let t = VIEW_HALF_ANGLE_DEG.to_radians().tan();
        for &(a, e, d) in &[(0.0, 0.0, 2.732), (130.0, 30.0, 2.0), (-40.0, -60.0, 5.0)] {
            let cam = Camera::look_at(&View::new(a, e).with_distance(d));
            let world = |c: [f64; 3]| -> [f64; 3] {
                std::array::from_fn(|k| {
                    cam.eye[k] + c[0] * cam.x[k] + c[1] * cam.y[k] + c[2] * cam.z[k]
                })
            };
            for (size, depth) in [(224u32, 1.5), (299, 0.7)] {
                let s = size as f64;
                let top_right = cam
                    .project(world([t * depth, t * depth, depth]), size)
                    .unwrap();
                let bottom_left = cam.project(world([-t * depth, -t * depth, depth]), size);
                let bottom_left = bottom_left.unwrap();
                for (got, want) in [(top_right, [s - 0.5, -0.5]), (bottom_left, [-0.5, s - 0.5])] {
                    assert!(
                        (got[0] - want[0]).abs() < 1e-9 && (got[1] - want[1]).abs() < 1e-9,
                        "({a}, {e}, {d}), {size}: {got:?} vs {want:?}"
                    );
                }
            }
        }
    }

    /// A point projects while it is at least `NEAR` in front of the camera (the rasteriser's
    /// clipping keeps the same points), and not behind it or closer.
    #[test]
    fn points_project_from_the_near_plane_on() {
        // The camera at distance NEAR from the origin, looking at it: the origin is exactly
        // NEAR deep.
        let cam = Camera::look_at(&View::new(0.0, 0.0).with_distance(NEAR));
        assert_eq!(cam.to_camera([0.0; 3])[2], NEAR);
        assert!(cam.project([0.0; 3], 224).is_some());
        assert_eq!(cam.project([0.0, 0.0, -NEAR], 224), None, "at the eye");
        assert_eq!(cam.project([0.0, 0.0, -0.5], 224), None, "behind the eye");
        assert_eq!(
            cam.project([0.0, 0.0, -0.05], 224),
            None,
            "closer than NEAR"
        );
    }

    #[test]
    fn origin_projects_to_the_image_centre() {
        let cam = Camera::look_at(&View::new(123.0, 45.0));
        let p = cam.project([0.0; 3], 224).unwrap();
        assert!((p[0] - 111.5).abs() < 1e-9 && (p[1] - 111.5).abs() < 1e-9);
    }
}
