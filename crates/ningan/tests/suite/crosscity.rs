//! Cross-city handling between two real ningan instances on loopback (Ningbo and Hangzhou,
//! each with its own database): a Hangzhou station takes an application for a person
//! registered in Ningbo and forwards it; Ningbo files it against its register at the household
//! station and decides it; Hangzhou follows its progress to the decision. Forged requests are
//! refused; a repeated forward is the same application; an unreachable city is retried.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use ningan::config::{Config, CrossCityConfig, PeerCity};
use ningan_core::Role;
use serde_json::json;

const SHARED: &str = "ningbo-hangzhou-shared-secret";

fn city(code: &str, name: &str, peers: Vec<PeerCity>, dir: &tempfile::TempDir) -> Config {
    Config {
        data_dir: dir.path().to_path_buf(),
        crosscity: CrossCityConfig { city: code.into(), name: name.into(), peers },
        ..Config::default()
    }
}

fn peer(code: &str, name: &str, port: u16) -> PeerCity {
    PeerCity { city: code.into(), name: name.into(), url: format!("http://127.0.0.1:{port}"), secret: SHARED.into() }
}

on_both_backends!(a_hangzhou_station_forwards_an_application_that_ningbo_decides, |b| async move {
    let (nb_port, hz_port, dead_port) = (free_port(), free_port(), free_port());
    let (nb_dir, hz_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let nb_cfg = city("330200", "宁波市公安局", vec![peer("330100", "杭州市公安局", hz_port)], &nb_dir);
    let hz_cfg = city(
        "330100",
        "杭州市公安局",
        vec![peer("330200", "宁波市公安局", nb_port), peer("330300", "温州市公安局", dead_port)],
        &hz_dir,
    );
    let (mut nb_cfg, mut hz_cfg) = (nb_cfg, hz_cfg);
    if b == Backend::Postgres {
        nb_cfg.database_url = Some(ningan_testkit::fresh_pg_database());
        hz_cfg.database_url = Some(ningan_testkit::fresh_pg_database());
    }
    let ningbo = spawn_app_at(nb_cfg, b, nb_dir, nb_port).await;
    let hangzhou = spawn_app_at(hz_cfg, b, hz_dir, hz_port).await;

    let home = ningbo.station(330203, 1).await;
    ningbo.user("nb_clerk", &[Role::ServiceClerk], home.id).await;
    ningbo.resident("甬籍居民", 330203, 1, home.id).await;
    let id_number = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 1);
    let hz_station = hangzhou.station(330203, 7).await;
    hangzhou.user("hz_clerk", &[Role::ServiceClerk], hz_station.id).await;
    let hz_clerk = hangzhou.login("hz_clerk").await;

    let forward = |item: &str, name: &str, city: &str| json!({"city": city, "id_number": id_number.as_str(), "name": name, "item": item, "consent": true});
    let (s, e) = hz_clerk.post("/api/services/crosscity", forward("change-name", "甬籍居民", "330200")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("item")), "not a cross-city item: {e}");
    let (s, e) = hz_clerk.post("/api/services/crosscity", forward("id-renewal", "甬籍居民", "310000")).await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("city")), "{e}");
    let (s, f) = hz_clerk.post("/api/services/crosscity", forward("id-renewal", "甬籍居民", "330200")).await;
    assert_eq!(s, 201, "{f}");
    assert_eq!(f["status"], "submitted", "Ningbo took it at once: {f}");
    let remote_no = f["remote_no"].as_str().unwrap().to_string();

    // Ningbo: at the household station, marked as coming from Hangzhou.
    let nb_clerk = ningbo.login("nb_clerk").await;
    let (_, list) = nb_clerk.get("/api/services/applications").await;
    assert_eq!((list["total"].as_i64(), list["items"][0]["channel"].as_str()), (Some(1), Some("crosscity")), "{list}");
    assert_eq!(list["items"][0]["no"], remote_no.as_str());
    let id = list["items"][0]["id"].as_i64().unwrap();
    for status in ["accepted", "approved"] {
        let (s, r) = nb_clerk
            .post(
                &format!("/api/services/applications/{id}/decide"),
                json!({"status": status, "note": "已办结，证件邮寄"}),
            )
            .await;
        assert_eq!(s, 200, "{r}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, mine) = hz_clerk.get("/api/services/crosscity").await;
        let row =
            mine["items"].as_array().unwrap().iter().find(|r| r["remote_no"] == remote_no.as_str()).cloned().unwrap();
        if row["status"] == "approved" {
            assert_eq!(row["note"], "已办结，证件邮寄");
            assert!(row["id_number"].as_str().unwrap().contains('*'), "masked: {row}");
            break;
        }
        assert!(Instant::now() < deadline, "Hangzhou never saw the decision: {row}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A name that does not match Ningbo's register is refused there; Hangzhou keeps retrying it
    // visibly. An unreachable city keeps the application as forwarding with the error.
    let (s, f) = hz_clerk.post("/api/services/crosscity", forward("id-renewal", "冒名者", "330200")).await;
    assert_eq!((s, f["status"].as_str()), (201, Some("forwarding")), "{f}");
    assert!(f["last_error"].as_str().unwrap().contains("422"), "{f}");
    let (s, f) = hz_clerk.post("/api/services/crosscity", forward("id-renewal", "甬籍居民", "330300")).await;
    assert_eq!((s, f["status"].as_str()), (201, Some("forwarding")), "{f}");
    assert!(f["last_error"].as_str().unwrap().contains("unreachable"), "{f}");

    // Forged or replayed-as-new requests: refused, or the same application.
    let body = json!({"origin_ref": "XC-forged", "origin_unit": "x", "item": "id-renewal",
                      "applicant": {"id_number": id_number.as_str(), "name": "甬籍居民"}, "consent": true})
    .to_string();
    let ts = chrono::Utc::now().timestamp();
    let post = |sig: String, body: String| {
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{nb_port}/api/crosscity/applications"))
            .header("x-ningan-city", "330100")
            .header("x-ningan-timestamp", ts.to_string())
            .header("x-ningan-signature", sig)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = post(ningan::modules::services::exchange::sign("not-the-secret", ts, body.as_bytes()), body.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let sig = ningan::modules::services::exchange::sign(SHARED, ts, body.as_bytes());
    let first: serde_json::Value = post(sig.clone(), body.clone()).await.unwrap().json().await.unwrap();
    let again: serde_json::Value = post(sig, body).await.unwrap().json().await.unwrap();
    assert_eq!(first["no"], again["no"], "a repeated forward is the same application");
});
