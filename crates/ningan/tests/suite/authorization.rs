//! The authorisation matrix: every declared route × every role × in-scope and out-of-scope
//! records, against the real server. Roles grant actions; the org-unit tree scopes data; an
//! out-of-scope record is a 404, never a 403 that would confirm it exists.

use crate::common;

use common::*;
use ningan::http::api::{Access, Face};
use ningan_core::{Action, Role, access};
use serde_json::json;

/// A city with two Haishu stations and one Beilun station, a resident in each, and one
/// account per role at the first Haishu station.
struct City {
    app: TestApp,
    haishu1: i64,
    beilun: i64,
    r_haishu1: i64,
    r_haishu2: i64,
    r_beilun: i64,
    u_beilun: i64,
}

async fn city(b: Backend) -> City {
    let app = spawn_app(b).await;
    let h1 = app.station(330203, 1).await;
    let h2 = app.station(330203, 2).await;
    let bl = app.station(330206, 1).await;
    for role in Role::ALL {
        app.user(role.as_str(), &[*role], h1.id).await;
    }
    let u_beilun = app.user("beilun_officer", &[Role::StationOfficer], bl.id).await;
    let r_haishu1 = app.resident("甲", 330203, 1, h1.id).await;
    let r_haishu2 = app.resident("乙", 330203, 2, h2.id).await;
    let r_beilun = app.resident("丙", 330206, 3, bl.id).await;
    City { haishu1: h1.id, beilun: bl.id, r_haishu1, r_haishu2, r_beilun, u_beilun, app }
}

fn concrete(path: &str, id: i64) -> String {
    path.replace("{id}", &id.to_string())
}

on_both_backends!(every_route_refuses_roles_without_its_action, |b| async move {
    let c = city(b).await;
    let (_, ops) = ningan::modules::api().into_parts();
    let anonymous = c.app.anonymous();
    let mut checked = 0;
    for role in Role::ALL {
        let client = c.app.login(role.as_str()).await;
        // Signing out would end the session the rest of the walk uses; it needs no action.
        for op in ops.iter().filter(|o| o.face == Face::Api && o.path != "/api/auth/logout") {
            // A record that does not exist: the access check must answer before any lookup,
            // and allowed roles then get 404 or 422 rather than acting on real accounts.
            let path = concrete(op.path, 9_999_999);
            let (status, body) = client.request(op.method.as_str(), &path, json!({})).await;
            // Reveals need the module's own action as well as the reveal right; city-wide
            // settings a city-level unit, which these station accounts are not.
            let city_wide = matches!(op.access, Access::CityWide(_));
            if city_wide || op.access.actions().iter().any(|a| !access::roles_grant(&[*role], *a)) {
                assert_eq!(status, 403, "{role} {} {}: {body}", op.method, op.path);
                checked += 1;
            } else {
                assert_ne!(status, 403, "{role} {} {} is allowed: {body}", op.method, op.path);
            }
        }
    }
    for op in ops.iter().filter(|o| o.access != Access::Public) {
        let (status, _) = anonymous.request(op.method.as_str(), &concrete(op.path, c.r_haishu1), json!({})).await;
        let expected = if op.face == Face::Page { 303 } else { 401 };
        assert_eq!(status, expected, "anonymous {} {}", op.method, op.path);
    }
    assert!(checked > 30, "the matrix covered {checked} refusals");
});

on_both_backends!(records_outside_the_unit_tree_are_not_found, |b| async move {
    let c = city(b).await;
    let officer = c.app.login("station_officer").await;
    // Own station: visible, masked.
    let (s, r) = officer.get(&format!("/api/residents/{}", c.r_haishu1)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["masked"], true);
    // Neighbouring station and other district: absent, whether or not they exist.
    for id in [c.r_haishu2, c.r_beilun, 9_999_999] {
        assert_eq!(officer.get(&format!("/api/residents/{id}")).await.0, 404, "resident {id}");
        assert_eq!(officer.post(&format!("/api/residents/{id}/reveal"), json!({"purpose": "核查"})).await.0, 404);
    }
    let (_, list) = officer.get("/api/residents").await;
    assert_eq!(list["total"], 1);
    assert_eq!(officer.get(&format!("/api/org-units/{}", c.beilun)).await.0, 404);
    assert_eq!(officer.get(&format!("/api/org-units/{}", c.haishu1)).await.0, 200);

    // A district branch sees its stations, not another district's.
    let haishu = c.app.unit("330203").await;
    c.app.user("haishu_branch", &[Role::StationOfficer], haishu.id).await;
    let branch = c.app.login("haishu_branch").await;
    let (_, list) = branch.get("/api/residents").await;
    assert_eq!(list["total"], 2, "{list}");
    assert_eq!(branch.get(&format!("/api/residents/{}", c.r_haishu2)).await.0, 200);
    assert_eq!(branch.get(&format!("/api/residents/{}", c.r_beilun)).await.0, 404);

    // The city bureau sees everything.
    let city_unit = c.app.unit("330200").await;
    c.app.user("city_officer", &[Role::Commander], city_unit.id).await;
    let (_, list) = c.app.login("city_officer").await.get("/api/residents").await;
    assert_eq!(list["total"], 3);

    // An administrator of a station cannot touch accounts elsewhere, nor create them there.
    let admin = c.app.login("administrator").await;
    assert_eq!(admin.get(&format!("/api/users/{}", c.u_beilun)).await.0, 404);
    assert_eq!(admin.post(&format!("/api/users/{}/disable", c.u_beilun), json!({})).await.0, 404);
    let (s, e) = admin
        .post("/api/users", json!({"username": "intruder", "unit_id": c.beilun, "roles": ["station_officer"]}))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"][0]["field"], "unit_id");
    // Registering a resident into another district's station is refused the same way.
    let (s, _) = officer
        .post(
            "/api/residents",
            json!({"name": "丁", "id_number": "11010519491231002X", "hukou_address": "某地", "unit_id": c.beilun}),
        )
        .await;
    assert_eq!(s, 422);
});

on_both_backends!(personal_data_rights_take_a_second_administrator, |b| async move {
    let app = spawn_app(b).await;
    let city = app.unit("330200").await;
    let station = app.station(330203, 1).await;
    let district = app.unit("330206").await;
    let first_id = app.user("first", &[Role::Administrator], city.id).await;
    app.user("second", &[Role::Administrator], city.id).await;
    app.user("beilun_admin", &[Role::Administrator], district.id).await;
    app.resident("甲", 330203, 1, station.id).await;
    let first = app.login("first").await;
    let second = app.login("second").await;

    // Nobody adds a personal-data role to their own account, not even through a grant.
    let (s, e) = first
        .request("PUT", &format!("/api/users/{first_id}/roles"), json!({"roles": ["administrator", "epidemiologist"]}))
        .await;
    assert_eq!(s, 403, "{e}");
    assert_eq!(app.db.user_by_id(first_id).await.unwrap().roles, vec![Role::Administrator]);

    // A new officer's personal-data role waits; the one who asked cannot approve it.
    let (s, created) = first
        .post("/api/users", json!({"username": "new.officer", "unit_id": station.id, "roles": ["station_officer"]}))
        .await;
    assert_eq!(s, 201, "{created}");
    let new_id = created["user"]["id"].as_i64().unwrap();
    let new_password = created["password"].as_str().unwrap().to_string();
    let grant = created["pending_grant"]["id"].as_i64().unwrap();
    assert!(app.db.user_by_id(new_id).await.unwrap().roles.is_empty(), "nothing granted yet");
    let (s, e) = first.post(&format!("/api/grants/{grant}/approve"), json!({})).await;
    assert_eq!(s, 403, "the asker cannot approve: {e}");
    // An administrator of another district does not even see it.
    let beilun = app.login("beilun_admin").await;
    assert_eq!(beilun.post(&format!("/api/grants/{grant}/approve"), json!({})).await.0, 404);
    let (_, pending) = second.get("/api/grants?status=pending").await;
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "{pending}");
    assert_eq!(second.get("/api/grants?status=maybe").await.0, 422);
    let (s, g) = second.post(&format!("/api/grants/{grant}/approve"), json!({})).await;
    assert_eq!((s, &g["status"]), (200, &json!("approved")), "{g}");
    assert_eq!(app.db.user_by_id(new_id).await.unwrap().roles, vec![Role::StationOfficer]);
    let (s, e) = second.post(&format!("/api/grants/{grant}/reject"), json!({})).await;
    assert_eq!(s, 409, "decided once: {e}");

    // Role changes: removals and plain roles apply at once, added personal-data roles wait,
    // and a rejected grant gives nothing.
    let (s, changed) = first
        .request("PUT", &format!("/api/users/{new_id}/roles"), json!({"roles": ["administrator", "investigator"]}))
        .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(changed["roles"], json!(["administrator"]));
    assert_eq!(changed["pending_grant"]["roles"], json!(["investigator"]));
    let grant = changed["pending_grant"]["id"].as_i64().unwrap();
    // The account that would gain the role is now an administrator, yet cannot decide it.
    let gainer = app.login_with("new.officer", &new_password).await;
    assert_eq!(gainer.post(&format!("/api/grants/{grant}/approve"), json!({})).await.0, 403);
    let (s, g) = second.post(&format!("/api/grants/{grant}/reject"), json!({})).await;
    assert_eq!((s, &g["status"]), (200, &json!("rejected")), "{g}");
    assert_eq!(app.db.user_by_id(new_id).await.unwrap().roles, vec![Role::Administrator]);

    // A city-wide token that reads residents works only after a second administrator.
    let (s, created) = first.post("/api/tokens", json!({"name": "全市人口接口", "scopes": ["resident.read"]})).await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["token"]["pending_approval"], true);
    assert_eq!(created["token"]["live"], false);
    let device = app.bearer(created["secret"].as_str().unwrap());
    assert_eq!(device.get("/api/residents").await.0, 401, "not yet approved");
    let grant = created["pending_grant"]["id"].as_i64().unwrap();
    assert_eq!(first.post(&format!("/api/grants/{grant}/approve"), json!({})).await.0, 403);
    assert_eq!(second.post(&format!("/api/grants/{grant}/approve"), json!({})).await.0, 200);
    let (s, list) = device.get("/api/residents").await;
    assert_eq!((s, &list["total"]), (200, &json!(1)), "{list}");
    // A rejected token never starts to work.
    let (_, created) = first.post("/api/tokens", json!({"name": "另一个接口", "scopes": ["resident.read"]})).await;
    let grant = created["pending_grant"]["id"].as_i64().unwrap();
    assert_eq!(second.post(&format!("/api/grants/{grant}/reject"), json!({})).await.0, 200);
    assert_eq!(app.bearer(created["secret"].as_str().unwrap()).get("/api/residents").await.0, 401);
    // Tokens without personal data need no second look.
    let (_, created) = first.post("/api/tokens", json!({"name": "驾驶舱大屏", "scopes": ["cockpit.view"]})).await;
    assert!(created["pending_grant"].is_null(), "{created}");

    // Every decision is in the audit trail under the decider's name.
    let filter = ningan_store::AuditFilter {
        actor: Some("user:second".into()),
        person_id: None,
        action: Some("grant.approve".into()),
        from_ms: None,
        to_ms: None,
    };
    let approvals = app
        .db
        .audit_search(&ningan_store::Scope::everything(), &filter, ningan_store::PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(approvals.total, 2);
});

on_both_backends!(api_tokens_act_only_within_their_scopes_and_unit, |b| async move {
    let c = city(b).await;
    let admin = c.app.login("administrator").await;
    let (s, created) = admin
        .post("/api/tokens", json!({"name": "社保局接口", "scopes": ["resident.read"], "expires_in_days": 30}))
        .await;
    assert_eq!(s, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    let device = c.app.bearer(&secret);
    let (s, list) = device.get("/api/residents").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 1, "token bound to the admin's station");
    assert_eq!(device.post("/api/residents", json!({})).await.0, 403, "scope does not include resident.write");
    assert_eq!(device.get("/api/audit").await.0, 403);
    // Tokens never carry account or audit powers.
    let (s, e) = admin.post("/api/tokens", json!({"name": "x", "scopes": ["user.manage"]})).await;
    assert_eq!(s, 422, "{e}");
    // Listing shows no secret; revoking ends access at once.
    let (_, tokens) = admin.get("/api/tokens").await;
    assert!(!tokens.to_string().contains(&secret[20..]));
    let id = created["token"]["id"].as_i64().unwrap();
    assert_eq!(admin.request("DELETE", &format!("/api/tokens/{id}"), json!({})).await.0, 204);
    assert_eq!(device.get("/api/residents").await.0, 401);
    assert_eq!(
        c.app.bearer("ngn_000000000000_000000000000000000000000000000000000000000000000").get("/api/me").await.0,
        401
    );
});

#[test]
fn every_protected_api_route_names_an_action_someone_can_hold() {
    let (_, ops) = ningan::modules::api().into_parts();
    for op in ops {
        if let Access::Action(a) | Access::CityWide(a) | Access::Reveal(a) = op.access {
            assert!(
                Role::ALL.iter().any(|r| r.grants().contains(&a)) || a.token_scopable(),
                "{} {} needs {a}, which no role grants and no token may carry",
                op.method,
                op.path
            );
        }
    }
    // Every action is held by someone: a role, or (for devices only, such as a unit's
    // position reports) a token.
    assert!(Action::ALL.iter().all(|a| a.token_scopable() || Role::ALL.iter().any(|r| r.grants().contains(a))));
}
