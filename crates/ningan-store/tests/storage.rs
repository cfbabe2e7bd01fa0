//! Storage behaviour, run on SQLite and on a real PostgreSQL.

use chrono::NaiveDate;
use ningan_core::{IdNumber, Phone, Role};
use ningan_store::*;
use ningan_testkit::{Backend, fresh_location, on_both_backends};

async fn open(backend: Backend) -> (Db, tempfile::TempDir) {
    let (loc, dir) = fresh_location(backend);
    let db = Db::open(&loc).await.expect("open");
    db.migrate().await.expect("migrate");
    db.ensure_city_tree().await.expect("city tree");
    (db, dir)
}

fn actor() -> Actor {
    Actor { name: "test".into(), unit_id: None }
}

async fn station(db: &Db, district_code: &str, code: &str) -> OrgUnit {
    let district = db.unit_by_code(district_code).await.unwrap();
    let mut w = db.write().await.unwrap();
    let s = w
        .unit_insert(
            &actor(),
            &Scope::everything(),
            &NewOrgUnit {
                parent_id: district.id,
                code: code.into(),
                name: format!("{code}派出所"),
                name_en: code.into(),
                location: None,
            },
        )
        .await
        .unwrap();
    w.commit().await.unwrap();
    s
}

fn resident(name: &str, region: u32, seq: u16, unit_id: i64) -> NewResident {
    NewResident {
        name: name.into(),
        id_number: IdNumber::synthesize(region, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap(), seq),
        phone: Some(Phone::parse(&format!("1380000{seq:04}")).unwrap()),
        hukou_address: "宁波市某路1号".into(),
        residence_address: None,
        unit_id,
    }
}

on_both_backends!(migrations_are_idempotent_and_seed_the_city_tree, |b| async move {
    let (db, _d) = open(b).await;
    assert_eq!(db.migrate().await.unwrap(), Vec::<i64>::new(), "second run applies nothing");
    db.ensure_city_tree().await.unwrap();
    let units = db.units_in_scope(&Scope::everything()).await.unwrap();
    assert_eq!(units.len(), 11);
    assert_eq!(units[0].kind, UnitKind::City);
    assert!(units[1..].iter().all(|u| u.kind == UnitKind::District && u.parent_id == Some(units[0].id)));
    assert_eq!(db.schema_version().await.unwrap(), MIGRATIONS.last().unwrap().version);
});

on_both_backends!(a_unit_sees_its_subtree_and_nothing_else, |b| async move {
    let (db, _d) = open(b).await;
    let haishu1 = station(&db, "330203", "330203001").await;
    let haishu2 = station(&db, "330203", "330203002").await;
    let beilun = station(&db, "330206", "330206001").await;
    let mut w = db.write().await.unwrap();
    let all = Scope::everything();
    let a = w.resident_insert(&actor(), &all, &resident("张三", 330203, 1, haishu1.id)).await.unwrap();
    let b2 = w.resident_insert(&actor(), &all, &resident("李四", 330203, 2, haishu2.id)).await.unwrap();
    let c = w.resident_insert(&actor(), &all, &resident("王五", 330206, 3, beilun.id)).await.unwrap();
    w.commit().await.unwrap();

    let ids = |p: Page<Resident>| p.items.iter().map(|r| r.id).collect::<Vec<_>>();
    let district = db.unit_by_code("330203").await.unwrap().scope();
    let mut w = db.write().await.unwrap();
    let q = ResidentQuery::default();
    assert_eq!(
        ids(w.resident_search(&actor(), &haishu1.scope(), &q, PageRequest::default()).await.unwrap()),
        vec![a.id]
    );
    assert_eq!(
        ids(w.resident_search(&actor(), &district, &q, PageRequest::default()).await.unwrap()),
        vec![a.id, b2.id]
    );
    assert_eq!(
        ids(w.resident_search(&actor(), &all, &q, PageRequest::default()).await.unwrap()),
        vec![a.id, b2.id, c.id]
    );
    assert!(matches!(w.resident_get(&actor(), &haishu1.scope(), c.id, None).await, Err(StoreError::NotFound)));
    assert!(matches!(w.resident_get(&actor(), &haishu1.scope(), 999_999, None).await, Err(StoreError::NotFound)));
    // A station cannot register into a neighbour's unit.
    let err =
        w.resident_insert(&actor(), &haishu1.scope(), &resident("赵六", 330203, 4, haishu2.id)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    w.commit().await.unwrap();
});

on_both_backends!(search_matches_name_prefix_masked_id_and_phone, |b| async move {
    let (db, _d) = open(b).await;
    let s = station(&db, "330212", "330212001").await;
    let all = Scope::everything();
    let mut w = db.write().await.unwrap();
    let zhang = w.resident_insert(&actor(), &all, &resident("张伟", 330212, 11, s.id)).await.unwrap();
    w.resident_insert(&actor(), &all, &resident("张敏", 330212, 12, s.id)).await.unwrap();
    w.resident_insert(&actor(), &all, &resident("刘洋", 330212, 13, s.id)).await.unwrap();
    let search = |q: &str| ResidentQuery { q: Some(q.into()), ..Default::default() };
    let masked = IdNumber::parse(&zhang.id_number, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).unwrap().masked();
    for (q, want) in
        [("张", 2), ("张伟", 1), (masked.as_str(), 1), (zhang.id_number.as_str(), 1), ("13800000013", 1), ("陈", 0)]
    {
        let page = w.resident_search(&actor(), &all, &search(q), PageRequest::default()).await.unwrap();
        assert_eq!(page.total, want, "query {q}");
        assert_eq!(page.items.len() as i64, want);
    }
    w.commit().await.unwrap();
});

on_both_backends!(
    keyset_pages_walk_the_same_rows_as_numbered_pages_and_prefixes_match_as_starts_with,
    |b| async move {
        let (db, _d) = open(b).await;
        let s = station(&db, "330206", "330206001").await;
        let all = Scope::everything();
        // Names sharing prefixes, Latin and CJK, one a prefix of another, one at the top of a
        // block (a prefix's upper bound raises its last character), a literal percent sign.
        let names = [
            "张伟",
            "张伟",
            "张",
            "张三丰",
            "弛",
            "弜",
            "Li Wei",
            "li wei",
            "Lia",
            "王%五",
            "王五",
            "王",
            "欧阳娜娜",
            "欧阳",
            "\u{9fff}尾",
            "\u{9fff}",
            "\u{10000}古",
        ];
        let mut w = db.write().await.unwrap();
        for (i, name) in names.iter().enumerate() {
            let mut r = resident(name, 330206, 40 + i as u16, s.id);
            r.phone = None;
            w.resident_insert(&actor(), &all, &r).await.unwrap();
        }
        for sort in [ResidentSort::Id, ResidentSort::Name, ResidentSort::BirthDate, ResidentSort::Newest] {
            let by_number: Vec<i64> = {
                let mut ids = Vec::new();
                for page in 1..=10 {
                    let q = ResidentQuery { sort, ..Default::default() };
                    let found =
                        w.resident_search(&actor(), &all, &q, PageRequest::new(Some(page), Some(3))).await.unwrap();
                    ids.extend(found.items.iter().map(|r| r.id));
                }
                ids
            };
            let mut by_key = Vec::new();
            let mut after = None;
            loop {
                let q = ResidentQuery { sort, after: after.clone(), ..Default::default() };
                let found = w.resident_search(&actor(), &all, &q, PageRequest::new(Some(1), Some(3))).await.unwrap();
                by_key.extend(found.items.iter().map(|r| r.id));
                let Some(last) = found.items.last() else { break };
                let cursor = ResidentCursor::after(last, sort);
                after = Some(ResidentCursor::parse(&cursor, sort).expect("a cursor reads back"));
            }
            assert_eq!(by_key, by_number, "{sort:?}: the same rows in the same order");
            assert_eq!(by_key.len(), names.len());
        }
        // By name, both backends list by code point, so the order is the model's.
        let q = ResidentQuery { sort: ResidentSort::Name, ..Default::default() };
        let found = w.resident_search(&actor(), &all, &q, PageRequest::new(Some(1), Some(100))).await.unwrap();
        let listed: Vec<&str> = found.items.iter().map(|r| r.name.as_str()).collect();
        let mut model = names.to_vec();
        model.sort();
        assert_eq!(listed, model);
        for prefix in ["张", "张伟", "张三", "弛", "Li", "li", "L", "王", "王%", "欧阳", "\u{9fff}", "\u{10000}", "无"]
        {
            let q = ResidentQuery { q: Some(prefix.into()), sort: ResidentSort::Name, ..Default::default() };
            let found = w.resident_search(&actor(), &all, &q, PageRequest::new(Some(1), Some(100))).await.unwrap();
            let got: Vec<&str> = found.items.iter().map(|r| r.name.as_str()).collect();
            // The wildcard characters are dropped from a term, as before.
            let term = prefix.replace(['%', '_'], "");
            let want: Vec<&str> = model.iter().copied().filter(|n| n.starts_with(&term)).collect();
            assert_eq!(got, want, "prefix {prefix:?}");
            assert_eq!(found.total, want.len() as i64);
        }
        w.commit().await.unwrap();
    }
);

on_both_backends!(duplicate_id_numbers_and_usernames_are_conflicts, |b| async move {
    let (db, _d) = open(b).await;
    let s = station(&db, "330205", "330205001").await;
    let all = Scope::everything();
    let mut w = db.write().await.unwrap();
    w.resident_insert(&actor(), &all, &resident("甲", 330205, 21, s.id)).await.unwrap();
    w.commit().await.unwrap();
    let mut w = db.write().await.unwrap();
    let err = w.resident_insert(&actor(), &all, &resident("乙", 330205, 21, s.id)).await.unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(what) if what == "id_number"), "{err}");
    drop(w);
    // Another person with the same registered mobile is refused on the phone.
    let mut w = db.write().await.unwrap();
    let mut other = resident("丙", 330205, 22, s.id);
    other.phone = Some(Phone::parse("13800000021").unwrap());
    let err = w.resident_insert(&actor(), &all, &other).await.unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(what) if what == "phone"), "{err}");
    drop(w);
    let new_user = NewUser {
        username: "officer1".into(),
        display_name: "".into(),
        password_hash: "x".into(),
        unit_id: s.id,
        roles: vec![Role::StationOfficer],
    };
    let mut w = db.write().await.unwrap();
    w.user_insert(&actor(), &all, &new_user).await.unwrap();
    w.commit().await.unwrap();
    let mut w = db.write().await.unwrap();
    assert!(matches!(w.user_insert(&actor(), &all, &new_user).await, Err(StoreError::Conflict(_))));
});

on_both_backends!(audit_chain_verifies_and_catches_tampering, |b| async move {
    let (db, _d) = open(b).await;
    let s = station(&db, "330211", "330211001").await;
    let all = Scope::everything();
    for i in 0..5 {
        let mut w = db.write().await.unwrap();
        let r = w.resident_insert(&actor(), &all, &resident("某人", 330211, 30 + i, s.id)).await.unwrap();
        w.resident_get(&actor(), &all, r.id, Some("核查身份")).await.unwrap();
        w.commit().await.unwrap();
    }
    let report = db.verify_audit_chain().await.unwrap();
    assert_eq!(report.first_broken, None);
    assert_eq!(report.entries, 12, "bootstrap + station + 5 creates + 5 reveals");

    // Append-only is enforced by the database itself...
    let sql = "UPDATE audit_log SET purpose = '无' WHERE seq = 5";
    let pool = sqlx::AnyPool::connect(db.url()).await.unwrap();
    assert!(sqlx::query(sql).execute(&pool).await.is_err(), "trigger refuses updates");
    // ...and someone who drops the trigger is still caught by the chain.
    let drop_trigger = match db.dialect() {
        Dialect::Sqlite => "DROP TRIGGER audit_log_no_update",
        Dialect::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
    };
    sqlx::query(drop_trigger).execute(&pool).await.unwrap();
    sqlx::query(sql).execute(&pool).await.unwrap();
    let report = db.verify_audit_chain().await.unwrap();
    assert_eq!(report.first_broken.as_ref().map(|(seq, _)| *seq), Some(5), "{report:?}");
});

on_both_backends!(idempotency_keys_replay_and_detect_mismatch, |b| async move {
    let (db, _d) = open(b).await;
    let now = ningan_core::time::now_ms();
    // Claims younger than a minute are live; answers younger than an hour are replayed.
    let begin = |p: &'static str, k: &'static str, h: &'static str| {
        let db = db.clone();
        async move { db.idempotency_begin(p, k, h, now - 60_000, now - 3_600_000).await.unwrap() }
    };
    assert_eq!(begin("user:a", "k1", "h1").await, IdempotencyOutcome::Proceed);
    assert_eq!(begin("user:a", "k1", "h1").await, IdempotencyOutcome::InProgress);
    let resp = StoredResponse { status: 201, content_type: "application/json".into(), body: "{}".into() };
    db.idempotency_finish("user:a", "k1", &resp).await.unwrap();
    assert_eq!(begin("user:a", "k1", "h1").await, IdempotencyOutcome::Replay(resp));
    assert_eq!(begin("user:a", "k1", "h2").await, IdempotencyOutcome::Mismatch);
    assert_eq!(begin("user:b", "k1", "h2").await, IdempotencyOutcome::Proceed, "keys are per principal");
});

on_both_backends!(a_claim_left_running_by_a_dead_request_is_taken_over, |b| async move {
    let (db, _d) = open(b).await;
    let now = ningan_core::time::now_ms();
    assert_eq!(db.idempotency_begin("user:a", "k", "h", now - 60_000, 0).await.unwrap(), IdempotencyOutcome::Proceed);
    // Still within the request timeout: another request may be running it.
    assert_eq!(
        db.idempotency_begin("user:a", "k", "h", now - 60_000, 0).await.unwrap(),
        IdempotencyOutcome::InProgress
    );
    // Past the timeout, no request can still be running it. The clock is read again here: the
    // claim was stamped when it was written, which may be a millisecond after `now`.
    let past_the_timeout = ningan_core::time::now_ms() + 1;
    assert_eq!(
        db.idempotency_begin("user:a", "k", "h", past_the_timeout, 0).await.unwrap(),
        IdempotencyOutcome::Proceed,
        "a stale claim is taken over"
    );
    // A restart on SQLite releases every running claim at once.
    let released = db.idempotency_release_running().await.unwrap();
    assert_eq!(released, u64::from(b == Backend::Sqlite));
});

on_both_backends!(a_write_dropped_without_commit_rolls_back_and_blocks_nobody, |b| async move {
    let (db, _d) = open(b).await;
    let s = station(&db, "330226", "330226001").await;
    let all = Scope::everything();
    for i in 0..5u16 {
        // An error path: the transaction is dropped after writing (and taking the audit lock).
        let mut w = db.write().await.unwrap();
        w.resident_insert(&actor(), &all, &resident("弃", 330226, 100 + i, s.id)).await.unwrap();
        drop(w);
        // The next writer is neither blocked nor sees the abandoned row.
        let next = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            let mut w = db.write().await.unwrap();
            w.resident_insert(&actor(), &all, &resident("留", 330226, 200 + i, s.id)).await.unwrap();
            w.commit().await.unwrap();
        })
        .await;
        assert!(next.is_ok(), "round {i}: the next write waited on the abandoned one");
    }
    let mut w = db.write().await.unwrap();
    let page = w.resident_search(&actor(), &all, &ResidentQuery::default(), PageRequest::default()).await.unwrap();
    w.commit().await.unwrap();
    assert_eq!(page.total, 5);
    assert!(page.items.iter().all(|r| r.name == "留"));
    assert_eq!(db.verify_audit_chain().await.unwrap().first_broken, None);
});

on_both_backends!(a_count_stops_at_the_cap_unless_an_exact_one_is_asked_for, |b| async move {
    let (db, _d) = open(b).await;
    let s = station(&db, "330205", "330205001").await;
    let all = Scope::everything();
    let over = sql::COUNT_CAP as usize + 50;
    let rows: Vec<BulkResident> = (0..over)
        .map(|i| BulkResident {
            name: if i % 2 == 0 { format!("甲{i}") } else { format!("乙{i}") },
            id_number: IdNumber::synthesize(
                330205,
                NaiveDate::from_ymd_opt(1980, 1, 1).unwrap() + chrono::Days::new((i / 1000) as u64),
                (i % 1000) as u16,
            ),
            phone: None,
            hukou_address: "宁波市某路1号".into(),
            residence_address: None,
            unit_id: s.id,
            unit_path: s.path.clone(),
            compound_id: None,
            household_no: None,
            registered_at: 0,
        })
        .collect();
    let mut w = db.write().await.unwrap();
    w.residents_bulk_insert(&actor(), &rows, "test").await.unwrap();
    let mut totals = Vec::new();
    let half = ResidentQuery { q: Some("乙".into()), exact_count: true, ..Default::default() };
    for q in [ResidentQuery::default(), ResidentQuery { exact_count: true, ..Default::default() }, half] {
        totals.push(w.resident_search(&actor(), &all, &q, PageRequest::default()).await.unwrap().total);
    }
    // Capped, exact, and exact under a filter (half the names start with 乙).
    assert_eq!(totals, [sql::COUNT_CAP, over as i64, (over / 2) as i64]);
    w.commit().await.unwrap();
});

on_both_backends!(the_signal_log_keeps_batches_of_any_size_in_order_and_each_id_once, |b| async move {
    let (db, _d) = open(b).await;
    let body = |i: usize| format!(r#"{{"Sms":{{"from":"9558{i}","note":"退款\"客服\" ✓"}}}}"#);
    let mut expected: Vec<String> = Vec::new();
    let mut next = 0usize;
    // Sizes across the statement shapes SQLite cuts a batch into, and PostgreSQL's one.
    for size in [1usize, 7, 8, 9, 41, 200] {
        let ids: Vec<String> = (0..size).map(|k| format!("sig-{}", next + k)).collect();
        next += size;
        let bodies: Vec<String> = (0..size).map(body).collect();
        let mut rows = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let listed = (k % 3 == 0).then(|| "phone:+8657466660001".to_string());
            let signal = NewSignal {
                signal_id: id.clone(),
                person_key: (k as i64) * 7_919 + 1,
                at: 1_790_000_000 + k as i64,
                kind: "sms".into(),
                body: bodies[k].clone(),
                fact: r#"{"listed":null}"#.into(),
                listed,
                channel: "api".into(),
            };
            rows.push(signal);
        }
        // The first half again: a retried batch, whose old ids must not come back as new.
        let mut w = db.write().await.unwrap();
        let refs: Vec<&NewSignal> = rows.iter().collect();
        let fresh = w.fraud_signals_log(&refs).await.unwrap();
        assert!(ids.iter().all(|id| fresh.contains(id)), "a batch of {size}: {fresh:?}");
        let again = w.fraud_signals_log(&refs[..size.div_ceil(2)]).await.unwrap();
        assert_eq!(again, Fresh::Only(Default::default()), "a repeat of a batch of {size} was logged again");
        // A repeat and a new id together: only the new one is new.
        let extra_id = format!("extra-{size}");
        let extra = NewSignal {
            signal_id: extra_id.clone(),
            person_key: 5,
            at: 1_790_000_000,
            kind: "sms".into(),
            body: "{}".into(),
            fact: "{}".into(),
            listed: None,
            channel: "nats".into(),
        };
        let mixed = w.fraud_signals_log(&[refs[size - 1], &extra]).await.unwrap();
        assert_eq!(mixed, Fresh::Only([extra_id.clone()].into()), "a batch of {size}, then one repeat and one new");
        w.commit().await.unwrap();
        expected.extend(ids);
        expected.push(extra_id);
    }
    // A field holding the separator PostgreSQL's encoding cuts on, or empty, is refused with
    // the batch around it, on both databases alike.
    let good = NewSignal {
        signal_id: "refused-with".into(),
        person_key: 1,
        at: 1_790_000_000,
        kind: "sms".into(),
        body: "{}".into(),
        fact: "{}".into(),
        listed: None,
        channel: "api".into(),
    };
    let cut = NewSignal { signal_id: "cut".into(), body: "{\u{1f}}".into(), ..good.clone() };
    let null_mark = NewSignal { signal_id: "null".into(), listed: Some("phone:\u{1e}".into()), ..good.clone() };
    let empty = NewSignal { signal_id: "empty".into(), channel: String::new(), ..good.clone() };
    for bad in [cut, null_mark, empty] {
        let mut w = db.write().await.unwrap();
        let err = w.fraud_signals_log(&[&good, &bad]).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{} was taken: {err:?}", bad.signal_id);
        w.commit().await.unwrap();
    }
    let page = db.fraud_replay_page(0, 0, 10_000).await.unwrap();
    let order: Vec<&str> = page.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(order, expected.iter().map(String::as_str).collect::<Vec<_>>(), "the log keeps arrival order");
    let stored = db.fraud_signals_by_ids(&["sig-1".to_string(), "sig-2".to_string()]).await.unwrap();
    assert_eq!(stored.len(), 2);
    // sig-1 is the first of the batch of 7 (k = 0): listed; sig-2 (k = 1) is not.
    assert_eq!((stored[0].body.as_str(), stored[0].fact.as_str()), (body(0).as_str(), r#"{"listed":null}"#));
    assert_eq!((stored[0].person_key, stored[0].at), (1, 1_790_000_000));
    assert_eq!(stored[0].listed.as_deref(), Some("phone:+8657466660001"));
    assert_eq!(
        (stored[1].listed.as_deref(), stored[1].kind.as_str(), stored[1].channel.as_str()),
        (None, "sms", "api")
    );
    assert!(stored[0].received_at > 0);
});

on_both_backends!(fraud_figures_count_people_dissuaded_once_and_dissuasions_each_time, |b| async move {
    let (db, _d) = open(b).await;
    let s = station(&db, "330203", "330203999").await;
    let mut w = db.write().await.unwrap();
    let twice = w.fraud_subject("+8613900000001", 11, (s.id, &s.path)).await.unwrap();
    let once = w.fraud_subject("+8613900000002", 12, (s.id, &s.path)).await.unwrap();
    let task = |subject: &Subject, n: usize, outcome: &str| NewTask {
        subject_id: subject.id,
        signal_id: format!("s-{}-{n}", subject.id),
        level: "low".into(),
        score: 30,
        typology: "冒充客服".into(),
        ruleset_version: "t".into(),
        trace: "[]".into(),
        warned_at: 1_790_000_000_000,
        deadline: 1_790_000_000_000,
        auto_outcome: Some((outcome.into(), String::new())),
    };
    // One person dissuaded on two occasions, another once, a third warning not dissuaded.
    for (subject, n, outcome) in
        [(&twice, 1, "dissuaded"), (&twice, 2, "dissuaded"), (&once, 1, "dissuaded"), (&once, 2, "notified")]
    {
        w.fraud_task_open(subject, &task(subject, n, outcome)).await.unwrap();
    }
    w.commit().await.unwrap();
    let f = db.fraud_figures(&Scope::everything()).await.unwrap();
    assert_eq!((f.persons_dissuaded, f.dissuasions), (2, 3), "人 and 人次");
});

on_both_backends!(a_due_fact_is_asked_for_once_and_its_answer_recorded_once, |b| async move {
    let (db, _d) = open(b).await;
    let s = station(&db, "330203", "330203998").await;
    let mut w = db.write().await.unwrap();
    let person = w.resident_insert(&actor(), &Scope::everything(), &resident("申请人", 330203, 7, s.id)).await.unwrap();
    let item = NewServiceItem {
        code: "test-item".into(),
        name: "测试事项".into(),
        category: "户籍".into(),
        legal_basis: "-".into(),
        eligibility: "-".into(),
        facts: vec!["marriage_record".into()],
        fields: vec![],
        time_limit_days: 5,
        fee_yuan: 0,
        citywide: true,
        crosscity: false,
        active: true,
    };
    let item_id = w.service_item_insert(&actor(), &item, "test").await.unwrap();
    let (application, _) = w
        .application_insert(
            &actor(),
            &NewApplication {
                prefix: "NB",
                item_id,
                item_version: 1,
                resident_id: person.id,
                unit_id: s.id,
                unit_path: s.path.clone(),
                channel: "portal".into(),
                citizen_signed: false,
                details: "{}".into(),
                deadline: 1_790_000_000_000,
                unit_name: s.name.clone(),
            },
        )
        .await
        .unwrap();
    let fact = NewFact { fact_code: "marriage_record".into(), source: "civil".into(), verified: None };
    w.application_facts_insert(application, &[fact], 1_000).await.unwrap();
    w.commit().await.unwrap();

    // The filing's own pass and the worker both read the fact due; one of them takes it.
    let now = ningan_core::time::now_ms();
    let due = db.facts_due(now, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let mut w = db.write().await.unwrap();
    assert!(w.fact_claim(due[0].id, now, now + 30_000).await.unwrap(), "the first taker has it");
    assert!(!w.fact_claim(due[0].id, now, now + 30_000).await.unwrap(), "the second does not");
    w.commit().await.unwrap();
    assert!(db.facts_due(now, 10).await.unwrap().is_empty(), "taken facts are not due");
    assert_eq!(db.facts_due(now + 30_000, 10).await.unwrap().len(), 1, "a taker that died leaves it due again");

    // An answer arriving for a fact already settled changes nothing and is not recorded.
    for _ in 0..2 {
        let mut w = db.write().await.unwrap();
        w.fact_answered(&due[0], person.id, Ok(("{}".into(), "民政局".into()))).await.unwrap();
        w.commit().await.unwrap();
    }
    let answers = db
        .audit_search(
            &Scope::everything(),
            &AuditFilter { person_id: Some(person.id), action: Some("exchange.answer".into()), ..Default::default() },
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(answers.total, 1, "one answer applied, one recorded");
});

// Versions are global: the application's modules hold some of the numbers between the
// store's (30–38), and `all_migrations` refuses two with one number.
#[test]
fn migration_versions_rise() {
    assert_eq!(MIGRATIONS[0].version, 1);
    for w in MIGRATIONS.windows(2) {
        assert!(w[0].version < w[1].version, "migration {} ({}) is out of order", w[1].version, w[1].name);
    }
    let all = all_migrations(&[]).unwrap();
    assert!(all.windows(2).all(|w| w[0].version < w[1].version));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_end_with_the_same_tables_columns_and_indexes() {
    let (sqlite, _a) = open(Backend::Sqlite).await;
    let (postgres, _b) = open(Backend::Postgres).await;
    let (s, p) = (sqlite.schema_description().await.unwrap(), postgres.schema_description().await.unwrap());
    let only_sqlite: Vec<&String> = s.iter().filter(|l| !p.contains(l)).collect();
    let only_postgres: Vec<&String> = p.iter().filter(|l| !s.contains(l)).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only on SQLite: {only_sqlite:#?}\nonly on PostgreSQL: {only_postgres:#?}"
    );
    assert!(s.len() > 200, "the description covers the schema: {} lines", s.len());
}

on_both_backends!(a_migration_changed_after_it_ran_is_refused_with_its_name, |b| async move {
    let (db, _dir) = open(b).await;
    // As if migration 3's text had been edited after this database ran it.
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(db.url()).await.unwrap();
    sqlx::query("UPDATE schema_checksums SET checksum = 'edited' WHERE version = 3").execute(&raw).await.unwrap();
    raw.close().await;
    match db.migrate().await {
        Err(StoreError::MigrationChanged { version, name }) => {
            assert_eq!(version, 3);
            assert_eq!(name, MIGRATIONS[2].name);
        }
        other => panic!("expected the changed migration to be named, got {other:?}"),
    }
});
