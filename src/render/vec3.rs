//! The renderer's 3-vector arithmetic on `[f64; 3]`, in one place (meshes, the camera, the
//! rasteriser and the procedural meshes use these and no copies of their own).

pub(crate) type Vec3 = [f64; 3];

pub(crate) fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub(crate) fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// `a / |a|`.
pub(crate) fn normalised(a: Vec3) -> Vec3 {
    let n = dot(a, a).sqrt();
    scale(a, 1.0 / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basis_obeys_the_right_hand_rule() {
        let (x, y, z) = ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
        assert_eq!(cross(x, y), z);
        assert_eq!(cross(y, z), x);
        assert_eq!(dot(sub(z, x), [2.0, 3.0, 4.0]), 2.0);
        let n = normalised([3.0, 0.0, 4.0]);
        for (got, want) in n.iter().zip([0.6, 0.0, 0.8]) {
            assert!((got - want).abs() <= 1e-15, "{n:?}");
        }
    }
}
