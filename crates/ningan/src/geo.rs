//! Ningbo's district boundaries, parsed once from the GeoJSON embedded at build time and
//! matched to the ten districts by name (the file's ids predate the 2016 renaming of 奉化).

use std::sync::OnceLock;

use ningan_core::district::{DISTRICTS, District};
use ningan_core::geo::{MultiPolygon, Point, Polygon};
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
}
