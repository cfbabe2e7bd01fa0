//! Warnings as Common Alerting Protocol 1.2 messages (OASIS CAP-V1.2, ITU-T X.1303): an
//! alert with one `info` block per language and the areas it covers as polygons. The
//! builder writes the elements in the order the schema's sequences require, times as
//! `2026-07-25T12:00:00+08:00` (the schema's pattern: seconds, a numeric offset, no
//! fraction), polygons as "lat,lon" pairs; [`Ring::check`] refuses an area that is not a
//! simple closed polygon before anything is written.

use std::fmt::Write as _;

/// A polygon's ring as [longitude, latitude] points, closed (the last point repeats the
/// first).
#[derive(Debug, Clone, PartialEq)]
pub struct Ring(pub Vec<[f64; 2]>);

/// Why a ring is not a polygon an alert can carry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RingError {
    #[error("a polygon needs at least three corners")]
    TooFew,
    #[error("the ring is not closed: its last point must repeat its first")]
    NotClosed,
    #[error("point {0} is not a longitude and latitude on the Earth")]
    OffEarth(usize),
    #[error("the edges {0} and {1} cross")]
    Crossing(usize, usize),
    #[error("the polygon has no area")]
    NoArea,
}

impl RingError {
    pub fn zh(&self) -> String {
        match self {
            RingError::TooFew => "多边形至少需要三个顶点".into(),
            RingError::NotClosed => "多边形未闭合：最后一点须与第一点相同".into(),
            RingError::OffEarth(i) => format!("第{}个点不是有效的经纬度", i + 1),
            RingError::Crossing(a, b) => format!("第{}条边与第{}条边相交", a + 1, b + 1),
            RingError::NoArea => "多边形面积为零".into(),
        }
    }
}

fn cross(o: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// Whether segments ab and cd share a point (touching counts).
fn segments_meet(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let (d1, d2, d3, d4) = (cross(c, d, a), cross(c, d, b), cross(a, b, c), cross(a, b, d));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0)) {
        return true;
    }
    let on = |p: [f64; 2], q: [f64; 2], r: [f64; 2], v: f64| {
        v == 0.0 && r[0] >= p[0].min(q[0]) && r[0] <= p[0].max(q[0]) && r[1] >= p[1].min(q[1]) && r[1] <= p[1].max(q[1])
    };
    on(c, d, a, d1) || on(c, d, b, d2) || on(a, b, c, d3) || on(a, b, d, d4)
}

impl Ring {
    /// Checks that the ring is a simple closed polygon: at least three corners, closed,
    /// on the Earth, no two edges meeting except neighbours at their shared corner, and some
    /// area.
    pub fn check(&self) -> Result<(), RingError> {
        let p = &self.0;
        for (i, q) in p.iter().enumerate() {
            if !(q[0].is_finite()
                && q[1].is_finite()
                && (-180.0..=180.0).contains(&q[0])
                && (-90.0..=90.0).contains(&q[1]))
            {
                return Err(RingError::OffEarth(i));
            }
        }
        if p.len() < 4 {
            return Err(RingError::TooFew);
        }
        if p.first() != p.last() {
            return Err(RingError::NotClosed);
        }
        let edges = p.len() - 1;
        for i in 0..edges {
            for j in i + 1..edges {
                let neighbours = j == i + 1 || (i == 0 && j == edges - 1);
                if neighbours {
                    continue;
                }
                if segments_meet(p[i], p[i + 1], p[j], p[j + 1]) {
                    return Err(RingError::Crossing(i, j));
                }
            }
        }
        let twice_area: f64 = (0..edges).map(|i| p[i][0] * p[i + 1][1] - p[i + 1][0] * p[i][1]).sum();
        if twice_area.abs() < 1e-12 {
            return Err(RingError::NoArea);
        }
        Ok(())
    }

    /// CAP's form: "lat,lon" pairs separated by spaces.
    fn cap(&self) -> String {
        self.0.iter().map(|q| format!("{:.6},{:.6}", q[1], q[0])).collect::<Vec<_>>().join(" ")
    }
}

/// One area of an `info` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub desc: String,
    pub polygons: Vec<Ring>,
}

/// The audience-facing part, in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// RFC 3066 code: "zh-CN", "en-US".
    pub language: String,
    /// CAP categories: Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport,
    /// Infra, CBRNE, Other.
    pub category: Vec<&'static str>,
    pub event: String,
    /// Shelter, Evacuate, Prepare, Execute, Avoid, Monitor, Assess, AllClear, None.
    pub response_type: Vec<&'static str>,
    /// Immediate, Expected, Future, Past, Unknown.
    pub urgency: &'static str,
    /// Extreme, Severe, Moderate, Minor, Unknown.
    pub severity: &'static str,
    /// Observed, Likely, Possible, Unlikely, Unknown.
    pub certainty: &'static str,
    /// Epoch ms.
    pub effective: Option<i64>,
    pub expires: Option<i64>,
    pub sender_name: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub areas: Vec<Area>,
}

/// A CAP alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Unique for the sender; no spaces, commas, `<` or `&`.
    pub identifier: String,
    pub sender: String,
    /// Epoch ms.
    pub sent: i64,
    /// Actual, Exercise, System, Test, Draft.
    pub status: &'static str,
    /// Alert, Update, Cancel, Ack, Error.
    pub msg_type: &'static str,
    /// Public, Restricted, Private.
    pub scope: &'static str,
    /// Earlier messages this updates or cancels: "sender,identifier,sent" each.
    pub references: Vec<String>,
    pub info: Vec<Info>,
}

/// What makes an alert unwritable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CapError {
    #[error("{0} may not contain spaces, commas, < or &")]
    BadIdentifier(&'static str),
    #[error("{field}: {value} is not one of CAP's values")]
    NotInList { field: &'static str, value: String },
    #[error("area {area} polygon {polygon}: {error}")]
    Area { area: usize, polygon: usize, error: RingError },
}

const STATUS: &[&str] = &["Actual", "Exercise", "System", "Test", "Draft"];
const MSG_TYPE: &[&str] = &["Alert", "Update", "Cancel", "Ack", "Error"];
const SCOPE: &[&str] = &["Public", "Restricted", "Private"];
const CATEGORY: &[&str] =
    &["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"];
const RESPONSE: &[&str] =
    &["Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"];
const URGENCY: &[&str] = &["Immediate", "Expected", "Future", "Past", "Unknown"];
const SEVERITY: &[&str] = &["Extreme", "Severe", "Moderate", "Minor", "Unknown"];
const CERTAINTY: &[&str] = &["Observed", "Likely", "Possible", "Unlikely", "Unknown"];

fn one_of(field: &'static str, value: &str, list: &[&str]) -> Result<(), CapError> {
    if list.contains(&value) { Ok(()) } else { Err(CapError::NotInList { field, value: value.into() }) }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 has no place for other control characters.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// CAP's time: seconds and a numeric offset, in Beijing time.
pub fn cap_time(ms: i64) -> String {
    crate::time::rfc3339_ms(ms - ms.rem_euclid(1000)).replace(".000", "").replace('Z', "+00:00")
}

impl Alert {
    /// Checks every field CAP constrains; polygons are checked with [`Ring::check`].
    pub fn check(&self) -> Result<(), CapError> {
        let bad = |s: &str| s.is_empty() || s.contains([' ', ',', '<', '&']);
        if bad(&self.identifier) {
            return Err(CapError::BadIdentifier("identifier"));
        }
        if bad(&self.sender) {
            return Err(CapError::BadIdentifier("sender"));
        }
        one_of("status", self.status, STATUS)?;
        one_of("msgType", self.msg_type, MSG_TYPE)?;
        one_of("scope", self.scope, SCOPE)?;
        for info in &self.info {
            for c in &info.category {
                one_of("category", c, CATEGORY)?;
            }
            if info.category.is_empty() {
                return Err(CapError::NotInList { field: "category", value: String::new() });
            }
            for r in &info.response_type {
                one_of("responseType", r, RESPONSE)?;
            }
            one_of("urgency", info.urgency, URGENCY)?;
            one_of("severity", info.severity, SEVERITY)?;
            one_of("certainty", info.certainty, CERTAINTY)?;
            for (a, area) in info.areas.iter().enumerate() {
                for (p, ring) in area.polygons.iter().enumerate() {
                    ring.check().map_err(|error| CapError::Area { area: a, polygon: p, error })?;
                }
            }
        }
        Ok(())
    }

    /// The alert as CAP 1.2 XML, after [`Alert::check`].
    pub fn to_xml(&self) -> Result<String, CapError> {
        self.check()?;
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.push_str("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n");
        let el = |x: &mut String, indent: &str, name: &str, value: &str| {
            let _ = writeln!(x, "{indent}<{name}>{}</{name}>", escape(value));
        };
        el(&mut x, "  ", "identifier", &self.identifier);
        el(&mut x, "  ", "sender", &self.sender);
        el(&mut x, "  ", "sent", &cap_time(self.sent));
        el(&mut x, "  ", "status", self.status);
        el(&mut x, "  ", "msgType", self.msg_type);
        el(&mut x, "  ", "scope", self.scope);
        if !self.references.is_empty() {
            el(&mut x, "  ", "references", &self.references.join(" "));
        }
        for info in &self.info {
            x.push_str("  <info>\n");
            el(&mut x, "    ", "language", &info.language);
            for c in &info.category {
                el(&mut x, "    ", "category", c);
            }
            el(&mut x, "    ", "event", &info.event);
            for r in &info.response_type {
                el(&mut x, "    ", "responseType", r);
            }
            el(&mut x, "    ", "urgency", info.urgency);
            el(&mut x, "    ", "severity", info.severity);
            el(&mut x, "    ", "certainty", info.certainty);
            if let Some(t) = info.effective {
                el(&mut x, "    ", "effective", &cap_time(t));
            }
            if let Some(t) = info.expires {
                el(&mut x, "    ", "expires", &cap_time(t));
            }
            for (name, value) in [
                ("senderName", &info.sender_name),
                ("headline", &info.headline),
                ("description", &info.description),
                ("instruction", &info.instruction),
            ] {
                if !value.is_empty() {
                    el(&mut x, "    ", name, value);
                }
            }
            for area in &info.areas {
                x.push_str("    <area>\n");
                el(&mut x, "      ", "areaDesc", &area.desc);
                for ring in &area.polygons {
                    el(&mut x, "      ", "polygon", &ring.cap());
                }
                x.push_str("    </area>\n");
            }
            x.push_str("  </info>\n");
        }
        x.push_str("</alert>\n");
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Ring {
        Ring(vec![[121.8, 29.8], [121.9, 29.8], [121.9, 29.9], [121.8, 29.9], [121.8, 29.8]])
    }

    #[test]
    fn a_simple_closed_ring_passes_and_broken_ones_are_named() {
        assert_eq!(square().check(), Ok(()));
        let bow = Ring(vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]);
        assert!(matches!(bow.check(), Err(RingError::Crossing(..))), "a bow tie crosses itself");
        assert_eq!(Ring(vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]).check(), Err(RingError::TooFew));
        assert_eq!(Ring(vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]).check(), Err(RingError::NotClosed));
        assert_eq!(Ring(vec![[0.0, 0.0], [200.0, 0.0], [1.0, 1.0], [0.0, 0.0]]).check(), Err(RingError::OffEarth(1)));
        let line = Ring(vec![[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 0.0]]);
        assert!(line.check().is_err(), "a flat ring has no area or folds on itself");
    }

    #[test]
    fn times_follow_the_schemas_pattern() {
        let t = cap_time(1_785_000_000_123);
        assert!(t.ends_with("+08:00") && !t.contains('.'), "{t}");
        assert_eq!(t.len(), 25, "{t}");
    }

    #[test]
    fn text_is_escaped_and_values_outside_caps_lists_refused() {
        let mut a = Alert {
            identifier: "NB-2026-1".into(),
            sender: "110@nbpolice.example".into(),
            sent: 1_785_000_000_000,
            status: "Actual",
            msg_type: "Alert",
            scope: "Public",
            references: Vec::new(),
            info: vec![Info {
                language: "zh-CN".into(),
                category: vec!["Met", "Safety"],
                event: "台风 <烟花> & 暴雨".into(),
                response_type: vec!["Evacuate"],
                urgency: "Immediate",
                severity: "Severe",
                certainty: "Likely",
                effective: None,
                expires: None,
                sender_name: String::new(),
                headline: String::new(),
                description: String::new(),
                instruction: String::new(),
                areas: vec![Area { desc: "象山县沿海".into(), polygons: vec![square()] }],
            }],
        };
        let xml = a.to_xml().unwrap();
        assert!(xml.contains("台风 &lt;烟花&gt; &amp; 暴雨"), "{xml}");
        assert!(xml.contains("<polygon>29.800000,121.800000 29.800000,121.900000"), "lat,lon: {xml}");
        a.info[0].severity = "Bad";
        assert!(matches!(a.check(), Err(CapError::NotInList { field: "severity", .. })));
        a.info[0].severity = "Severe";
        a.identifier = "has space".into();
        assert_eq!(a.check(), Err(CapError::BadIdentifier("identifier")));
    }
}
