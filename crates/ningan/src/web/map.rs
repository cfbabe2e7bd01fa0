//! What every map of the workbench starts from (read by `static/map.js`): the base layer —
//! the bureau's tile server when configured, otherwise the districts and the demo city's
//! generated streets, offline — and the view that opens on the viewer's own area, so a
//! station officer starts on their station rather than on the whole city.

use std::sync::OnceLock;

use ningan_store::OrgUnit;
use ningan_store::UnitKind;
use serde_json::{Value, json};

use crate::config::MapConfig;
use crate::modules::cockpit::panels::district_of;
use crate::web::Tr;
use crate::web::assets::href;

static CONFIG: OnceLock<MapConfig> = OnceLock::new();

/// Sets the base layer for this process; the first server to start decides (tests start
/// several with the same default).
pub fn configure(cfg: &MapConfig) {
    let _ = CONFIG.set(cfg.clone());
}

/// Zoom at which a station's surroundings fill the map: a few kilometres across.
const STATION_ZOOM: u8 = 15;

/// Where `unit`'s map opens: `{"center": [lat, lon], "zoom": z}` or `{"bounds": [[s, w], [n, e]]}`
/// (Leaflet's order); `null` for the whole city.
pub fn home(unit: &OrgUnit) -> Value {
    if matches!(unit.kind, UnitKind::Station | UnitKind::Community)
        && let Some([lon, lat]) = unit.location
    {
        return json!({"center": [lat, lon], "zoom": STATION_ZOOM});
    }
    if unit.kind == UnitKind::City {
        return Value::Null;
    }
    match district_of(&unit.path).and_then(crate::geo::district_shape).and_then(|d| d.shape.bbox()) {
        Some((lo, hi)) => json!({"bounds": [[lo[1], lo[0]], [hi[1], hi[0]]]}),
        None => Value::Null,
    }
}

/// The JSON the frame embeds for `map.js`.
pub fn frame_config(unit: &OrgUnit, tr: Tr) -> String {
    let default = MapConfig::default();
    let cfg = CONFIG.get().unwrap_or(&default);
    json!({
        "tiles": cfg.tiles,
        "attribution": cfg.attribution,
        "maxZoom": cfg.max_zoom,
        "roads": href("roads.geojson"),
        "outline": href("ningbo.geojson"),
        "english": tr.is_en(),
        "home": home(unit),
        "texts": {
            "undo": tr.t("map.undo"),
            "clear": tr.t("map.clear"),
            "hint": tr.t("map.draw_hint"),
            "area": tr.t("map.area"),
            "hint_line": tr.t("map.draw_line_hint"),
            "to_move": tr.t("map.to_move"),
            "home": tr.t("map.home"),
        },
    })
    .to_string()
    // Inside a <script> element: no string may close it.
    .replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(kind: UnitKind, path: &str, location: Option<[f64; 2]>) -> OrgUnit {
        OrgUnit {
            id: 1,
            parent_id: None,
            code: String::new(),
            name: String::new(),
            name_en: String::new(),
            kind,
            path: path.into(),
            location,
            created_at: 0,
        }
    }

    #[test]
    fn a_station_opens_on_its_seat_a_district_on_its_outline_the_city_on_everything() {
        let station = unit(UnitKind::Station, "/330200/330203/7/", Some([121.55, 29.87]));
        assert_eq!(home(&station), json!({"center": [29.87, 121.55], "zoom": STATION_ZOOM}));
        let district = home(&unit(UnitKind::District, "/330200/330203/", None));
        let b = &district["bounds"];
        let (s, w, n, e) = (
            b[0][0].as_f64().unwrap(),
            b[0][1].as_f64().unwrap(),
            b[1][0].as_f64().unwrap(),
            b[1][1].as_f64().unwrap(),
        );
        assert!(s < 29.87 && n > 29.87 && w < 121.55 && e > 121.55, "{district}");
        assert!(n - s < 0.5, "one district, not the city: {district}");
        assert_eq!(home(&unit(UnitKind::City, "/330200/", None)), Value::Null);
        // A station whose seat is unknown opens on its district.
        assert!(home(&unit(UnitKind::Station, "/330200/330203/7/", None))["bounds"].is_array());
    }
}
