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

    /// The stretches of the horizontal line at latitude `lat` that lie inside, as sorted
    /// `(west, east)` longitude pairs: one pass over the edges instead of a containment test
    /// per point, for laying lattices over a whole city.
    pub fn row_intervals(&self, lat: f64) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for poly in &self.polygons {
            let mut xs: Vec<f64> = Vec::new();
            for ring in &poly.rings {
                let n = ring.len();
                if n < 3 {
                    continue;
                }
                let mut j = n - 1;
                for i in 0..n {
                    let (a, b) = (ring[i], ring[j]);
                    // The same half-open rule as `ring_contains`, so both agree on vertices.
                    if (a[1] > lat) != (b[1] > lat) {
                        xs.push((b[0] - a[0]) * (lat - a[1]) / (b[1] - a[1]) + a[0]);
                    }
                    j = i;
                }
            }
            xs.sort_by(f64::total_cmp);
            out.extend(xs.chunks_exact(2).map(|c| (c[0], c[1])));
        }
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
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

    fn star(cx: f64, cy: f64, spikes: usize, seed: u64) -> Vec<Point> {
        let mut ring: Vec<Point> = (0..spikes * 2)
            .map(|k| {
                let r = if k % 2 == 0 { 3.0 + ((seed >> (k % 32)) & 3) as f64 } else { 1.0 };
                let a = k as f64 * std::f64::consts::PI / spikes as f64;
                [cx + r * a.cos(), cy + r * a.sin()]
            })
            .collect();
        ring.push(ring[0]);
        ring
    }

    proptest! {
        /// Against the per-point test: a point lies in one of a row's intervals exactly when
        /// the multipolygon contains it (stars with holes, and a separate island).
        #[test]
        fn row_intervals_agree_with_containment(
            seed in any::<u64>(), spikes in 3usize..9, y in -6.0f64..6.0, xs in proptest::collection::vec(-8.0f64..12.0, 1..20)
        ) {
            let mp = MultiPolygon { polygons: vec![
                Polygon { rings: vec![star(0.0, 0.0, spikes, seed), square(-0.5, -0.5, 1.0)] },
                Polygon { rings: vec![square(9.0, -1.0, 2.0)] },
            ] };
            let intervals = mp.row_intervals(y);
            for x in xs {
                let inside = intervals.iter().any(|&(w, e)| x > w && x < e);
                let edge = intervals.iter().any(|&(w, e)| (x - w).abs() < 1e-9 || (x - e).abs() < 1e-9);
                prop_assume!(!edge);
                prop_assert_eq!(inside, mp.contains([x, y]), "x {} y {}", x, y);
            }
        }

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
