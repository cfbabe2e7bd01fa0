//! The demo city generator: deterministic by seed (on either backend), valid identifiers,
//! stations inside their district, residents spread by the configured shares.

use crate::common;

use chrono::NaiveDate;
use common::*;
use ningan::demo::{DemoSpec, ensure, fingerprint};
use ningan_core::IdNumber;
use ningan_core::district::DISTRICTS;
use ningan_store::{Actor, Db, PageRequest, ResidentQuery, Scope, UnitKind};

async fn city(backend: Backend, people: u64, seed: u64) -> (Db, tempfile::TempDir) {
    let (loc, dir) = ningan_testkit::fresh_location(backend);
    let db = Db::open(&loc).await.unwrap();
    db.migrate_with(&ningan::modules::migrations()).await.unwrap();
    db.ensure_city_tree().await.unwrap();
    ensure(&db, &DemoSpec { people, seed, trace_dir: None }).await.unwrap();
    (db, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_city_on_both_backends() {
    let (a, _da) = city(Backend::Sqlite, 3000, 7).await;
    let (b, _db) = city(Backend::Postgres, 3000, 7).await;
    let (c, _dc) = city(Backend::Sqlite, 3000, 8).await;
    let fa = fingerprint(&a).await.unwrap();
    assert_eq!(fa, fingerprint(&b).await.unwrap(), "same seed, same city");
    assert_ne!(fa, fingerprint(&c).await.unwrap(), "another seed, another city");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_people_and_places_are_valid() {
    let (db, _d) = city(Backend::Sqlite, 5000, 2021).await;
    let all = Scope::everything();
    let units = db.units_in_scope(&all).await.unwrap();
    let stations: Vec<_> = units.iter().filter(|u| u.kind == UnitKind::Station).collect();
    assert!(stations.len() >= 40, "{} stations", stations.len());
    for s in &stations {
        let code: u32 = s.code[..6].parse().unwrap();
        let shape = ningan::geo::district_shape(code).unwrap();
        assert!(shape.shape.contains(s.location.unwrap()), "{} lies inside {}", s.name, shape.district.name);
    }

    let actor = Actor { name: "test".into(), unit_id: None };
    let mut per_district = std::collections::HashMap::<u32, u64>::new();
    let mut households = std::collections::HashMap::<String, usize>::new();
    let mut page = PageRequest::new(Some(1), Some(200));
    loop {
        let mut w = db.write().await.unwrap();
        let p = w.resident_search(&actor, &all, &ResidentQuery::default(), page).await.unwrap();
        drop(w);
        for r in &p.items {
            let id = IdNumber::parse(&r.id_number, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).expect("valid ID");
            *per_district.entry(id.region_code()).or_default() += 1;
            *households.entry(r.household_no.clone().unwrap()).or_default() += 1;
            assert!(r.compound_id.is_some());
        }
        if page.page >= p.pages() {
            break;
        }
        page.page += 1;
    }
    assert_eq!(per_district.values().sum::<u64>(), 5000);
    for d in DISTRICTS {
        let got = per_district[&d.code] as f64 / 5000.0;
        assert!((got - d.population_share).abs() < 0.002, "{}: {got} vs {}", d.name, d.population_share);
    }
    assert!(households.values().all(|n| (1..=5).contains(n)), "households of one to five");
    assert!(households.len() > 5000 / 5, "{} households", households.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_keeps_the_city_and_prints_the_same_logins() {
    let (db, _d) = city(Backend::Sqlite, 500, 3).await;
    let before = fingerprint(&db).await.unwrap();
    let logins = ensure(&db, &DemoSpec { people: 500, seed: 3, trace_dir: None }).await.unwrap();
    assert_eq!(before, fingerprint(&db).await.unwrap());
    // One account per role, a second station officer, a coastal station's officer, a
    // second administrator for grants, and a second investigator on none of the cases.
    assert_eq!(logins.len(), ningan_core::Role::ALL.len() + 4);
    for l in &logins {
        let u = db.user_by_username(&l.username).await.unwrap();
        assert!(ningan::secrets::verify_password(&u.password_hash, &l.password), "{} can sign in", l.username);
    }
}
