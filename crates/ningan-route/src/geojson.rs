//! A road file a bureau can bring: GeoJSON, so its own network replaces the demo city's.
//!
//! The format: a `FeatureCollection` whose features are `LineString` or `MultiLineString`
//! roads in longitude/latitude (WGS 84, as GeoJSON requires). Each feature's `properties` may
//! give
//!
//! - `class`: `motorway` (80 km/h), `trunk` (60), `arterial` (50), `secondary` (40),
//!   `street` (30) or `service` (15); default `street`;
//! - `speed_kmh`: a number from 5 to 130 that overrides the class's speed;
//! - `oneway`: `true` when the road is driven only in the direction its points are listed.
//!
//! Roads meet where they share a vertex (coordinates equal to about 10 cm), as in
//! OpenStreetMap extracts: two roads that only cross on the map, with no shared point, are a
//! bridge over the other and do not connect.

use std::collections::HashMap;

use serde_json::Value;

use crate::{Arc, Plane};

/// Speeds by class, km/h.
pub const CLASSES: &[(&str, f64)] = &[
    ("motorway", 80.0),
    ("trunk", 60.0),
    ("arterial", 50.0),
    ("secondary", 40.0),
    ("street", 30.0),
    ("service", 15.0),
];

/// Nodes and arcs read from a road file, ready for [`crate::Router::new`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Network {
    pub points: Vec<[f64; 2]>,
    pub arcs: Vec<Arc>,
    /// One per feature read.
    pub roads: usize,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoJsonError {
    #[error("the road file is not JSON: {0}")]
    Json(String),
    #[error("the road file is not a GeoJSON FeatureCollection")]
    NotCollection,
    #[error("road {feature}: {problem}")]
    Feature { feature: usize, problem: String },
    #[error("the road file holds no road with two points")]
    NoRoads,
}

/// Reads a road file in the format above.
pub fn read(bytes: &[u8]) -> Result<Network, GeoJsonError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| GeoJsonError::Json(e.to_string()))?;
    if doc["type"] != "FeatureCollection" {
        return Err(GeoJsonError::NotCollection);
    }
    let features = doc["features"].as_array().ok_or(GeoJsonError::NotCollection)?;
    let mut lines: Vec<(Vec<[f64; 2]>, f64, bool)> = Vec::new();
    for (feature, f) in features.iter().enumerate() {
        let bad = |problem: String| GeoJsonError::Feature { feature, problem };
        let props = &f["properties"];
        let speed = road_speed(props).map_err(bad)?;
        let oneway = match &props["oneway"] {
            Value::Null | Value::Bool(false) => false,
            Value::Bool(true) => true,
            other => return Err(bad(format!("oneway must be true or false, not {other}"))),
        };
        let g = &f["geometry"];
        let parts: Vec<&Value> = match g["type"].as_str() {
            Some("LineString") => vec![&g["coordinates"]],
            Some("MultiLineString") => g["coordinates"].as_array().map(|a| a.iter().collect()).unwrap_or_default(),
            other => return Err(bad(format!("geometry must be LineString or MultiLineString, not {other:?}"))),
        };
        for part in parts {
            let points = line(part).ok_or_else(|| bad("coordinates must be [longitude, latitude] pairs".into()))?;
            if points.len() >= 2 {
                lines.push((points, speed, oneway));
            }
        }
    }
    if lines.is_empty() {
        return Err(GeoJsonError::NoRoads);
    }
    let mean_lat = lines.iter().flat_map(|l| l.0.iter()).map(|p| p[1]).sum::<f64>()
        / lines.iter().map(|l| l.0.len()).sum::<usize>() as f64;
    let plane = Plane::around(mean_lat);
    let mut net = Network { roads: features.len(), ..Network::default() };
    let mut ids: HashMap<(i64, i64), u32> = HashMap::new();
    let mut node = |p: [f64; 2], net: &mut Network| {
        // About 10 cm: vertices closer than that are one crossing.
        let key = ((p[0] * 1e6).round() as i64, (p[1] * 1e6).round() as i64);
        *ids.entry(key).or_insert_with(|| {
            net.points.push(p);
            (net.points.len() - 1) as u32
        })
    };
    for (points, speed, oneway) in lines {
        let mut prev: Option<(u32, [f64; 2])> = None;
        for p in points {
            let here = node(p, &mut net);
            if let Some((from, q)) = prev
                && from != here
            {
                let seconds = (plane.metres(q, p) / (speed / 3.6)).max(0.001);
                net.arcs.push(Arc { from, to: here, seconds, both_ways: !oneway });
            }
            prev = Some((here, p));
        }
    }
    Ok(net)
}

fn road_speed(props: &Value) -> Result<f64, String> {
    let class = match &props["class"] {
        Value::Null => "street",
        Value::String(s) => s.as_str(),
        other => return Err(format!("class must be a name, not {other}")),
    };
    let by_class = CLASSES.iter().find(|(c, _)| *c == class).map(|(_, s)| *s).ok_or_else(|| {
        let known: Vec<&str> = CLASSES.iter().map(|(c, _)| *c).collect();
        format!("class {class:?} is not one of {}", known.join(", "))
    })?;
    match &props["speed_kmh"] {
        Value::Null => Ok(by_class),
        v => match v.as_f64() {
            Some(s) if (5.0..=130.0).contains(&s) => Ok(s),
            _ => Err(format!("speed_kmh must be a number from 5 to 130, not {v}")),
        },
    }
}

fn line(v: &Value) -> Option<Vec<[f64; 2]>> {
    v.as_array()?
        .iter()
        .map(|p| {
            let (x, y) = (p.get(0)?.as_f64()?, p.get(1)?.as_f64()?);
            ((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)).then_some([x, y])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Router, Snap};

    const FILE: &str = r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"class": "arterial"},
         "geometry": {"type": "LineString", "coordinates": [[121.50, 29.87], [121.51, 29.87], [121.52, 29.87]]}},
        {"type": "Feature", "properties": {"oneway": true, "speed_kmh": 20},
         "geometry": {"type": "LineString", "coordinates": [[121.51, 29.87], [121.51, 29.88]]}},
        {"type": "Feature", "properties": {"class": "service"},
         "geometry": {"type": "MultiLineString", "coordinates": [[[121.51, 29.88], [121.52, 29.88], [121.52, 29.87]], [[121.60, 29.90], [121.61, 29.90]]]}}
    ]}"#;

    #[test]
    fn roads_join_at_shared_vertices_and_one_way_streets_stay_one_way() {
        let net = read(FILE.as_bytes()).unwrap();
        assert_eq!(net.roads, 3);
        assert_eq!(net.points.len(), 7, "the shared vertex [121.51, 29.87] and [121.51, 29.88] counted once");
        assert_eq!(net.arcs.len(), 6);
        let router = Router::new(net.points.clone(), &net.arcs, 5.0).unwrap();
        let at = |p: [f64; 2]| Snap { node: router.snap(p).unwrap().node, access_ms: 0 };
        let (junction, north) = (at([121.51, 29.87]), at([121.51, 29.88]));
        let up = router.travel_ms(junction, north).unwrap();
        let metres = router.plane().metres([121.51, 29.87], [121.51, 29.88]);
        assert_eq!(up, (metres / (20.0 / 3.6) * 1000.0).round() as u64, "at the given 20 km/h");
        // Back down only the long way round: east on the service road, west on the arterial.
        assert!(router.travel_ms(north, junction).unwrap() > up);
        assert_eq!(router.travel_ms(junction, at([121.60, 29.90])), None, "a stretch off on its own");
    }

    #[test]
    fn a_bad_road_is_named_by_its_place_in_the_file() {
        let bad_class = r#"{"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[121.5, 29.8], [121.6, 29.8]]}},
            {"type": "Feature", "properties": {"class": "canal"}, "geometry": {"type": "LineString", "coordinates": [[121.5, 29.8], [121.6, 29.8]]}}]}"#;
        assert!(matches!(read(bad_class.as_bytes()), Err(GeoJsonError::Feature { feature: 1, .. })));
        let bad_point = r#"{"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[121.5, 29.8], [500, 29.8]]}}]}"#;
        assert!(matches!(read(bad_point.as_bytes()), Err(GeoJsonError::Feature { feature: 0, .. })));
        assert_eq!(read(b"{\"type\": \"Feature\"}"), Err(GeoJsonError::NotCollection));
        assert!(matches!(read(b"not json"), Err(GeoJsonError::Json(_))));
        assert_eq!(read(br#"{"type": "FeatureCollection", "features": []}"#), Err(GeoJsonError::NoRoads));
    }
}
