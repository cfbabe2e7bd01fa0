//! Ningbo's district boundaries, parsed once from the GeoJSON embedded at build time and
//! matched to the ten districts by name (the file's ids predate the 2016 renaming of 奉化).

use std::sync::OnceLock;

use ningan_core::district::{DISTRICTS, District};
use ningan_core::geo::{MultiPolygon, Point, Polygon};
use ningan_core::roads::{self, Area, RoadNetwork};
use serde_json::Value;

pub struct DistrictShape {
    pub district: &'static District,
    pub shape: MultiPolygon,
    /// A label point inside the district, from the file's `cp`.
    pub center: Point,
}

#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("GeoJSON is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("GeoJSON has no district named {0}")]
    MissingDistrict(&'static str),
    #[error("GeoJSON geometry of {0} is not a Polygon or MultiPolygon")]
    Geometry(String),
}

pub fn parse(bytes: &[u8]) -> Result<Vec<DistrictShape>, GeoError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let features = doc["features"].as_array().cloned().unwrap_or_default();
    DISTRICTS
        .iter()
        .map(|d| {
            let f =
                features.iter().find(|f| f["properties"]["name"] == d.name).ok_or(GeoError::MissingDistrict(d.name))?;
            let shape = geometry(&f["geometry"]).ok_or_else(|| GeoError::Geometry(d.name.to_string()))?;
            let cp = &f["properties"]["cp"];
            let center = match (cp[0].as_f64(), cp[1].as_f64()) {
                (Some(x), Some(y)) => [x, y],
                _ => shape.bbox().map(|(lo, hi)| [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0]).unwrap_or([0.0, 0.0]),
            };
            Ok(DistrictShape { district: d, shape, center })
        })
        .collect()
}

fn ring(v: &Value) -> Option<Vec<Point>> {
    v.as_array()?.iter().map(|p| Some([p[0].as_f64()?, p[1].as_f64()?])).collect()
}

fn polygon(v: &Value) -> Option<Polygon> {
    Some(Polygon { rings: v.as_array()?.iter().map(ring).collect::<Option<Vec<_>>>()? })
}

/// A GeoJSON Polygon or MultiPolygon geometry.
pub fn geometry(g: &Value) -> Option<MultiPolygon> {
    let coords = &g["coordinates"];
    let polygons = match g["type"].as_str()? {
        "Polygon" => vec![polygon(coords)?],
        "MultiPolygon" => coords.as_array()?.iter().map(polygon).collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    Some(MultiPolygon { polygons })
}

/// The ten districts' shapes, parsed on first use.
pub fn districts() -> &'static [DistrictShape] {
    static SHAPES: OnceLock<Vec<DistrictShape>> = OnceLock::new();
    SHAPES.get_or_init(|| match parse(crate::web::assets::ningbo_geojson()) {
        Ok(s) => s,
        Err(e) => {
            // The file is fixed at build time; a test below proves it parses.
            tracing::error!(error = %e, "district boundaries unusable");
            Vec::new()
        }
    })
}

pub fn district_shape(code: u32) -> Option<&'static DistrictShape> {
    districts().iter().find(|d| d.district.code == code)
}

/// The demo city's street network, laid over the district shapes on first use (see
/// `ningan_core::roads`); maps draw it and dispatch routes over it.
pub fn roads() -> &'static RoadNetwork {
    static ROADS: OnceLock<RoadNetwork> = OnceLock::new();
    ROADS.get_or_init(|| {
        let areas: Vec<Area<'_>> = districts().iter().map(|d| Area { shape: &d.shape, core: d.center }).collect();
        roads::generate(&areas)
    })
}

/// How fast a car gets from where it stands to the nearest crossing of the network (lanes,
/// yards, a compound's gate): slower than any road.
pub const ACCESS_KMH: f64 = 15.0;

/// The demo city's roads prepared for routing (each stretch driven both ways at its class's
/// speed), on first use; `None` only if there is no land to lay roads on.
pub fn router() -> Option<&'static ningan_route::Router> {
    static ROUTER: OnceLock<Option<ningan_route::Router>> = OnceLock::new();
    ROUTER
        .get_or_init(|| {
            let net = roads();
            let arcs: Vec<ningan_route::Arc> = net
                .edges
                .iter()
                .map(|e| ningan_route::Arc {
                    from: e.from,
                    to: e.to,
                    seconds: e.metres / (net.roads[e.road as usize].class.speed_kmh() / 3.6),
                    both_ways: true,
                })
                .collect();
            match ningan_route::Router::new(net.nodes.clone(), &arcs, ACCESS_KMH) {
                Ok(r) => Some(r),
                Err(e) => {
                    tracing::error!(error = %e, "the demo road network cannot be routed");
                    None
                }
            }
        })
        .as_ref()
}

/// The street network as GeoJSON, one feature per road (a MultiLineString of its stretches,
/// each stretch straight, so two points each), with names in both languages and the class.
pub fn roads_geojson() -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| {
        let net = roads();
        // About a metre: more digits only make the file larger.
        let at = |n: u32| {
            let p = net.nodes[n as usize];
            [(p[0] * 1e5).round() / 1e5, (p[1] * 1e5).round() / 1e5]
        };
        let features: Vec<Value> = net
            .roads
            .iter()
            .map(|r| {
                let lines: Vec<[[f64; 2]; 2]> =
                    r.runs.iter().filter_map(|run| Some([at(*run.first()?), at(*run.last()?)])).collect();
                serde_json::json!({
                    "type": "Feature",
                    "properties": {"name": r.name, "name_en": r.name_en, "class": r.class.as_str()},
                    "geometry": {"type": "MultiLineString", "coordinates": lines},
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": features})).unwrap_or_default()
    })
}

/// The district a WGS-84 point lies in, if inside the city.
pub fn district_at(lon: f64, lat: f64) -> Option<u32> {
    if !(lon.is_finite() && lat.is_finite()) {
        return None;
    }
    districts().iter().find(|d| d.shape.contains([lon, lat])).map(|d| d.district.code)
}

/// Within a district's built-up centre, where the 110 rules' city target (5 minutes) applies
/// rather than the suburbs' (10): the dense street grid's reach and as far again.
pub fn urban(lon: f64, lat: f64) -> bool {
    let reach = 2.0 * ningan_core::roads::CORE_RADIUS_M;
    let cos = lat.to_radians().cos();
    districts().iter().any(|d| {
        let dx = (lon - d.center[0]) * 111_320.0 * cos;
        let dy = (lat - d.center[1]) * 111_320.0;
        dx * dx + dy * dy <= reach * reach
    })
}

/// The station owning a point: the district it lies in, then that district's nearest station.
pub fn owning_station(stations: &[ningan_store::OrgUnit], lon: f64, lat: f64) -> Option<&ningan_store::OrgUnit> {
    let district = districts().iter().find(|d| d.shape.contains([lon, lat]))?.district.code;
    let prefix = format!("/{}/{district}/", ningan_core::district::NINGBO_CODE);
    stations
        .iter()
        .filter(|u| u.kind == ningan_store::UnitKind::Station && u.path.starts_with(&prefix))
        .filter_map(|u| u.location.map(|[x, y]| (u, (x - lon).powi(2) + ((y - lat) * 1.15).powi(2))))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(u, _)| u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_has_all_ten_districts_and_their_label_points_lie_inside() {
        let shapes = parse(crate::web::assets::ningbo_geojson()).unwrap();
        assert_eq!(shapes.len(), 10);
        for s in &shapes {
            assert!(s.shape.contains(s.center), "{} label point", s.district.name);
        }
        let yinzhou = district_shape(330212).unwrap();
        assert!(!yinzhou.shape.contains(district_shape(330281).unwrap().center), "Yuyao's centre is not in Yinzhou");
    }

    #[test]
    fn every_district_centre_has_streets_and_the_road_file_names_them_in_both_languages() {
        let net = roads();
        for d in districts() {
            let near = net
                .nodes
                .iter()
                .filter(|p| (p[0] - d.center[0]).abs() < 0.01 && (p[1] - d.center[1]).abs() < 0.01)
                .count();
            assert!(near >= 9, "{}: {near} crossings within a kilometre of the centre", d.district.name);
        }
        let doc: Value = serde_json::from_slice(roads_geojson()).unwrap();
        let features = doc["features"].as_array().unwrap();
        assert_eq!(features.len(), net.roads.len());
        assert!(features.iter().all(|f| f["properties"]["name_en"].as_str().is_some_and(|n| n.is_ascii())));
    }

    #[test]
    fn haishu_to_yinzhou_by_road_takes_longer_than_the_crow_flies_but_not_absurdly() {
        let started = std::time::Instant::now();
        let router = router().unwrap();
        eprintln!("{} nodes, {} arcs prepared in {:?}", router.nodes(), router.arcs(), started.elapsed());
        let (a, b) = (district_shape(330203).unwrap().center, district_shape(330212).unwrap().center);
        let (sa, sb) = (router.snap(a).unwrap(), router.snap(b).unwrap());
        let ms = router.travel_ms(sa, sb).unwrap();
        let straight_s = router.plane().metres(a, b) / (50.0 / 3.6);
        assert!(ms as f64 / 1000.0 >= straight_s, "{ms} ms: no faster than a straight line at the top speed");
        assert!((ms as f64 / 1000.0) < straight_s * 3.0, "{ms} ms: a lattice, not a maze");
        assert_eq!(router.travel_ms(sb, sa), Some(ms), "two-way streets");
    }

    #[test]
    fn the_nearest_five_of_two_thousand_units_match_routing_every_one() {
        use rand::{Rng, SeedableRng};
        let router = router().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        let nodes = roads().nodes.len();
        let units: Vec<ningan_route::Candidate> = (0..2000)
            .map(|id| {
                let p = roads().nodes[rng.gen_range(0..nodes)];
                let jitter = [p[0] + rng.gen_range(-0.002..0.002), p[1] + rng.gen_range(-0.002..0.002)];
                ningan_route::Candidate { id, at: router.snap(jitter).unwrap() }
            })
            .collect();
        let mut spent = std::time::Duration::ZERO;
        for _ in 0..5 {
            let target = router.snap(roads().nodes[rng.gen_range(0..nodes)]).unwrap();
            let started = std::time::Instant::now();
            let best = router.nearest(target, &units, 5);
            spent += started.elapsed();
            let mut all: Vec<ningan_route::Reach> = units
                .iter()
                .filter_map(|u| Some(ningan_route::Reach { ms: router.travel_ms(u.at, target)?, id: u.id }))
                .collect();
            all.sort();
            all.truncate(5);
            assert_eq!(best, all);
        }
        eprintln!("nearest 5 of 2,000: {:?} a question (unoptimised build)", spent / 5);
    }
}
