//! Life first's vocabulary as data: responsible departments, rectification measures, road
//! types and the kinds of abnormal death; and the Wilson score interval that helmet-wearing
//! rates are shown with.

pub use ningan_core::hazard::{Category, Kind, NotAllowed, Severity, State, Step};

/// A code, its Chinese and its English name.
pub type Named = (&'static str, &'static str, &'static str);

pub fn named(list: &'static [Named], code: &str) -> Option<&'static Named> {
    list.iter().find(|n| n.0 == code)
}

pub fn label(list: &'static [Named], code: &str, en: bool) -> String {
    match named(list, code) {
        Some(n) => (if en { n.2 } else { n.1 }).to_string(),
        None => code.to_string(),
    }
}

/// The departments a risk point is assigned to for rectification.
pub const DEPARTMENTS: &[Named] = &[
    ("transport", "交通运输局", "Transport Bureau"),
    ("housing", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    ("traffic_police", "公安交警部门", "Traffic police"),
    ("water", "水利局", "Water Resources Bureau"),
    ("agriculture", "农业农村局", "Agriculture and Rural Affairs Bureau"),
    ("marine", "海洋与渔业局", "Ocean and Fisheries Bureau"),
    ("town", "属地街道（乡镇）", "Sub-district or township"),
];

/// What a department may report as done, with the unit its quantity is counted in.
pub const MEASURES: &[(&str, &str, &str, &str)] = &[
    ("railing", "护栏", "railing", "m"),
    ("fence", "围挡", "fence", "m"),
    ("sign", "警示标志", "warning sign", "pcs"),
    ("lighting", "照明灯", "street light", "pcs"),
    ("speed_bump", "减速带", "speed bump", "pcs"),
    ("marking", "标线", "road marking", "m"),
    ("buoy", "救生圈", "life buoy", "pcs"),
    ("camera", "监控探头", "camera", "pcs"),
    ("other", "其他措施", "other measure", "pcs"),
];

pub const ROAD_TYPES: &[Named] = &[("urban", "城市道路", "Urban road"), ("highway", "公路", "Highway")];

/// The kinds of abnormal death (非正常死亡) the figures count.
pub const INCIDENT_KINDS: &[Named] = &[
    ("traffic", "交通事故", "Traffic accident"),
    ("drowning", "溺水", "Drowning"),
    ("other", "其他意外", "Other accident"),
];

/// The "four in one" (四位一体) parties responsible for a water point.
pub const PARTIES: &[Named] = &[
    ("government", "政府", "Government"),
    ("school", "学校", "School"),
    ("family", "家庭", "Family"),
    ("society", "社会", "Society"),
];

/// Which points an incident of `kind` can reopen.
pub fn incident_category(kind: &str) -> Option<Category> {
    match kind {
        "traffic" => Some(Category::Traffic),
        "drowning" => Some(Category::Water),
        _ => None,
    }
}

/// Metres between two WGS-84 points (equirectangular: exact enough within a city).
pub fn distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let lat = ((a[1] + b[1]) / 2.0).to_radians();
    let dx = (a[0] - b[0]).to_radians() * lat.cos();
    let dy = (a[1] - b[1]).to_radians();
    6_371_000.0 * (dx * dx + dy * dy).sqrt()
}

/// Times leave the API as RFC 3339 in China Standard Time, as every other module's do.
pub fn rfc3339<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ningan_core::time::rfc3339_ms(*ms))
}

pub fn rfc3339_opt<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_some(&ningan_core::time::rfc3339_ms(*ms)),
        None => s.serialize_none(),
    }
}

/// A share with its 95 % Wilson score interval, in per cent.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Rate {
    pub yes: i64,
    pub n: i64,
    pub rate: f64,
    pub low: f64,
    pub high: f64,
}

/// The Wilson score interval: unlike the normal approximation it stays inside 0–100 % and
/// is honest for small samples and rates near the ends, which helmet rates of 90 %+ are.
pub fn wilson(yes: i64, n: i64) -> Option<Rate> {
    if n <= 0 || yes < 0 || yes > n {
        return None;
    }
    const Z: f64 = 1.959_963_984_540_054;
    let (x, m) = (yes as f64, n as f64);
    let p = x / m;
    let z2 = Z * Z;
    let denom = 1.0 + z2 / m;
    let centre = (p + z2 / (2.0 * m)) / denom;
    let half = Z * (p * (1.0 - p) / m + z2 / (4.0 * m * m)).sqrt() / denom;
    let pct = |v: f64| (v.clamp(0.0, 1.0) * 1000.0).round() / 10.0;
    Some(Rate { yes, n, rate: pct(p), low: pct(centre - half), high: pct(centre + half) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values_and_stays_in_range() {
        // 81 of 263: 95 % Wilson interval 0.2553–0.3662 (Newcombe 1998, table I, method 3).
        let r = wilson(81, 263).unwrap();
        assert_eq!((r.rate, r.low, r.high), (30.8, 25.5, 36.6));
        let all = wilson(20, 20).unwrap();
        assert_eq!((all.rate, all.high), (100.0, 100.0));
        assert!(all.low > 80.0 && all.low < 85.0, "{all:?}");
        let none = wilson(0, 5).unwrap();
        assert_eq!((none.low, none.rate), (0.0, 0.0));
        assert!(wilson(3, 0).is_none() && wilson(6, 5).is_none());
    }

    #[test]
    fn larger_samples_give_narrower_intervals() {
        let small = wilson(9, 10).unwrap();
        let large = wilson(900, 1000).unwrap();
        assert!(large.high - large.low < small.high - small.low);
        assert!(small.low <= 90.0 && small.high >= 90.0);
    }

    #[test]
    fn distances_within_the_city_are_metres() {
        let d = distance_m([121.55, 29.87], [121.55, 29.88]);
        assert!((d - 1112.0).abs() < 5.0, "{d}");
        assert!(named(DEPARTMENTS, "water").is_some() && named(DEPARTMENTS, "x").is_none());
        assert_eq!(incident_category("drowning"), Some(Category::Water));
    }
}
