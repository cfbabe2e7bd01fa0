//! Plane geometry on longitude/latitude, enough for district boundaries: point-in-polygon
//! with holes, bounding boxes. Distances are small enough inside one city that treating
//! degrees as planar coordinates is accurate for containment.

/// `[longitude, latitude]` in degrees (WGS-84 / GCJ-02 as the source gives it).
pub type Point = [f64; 2];

/// An outer ring followed by hole rings, as GeoJSON orders them.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub rings: Vec<Vec<Point>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MultiPolygon {
    pub polygons: Vec<Polygon>,
}

/// Even-odd ray casting: whether `p` is inside `ring`.
fn ring_contains(ring: &[Point], p: Point) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0];
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

impl Polygon {
    pub fn contains(&self, p: Point) -> bool {
        match self.rings.split_first() {
            Some((outer, holes)) => ring_contains(outer, p) && !holes.iter().any(|h| ring_contains(h, p)),
            None => false,
        }
    }

    /// Shoelace area of the outer ring, in square degrees.
    pub fn area(&self) -> f64 {
        let Some(outer) = self.rings.first() else { return 0.0 };
        let n = outer.len();
        (0..n)
            .map(|i| {
                let (a, b) = (outer[i], outer[(i + 1) % n]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum::<f64>()
            .abs()
            / 2.0
    }
}

impl MultiPolygon {
    pub fn contains(&self, p: Point) -> bool {
        self.polygons.iter().any(|poly| poly.contains(p))
    }

    /// `(min, max)` corners, or `None` when empty.
    pub fn bbox(&self) -> Option<(Point, Point)> {
        let mut pts = self.polygons.iter().flat_map(|p| p.rings.first().into_iter().flatten());
        let first = *pts.next()?;
        Some(pts.fold((first, first), |(lo, hi), p| {
            ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
        }))
    }

    /// The largest polygon, where random points are best placed (islands are tiny).
    pub fn largest(&self) -> Option<&Polygon> {
        self.polygons.iter().max_by(|a, b| a.area().total_cmp(&b.area()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square(x0: f64, y0: f64, size: f64) -> Vec<Point> {
        vec![[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    }

    #[test]
    fn holes_are_outside() {
        let poly = Polygon { rings: vec![square(0.0, 0.0, 10.0), square(4.0, 4.0, 2.0)] };
        assert!(poly.contains([1.0, 1.0]));
        assert!(!poly.contains([5.0, 5.0]), "inside the hole");
        assert!(!poly.contains([11.0, 1.0]));
        assert_eq!(poly.area(), 100.0);
        let mp = MultiPolygon { polygons: vec![poly, Polygon { rings: vec![square(20.0, 0.0, 1.0)] }] };
        assert!(mp.contains([20.5, 0.5]));
        assert_eq!(mp.bbox(), Some(([0.0, 0.0], [21.0, 10.0])));
        assert_eq!(mp.largest().map(Polygon::area), Some(100.0));
    }

    proptest! {
        /// Against a brute-force model: an axis-aligned rectangle's containment is exact.
        #[test]
        fn rectangles_agree_with_the_obvious_rule(x in -5.0f64..15.0, y in -5.0f64..15.0) {
            let poly = Polygon { rings: vec![square(0.0, 0.0, 10.0)] };
            let obvious = x > 0.0 && x < 10.0 && y > 0.0 && y < 10.0;
            prop_assume!((x.fract().abs() > 1e-9) && (y.fract().abs() > 1e-9));
            prop_assert_eq!(poly.contains([x, y]), obvious);
        }
    }
}
