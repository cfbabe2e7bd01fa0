//! A flat map of the city in metres: longitude and latitude projected around one reference
//! latitude. Over a city the error is well under a percent, and — what the router relies on —
//! it is a true Euclidean plane, so straight-line distances obey the triangle inequality and
//! give exact lower bounds on path lengths measured in the same plane.

const M_PER_DEG_LAT: f64 = 111_320.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    m_per_deg_lon: f64,
}

impl Plane {
    /// The plane for a city around latitude `lat0` (degrees).
    pub fn around(lat0: f64) -> Plane {
        Plane { m_per_deg_lon: M_PER_DEG_LAT * lat0.to_radians().cos().max(0.01) }
    }

    /// `[lon, lat]` in metres east and north of (0°, 0°) in this plane.
    pub fn project(&self, p: [f64; 2]) -> [f64; 2] {
        [p[0] * self.m_per_deg_lon, p[1] * M_PER_DEG_LAT]
    }

    /// The straight-line distance between two points, in metres.
    pub fn metres(&self, a: [f64; 2], b: [f64; 2]) -> f64 {
        let (a, b) = (self.project(a), self.project(b));
        (a[0] - b[0]).hypot(a[1] - b[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kilometre_north_and_east_in_ningbo_measures_as_one() {
        let plane = Plane::around(29.87);
        let north = plane.metres([121.55, 29.87], [121.55, 29.87 + 1000.0 / M_PER_DEG_LAT]);
        assert!((north - 1000.0).abs() < 1e-6, "{north}");
        let east = plane.metres([121.55, 29.87], [121.55 + 1000.0 / plane.m_per_deg_lon, 29.87]);
        assert!((east - 1000.0).abs() < 1e-6, "{east}");
    }
}
