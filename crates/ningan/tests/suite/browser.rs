//! The workbench's main journeys in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`), over a small demo city: signing in as each kind of officer, menus
//! by role, searching residents, revealing an ID with a purpose and finding it in the audit
//! log, switching language, the cockpit's map and charts actually drawn, refusals.
//! Set NINGAN_SCREENSHOTS=DIR to keep a screenshot of each page visited.

use crate::common;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver in a process group of its own: killing only the driver left its Chromium
/// running after every test (fifteen browsers outlived one suite), so the whole group goes.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Chromium with a fresh profile, saving downloads into the profile's `downloads/` folder.
async fn browser() -> (Client, Driver, tempfile::TempDir) {
    let driver_bin = std::env::var("NINGAN_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&driver_bin).exists(),
        "browser tests need Chromium and its driver: apt-get install chromium chromium-driver (or set NINGAN_CHROMEDRIVER)"
    );
    let port = free_port();
    let driver = Driver(
        Command::new(&driver_bin)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    let profile = tempfile::tempdir().unwrap();
    let downloads = profile.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let caps = json!({
        "goog:chromeOptions": {
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
            "binary": std::env::var("NINGAN_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=zh-CN",
                format!("--user-data-dir={}", profile.path().display())
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return (c, driver, profile),
            Err(e) if Instant::now() > deadline => panic!("cannot start Chromium through chromedriver: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

struct Session<'a> {
    c: &'a Client,
    base: String,
    shots: Option<std::path::PathBuf>,
}

impl Session<'_> {
    async fn go(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    /// The text of the first element matching `css`, waiting for it to appear; a page that
    /// is still being replaced (stale elements) is simply asked again.
    async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(el) = self.c.find(Locator::Css(css)).await
                && let Ok(t) = el.text().await
            {
                return t;
            }
            assert!(Instant::now() < deadline, "{css} did not appear on {:?}", self.c.current_url().await.ok());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            let png = self.c.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    async fn login(&self, username: &str, password: &str) {
        self.go("/login").await;
        self.type_into("input[name=username]", username).await;
        self.type_into("input[name=password]", password).await;
        self.click("button[type=submit]").await;
        self.text("[data-testid=who]").await;
    }

    /// Waits until the element's text contains `expected` (the page may still be the old one
    /// right after a click).
    async fn wait_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let t = self.text(css).await;
            if t.contains(expected) {
                return;
            }
            assert!(Instant::now() < deadline, "{css} shows {t:?}, not {expected:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// [`Session::wait_text`] with a longer patience, for what takes simulated driving.
    async fn wait_text_within(&self, css: &str, expected: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let t = self.text(css).await;
            if t.contains(expected) {
                return;
            }
            assert!(Instant::now() < deadline, "{css} shows {t:?}, not {expected:?} after {secs} s");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until nothing matches `css`.
    async fn wait_gone(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.c.find(Locator::Css(css)).await.is_ok() {
            assert!(Instant::now() < deadline, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Clicks `css` once it has appeared (results drawn by a script).
    async fn click_when(&self, css: &str) {
        self.text(css).await;
        self.click(css).await;
    }

    async fn click(&self, css: &str) {
        self.c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    }

    async fn type_into(&self, css: &str, text: &str) {
        self.c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).send_keys(text).await.unwrap();
    }

    async fn logout(&self) {
        self.c.delete_all_cookies().await.unwrap();
    }

    async fn menu(&self) -> Vec<String> {
        let menu = self.c.find(Locator::Css("[data-testid=menu]")).await.unwrap();
        let mut out = Vec::new();
        for a in menu.find_all(Locator::Css("a")).await.unwrap() {
            out.push(a.attr("href").await.unwrap().unwrap_or_default());
        }
        out
    }
}

/// A real mouse click at `(dx, dy)` pixels from the element's centre.
async fn click_at(c: &Client, el: &fantoccini::elements::Element, dx: f64, dy: f64) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    c.execute("arguments[0].scrollIntoView({ block: 'center' })", vec![serde_json::to_value(el).unwrap()])
        .await
        .unwrap();
    let actions = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: el.clone(), duration: None, x: dx, y: dy })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    c.perform_actions(actions).await.unwrap();
    // Leaflet tells a click from a double click by the gap between them.
    tokio::time::sleep(Duration::from_millis(350)).await;
}

/// Waits until the element's attribute has the value.
async fn wait_attr(c: &Client, css: &str, attr: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut got = None;
        if let Ok(el) = c.find(Locator::Css(css)).await {
            got = el.attr(attr).await.ok().flatten();
        }
        if got.as_deref() == Some(expected) {
            return;
        }
        assert!(Instant::now() < deadline, "{css} has {attr}={got:?}, not {expected}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Counts pixels of a canvas under `css` that are neither transparent nor white.
async fn painted_pixels(c: &Client, css: &str) -> u64 {
    let script = r#"
        const el = document.querySelector(arguments[0]);
        if (!el) return -1;
        const canvas = el.querySelector('canvas');
        if (!canvas) return -2;
        const ctx = canvas.getContext('2d');
        const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i + 3] > 0 && !(d[i] > 245 && d[i + 1] > 245 && d[i + 2] > 245)) n++;
        }
        return n;
    "#;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v = c.execute(script, vec![json!(css)]).await.unwrap();
        let n = v.as_i64().unwrap_or(-3);
        if n > 0 || Instant::now() > deadline {
            return n.max(0) as u64;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_work_through_the_workbench() {
    let app = spawn_app(Backend::Sqlite).await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    if let Some(d) = &shots {
        std::fs::create_dir_all(d).unwrap();
    }
    let s = Session { c: &client, base: app.base.clone(), shots };

    // Each kind of officer sees the menu their roles allow.
    let expected: &[(&str, &[&str], &[&str])] = &[
        ("admin", &["/units", "/accounts", "/tokens"], &["/residents", "/audit"]),
        ("auditor", &["/audit", "/units", "/accounts"], &["/residents", "/tokens"]),
        ("commander", &["/residents", "/units"], &["/accounts", "/audit", "/tokens"]),
        ("officer", &["/residents", "/units"], &["/accounts", "/audit", "/tokens"]),
    ];
    for (user, shown, hidden) in expected {
        s.login(user, &pw(user)).await;
        let menu = s.menu().await;
        for h in *shown {
            assert!(menu.iter().any(|m| m == h), "{user} should see {h}: {menu:?}");
        }
        for h in *hidden {
            assert!(!menu.iter().any(|m| m == h), "{user} should not see {h}: {menu:?}");
        }
        s.shot(&format!("home-{user}")).await;
        s.logout().await;
    }

    // An officer of every role at a desk's 1440 px: every menu entry they are shown opens,
    // none refused, and none is wider than the window. The menu follows the role alone, so a
    // second account of a role walked already would only walk the same pages again.
    client.set_window_size(1440, 900).await.unwrap();
    let mut walked = std::collections::HashSet::new();
    for login in logins.iter().filter(|l| walked.insert(l.role)) {
        s.login(&login.username, &login.password).await;
        for href in s.menu().await {
            s.go(&href).await;
            let forbidden = client.find(Locator::Css("[data-testid=forbidden]")).await.is_ok();
            assert!(!forbidden, "{} was shown {href} but refused", login.username);
            assert!(!s.text("h1").await.is_empty(), "{} {href}", login.username);
            assert_no_sideways_scroll(&client, &format!("{} {href}", login.username)).await;
        }
        s.logout().await;
    }

    // The commander's cockpit: counters, and the map and charts really drawn.
    s.login("commander", &pw("commander")).await;
    let residents = s.text("[data-counter=residents] .figure").await;
    assert_eq!(residents, "2000");
    // Citizen services have their panel: the demo's applications decided and rated.
    let decided: i64 = s.text("[data-counter=applications_decided] .figure").await.parse().unwrap_or(-1);
    assert!(decided > 0, "decided applications counted: {decided}");
    assert!(painted_pixels(&client, "[data-testid=chart-applications_by_stage]").await > 500, "stages drawn");
    assert!(painted_pixels(&client, "[data-testid=city-map]").await > 5000, "the district map is drawn");
    assert!(painted_pixels(&client, "[data-testid=chart-registrations]").await > 500, "the trend chart is drawn");
    assert!(painted_pixels(&client, "[data-testid=chart-ages]").await > 500, "the age chart is drawn");
    s.shot("cockpit").await;
    // Recolouring the map by another figure swaps the map in place.
    s.click("[data-testid=map-figure] option[value=stations]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // htmx replaces the element, so a handle can go stale between find and read.
        let mut cfg = String::new();
        if let Ok(el) = client.find(Locator::Css("[data-testid=city-map]")).await
            && let Ok(Some(v)) = el.attr("data-map").await
        {
            cfg = v;
        }
        // Station names appear under every figure (for the drill-down): the title tells the figure.
        if cfg.contains("\"title\":\"派出所\"") {
            break;
        }
        assert!(Instant::now() < deadline, "map did not switch figure: {cfg}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(painted_pixels(&client, "[data-testid=city-map]").await > 5000);
    // A click on Yinzhou drills down to its stations; the way back is on the map.
    let yinzhou = ningan::geo::district_shape(330212).unwrap().center;
    let city_map = client.find(Locator::Css("[data-testid=city-map]")).await.unwrap();
    let at = client
        .execute(
            r#"const el = arguments[0], r = el.getBoundingClientRect();
               const p = echarts.getInstanceByDom(el).convertToPixel({ seriesIndex: 0 }, [arguments[1], arguments[2]]);
               return [p[0] - r.width / 2, p[1] - r.height / 2];"#,
            vec![serde_json::to_value(&city_map).unwrap(), json!(yinzhou[0]), json!(yinzhou[1])],
        )
        .await
        .unwrap();
    click_at(&client, &city_map, at[0].as_f64().unwrap(), at[1].as_f64().unwrap()).await;
    wait_attr(&client, "[data-testid=city-map]", "data-level", "district").await;
    let stations = client
        .execute(
            "return echarts.getInstanceByDom(arguments[0]).getOption().series[0].data.length",
            vec![serde_json::to_value(&city_map).unwrap()],
        )
        .await
        .unwrap();
    assert!(stations.as_u64().unwrap_or(0) >= 2, "Yinzhou's stations are on the drilled-down map: {stations}");
    assert!(painted_pixels(&client, "[data-testid=city-map]").await > 5000);
    s.shot("cockpit-district").await;
    s.logout().await;

    // A clerk filters the applications and exports them: the XLSX the browser saves opens
    // with exactly the filtered rows.
    s.login("clerk", &pw("clerk")).await;
    s.go("/services/applications?status=approved").await;
    let pager = s.text(".pager span").await;
    let total: usize = pager.rsplit(' ').next().unwrap().trim_end_matches('+').parse().unwrap();
    assert!(total > 0, "the demo station has approved applications: {pager}");
    s.click("[data-testid=export-xlsx]").await;
    let dir = _profile.path().join("downloads");
    let deadline = Instant::now() + Duration::from_secs(15);
    let file = loop {
        let done = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
        if let Some(f) = done {
            break f;
        }
        assert!(Instant::now() < deadline, "no XLSX downloaded into {}", dir.display());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), total + 1, "a heading row and one row per filtered application");
    let status_col =
        (0..sheet.width()).find(|&c| sheet.get((0, c)).is_some_and(|h| h.to_string().contains("状态"))).unwrap();
    for r in 1..sheet.height() {
        assert_eq!(sheet.get((r, status_col)).unwrap().to_string(), "已办结（准予）", "row {r} is an approved one");
    }
    s.logout().await;

    // A station officer searches residents of their station, masked.
    s.login("officer", &pw("officer")).await;
    let scope_total = s.text("[data-counter=residents] .figure").await;
    assert!(scope_total.parse::<i64>().unwrap() < 2000, "a station officer's cockpit shows their station only");
    s.go("/residents").await;
    let first_name = s.text("[data-testid=residents] tbody tr td a").await;
    let surname: String = first_name.chars().take(1).collect();
    let q = client.find(Locator::Css("[data-testid=resident-search] input[name=q]")).await.unwrap();
    q.send_keys(&surname).await.unwrap();
    s.click("[data-testid=resident-search] button[type=submit]").await;
    // htmx swaps the results in place; wait until every row is a match.
    let deadline = Instant::now() + Duration::from_secs(10);
    let texts = loop {
        let mut texts = Vec::new();
        for row in client.find_all(Locator::Css("[data-testid=residents] tbody tr")).await.unwrap() {
            texts.push(row.text().await.unwrap_or_default());
        }
        if !texts.is_empty() && texts.iter().all(|t| t.starts_with(&surname)) {
            break texts;
        }
        assert!(Instant::now() < deadline, "search by surname {surname}: {texts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(texts.iter().all(|t| t.contains("********")), "IDs are masked: {texts:?}");
    assert!(
        client.current_url().await.unwrap().query().unwrap_or("").contains("q="),
        "the search is in the address bar"
    );
    s.shot("residents").await;

    // Reveal an ID with a purpose; an empty purpose is refused beside the field.
    s.click("[data-testid=residents] tbody tr td a").await;
    let masked = s.text("[data-testid=id-number]").await;
    assert!(masked.contains('*'));
    s.click("[data-testid=reveal-form] button").await;
    assert!(!s.text("[data-testid=purpose-error]").await.is_empty());
    s.type_into("[data-testid=reveal-form] input[name=purpose]", "户籍信息核对").await;
    s.click("[data-testid=reveal-form] button").await;
    s.text("[data-testid=revealed]").await;
    let full = s.text("[data-testid=id-number]").await;
    assert_eq!(full.len(), 18);
    assert!(!full.contains('*'));
    assert_eq!(&full[..6], &masked[..6]);
    s.shot("resident-revealed").await;

    // Switch to English; it sticks for this user.
    s.click("[data-testid=lang-switch]").await;
    s.wait_text("[data-testid=lang-switch]", "中文").await;
    s.go("/residents").await;
    assert!(s.text("h1").await.contains("Residents"));
    s.shot("residents-en").await;
    // Every page the officer works, in English: no Chinese left in what the interface itself
    // says (menu, headings, column heads, labels, buttons); names of people are data.
    for path in ["/", "/residents", "/precise/followups", "/precise/quarantine", "/fraud/tasks", "/precise/venues"] {
        s.go(path).await;
        s.text("h1").await;
        let chrome = interface_text(&client, ", h1").await;
        assert!(chrome.len() > 40 && chrome.contains("Residents"), "{path}: the interface text was read: {chrome}");
        let left = han(&chrome);
        assert!(left.is_empty(), "{path} in English still says “{left}” in: {chrome}");
    }

    // Pages outside one's role are refused.
    s.go("/audit").await;
    assert!(!s.text("[data-testid=forbidden]").await.is_empty());
    s.logout().await;

    // The auditor finds the reveal, with its purpose, in the audit log.
    s.login("auditor", &pw("auditor")).await;
    s.go("/audit?action=resident.reveal").await;
    let table = s.text("[data-testid=audit]").await;
    assert!(table.contains("户籍信息核对") && table.contains("user:officer"), "{table}");
    s.click("button[name=verify]").await;
    assert!(s.text("[data-testid=chain]").await.contains('✓'));
    s.shot("audit").await;
    s.go("/residents").await;
    assert!(!s.text("[data-testid=forbidden]").await.is_empty(), "auditors read no personal data");
    s.logout().await;

    // An administrator creates an account; a bad username is shown beside the field and
    // what was typed is kept.
    s.login("admin", &pw("admin")).await;
    s.go("/accounts/new").await;
    s.type_into("input[name=username]", "Bad Name").await;
    s.type_into("input[name=display_name]", "新同事").await;
    s.click("[data-testid=account-form] button").await;
    assert!(!s.text("[data-testid=error-username]").await.is_empty());
    assert!(!s.text("[data-testid=error-roles]").await.is_empty());
    let kept = client.find(Locator::Css("input[name=display_name]")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("新同事"));
    s.shot("account-errors").await;

    // Roles are changed on the account's page; removing every role is refused.
    let officer2 = app.db.user_by_username("officer2").await.unwrap();
    s.go(&format!("/accounts/{}", officer2.id)).await;
    s.click("[data-testid=roles-form] input[value=station_officer]").await;
    s.click("[data-testid=roles-form] button").await;
    assert!(!s.text("[data-testid=error-roles]").await.is_empty());
    // Adding a role that shows personal data waits for a second administrator.
    s.click("[data-testid=roles-form] input[value=station_officer]").await;
    s.click("[data-testid=roles-form] input[value=commander]").await;
    s.click("[data-testid=roles-form] button").await;
    s.wait_text("dl.facts", "指挥员").await;
    assert_eq!(app.db.user_by_username("officer2").await.unwrap().roles, vec![ningan_core::Role::StationOfficer]);
    s.logout().await;

    // The second administrator approves it from the list of pending grants.
    s.login("admin2", &pw("admin2")).await;
    s.go("/accounts/grants?status=pending").await;
    let pending = s.text("[data-testid=grants]").await;
    assert!(pending.contains("officer2"), "{pending}");
    s.click("[data-testid=grants] tr[data-status=pending] button[data-testid^=approve]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.db.user_by_username("officer2").await.unwrap().roles.contains(&ningan_core::Role::Commander) {
        assert!(Instant::now() < deadline, "the approved role was not added");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.shot("grants").await;
    client.close().await.unwrap();
}

/// Precise control in the browser: an epidemiologist opens a case's investigation (the
/// exposure map and the transmission graph drawn), makes the contacts follow-up tasks, the
/// station officer moves one along, and a zone is drawn by clicking on the map.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_investigation_becomes_follow_ups_and_a_zone_is_drawn() {
    use chrono::Utc;
    let app = spawn_app(Backend::Sqlite).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[ningan_core::Role::StationOfficer], station.id).await;
    app.user("epi", &[ningan_core::Role::Epidemiologist], station.id).await;
    let case = app.resident("病例甲", 330203, 1, station.id).await;
    let mut contacts = Vec::new();
    for (name, seq) in [("密接乙", 2), ("密接丙", 3)] {
        contacts.push(app.resident(name, 330203, seq, station.id).await);
    }
    let officer_api = app.login("officer").await;
    let (_, v) = officer_api
        .post(
            "/api/venues",
            json!({"name": "鼓楼面馆", "kind": "restaurant", "address": "中山西路1号", "unit_id": station.id, "lon": 121.55, "lat": 29.87}),
        )
        .await;
    let code = v["code"].as_str().unwrap().to_string();
    let ago = |h: i64| (Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    let mut checkins = vec![json!({"resident_id": case, "venue_code": code, "at": ago(30), "left_at": ago(29)})];
    for c in &contacts {
        checkins.push(json!({"resident_id": c, "venue_code": code, "at": ago(30), "left_at": ago(29)}));
    }
    let (s, r) = officer_api.post("/api/checkins", json!({"checkins": checkins})).await;
    assert_eq!((s, r["accepted"].as_u64()), (200, Some(3)), "{r}");
    let epi_api = app.login("epi").await;
    let (s, c) =
        epi_api.post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": ago(1)})).await;
    assert_eq!(s, 201, "{c}");
    let case_id = c["id"].as_i64().unwrap();

    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };

    s.login("epi", PASSWORD).await;
    s.go("/precise/cases").await;
    s.click("[data-testid=cases] tbody tr td a").await;
    s.wait_text("[data-counter=close] .figure", "2").await;
    assert!(s.text("[data-testid=rule]").await.contains("第九版"));
    assert!(painted_pixels(&client, "[data-testid=transmission-graph]").await > 200, "the graph is drawn");
    assert!(painted_pixels(&client, "[data-testid=exposure-map]").await > 2000, "the exposure map is drawn");
    s.shot("investigation").await;
    s.click("[data-testid=confirm-contacts]").await;
    s.wait_text("[data-testid=confirmed]", "新增密接 2").await;
    // Publishing asks first, with a reason; the next page says it was done.
    s.click("[data-testid=publish-places]").await;
    s.click("[data-testid=confirm-ok]").await;
    s.wait_text("[data-testid=confirm-dialog] .field-error", "理由").await;
    s.type_into("[data-testid=confirm-reason]", "流调确认，依规发布").await;
    s.click("[data-testid=confirm-ok]").await;
    s.wait_text("[data-testid=toast]", "已发布").await;
    // The graph filters by follow-up status and lays out over the map.
    s.click("[data-testid=graph-status] option[value=notified]").await;
    assert!(painted_pixels(&client, "[data-testid=transmission-graph]").await > 200, "notified contacts are drawn");
    s.click("[data-testid=graph-layout] option[value=map]").await;
    assert!(painted_pixels(&client, "[data-testid=transmission-graph]").await > 2000, "the graph is drawn on the map");
    s.shot("graph-map").await;
    s.logout().await;

    s.login("officer", PASSWORD).await;
    s.go("/precise/followups").await;
    s.wait_text("[data-testid=followups] tbody", "密接").await;
    s.click("[data-testid=advance]").await;
    s.wait_text("[data-testid=followups] tbody", "已转运").await;
    s.wait_text("[data-testid=toast]", "操作成功").await;
    assert_eq!(s.text(".menu a.current").await, "密接管控", "the menu marks the page shown");
    // Many at once: tick the whole page, choose release, and the dialog asks the reason first.
    s.click("[data-testid=select-all]").await;
    assert_eq!(
        s.c.execute("return document.querySelectorAll('[data-testid=select-row]:checked').length", vec![])
            .await
            .unwrap(),
        s.c.execute("return document.querySelectorAll('[data-testid=select-row]').length", vec![]).await.unwrap(),
        "select-all ticks every row"
    );
    s.click("[data-testid=bulk-status] option[value=released]").await;
    s.click("[data-testid=bulk-submit]").await;
    s.type_into("[data-testid=confirm-reason]", "隔离期满，复核无异常").await;
    s.click("[data-testid=confirm-ok]").await;
    s.wait_text("[data-testid=bulk-notice]", "已更新").await;
    s.wait_text("[data-testid=followups] tbody", "已解除").await;
    s.shot("followups").await;
    s.logout().await;

    s.login("epi", PASSWORD).await;
    s.go("/precise/zones").await;
    s.click("details summary").await;
    assert!(painted_pixels(&client, "#draw-map").await > 2000, "the drawing map is drawn");
    // Down to street scale (about half a metre a pixel) at a crossing of the generated streets,
    // then four real clicks a compound apart, one wrong click taken back with the undo button.
    let map = client.find(Locator::Css("#draw-map")).await.unwrap();
    client
        .execute(
            "arguments[0]._map.setView([29.8705, 121.5505], 18, { animate: false })",
            vec![serde_json::to_value(&map).unwrap()],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (dx, dy) in [(-80.0, -60.0), (80.0, -60.0), (80.0, 60.0), (150.0, 150.0)] {
        click_at(&client, &map, dx, dy).await;
    }
    wait_attr(&client, "#draw-map", "data-points", "4").await;
    s.click("#draw-map [data-act=undo]").await;
    click_at(&client, &map, -80.0, 60.0).await;
    wait_attr(&client, "#draw-map", "data-points", "4").await;
    let geometry = client.execute("return document.getElementById('zone-geometry').value", vec![]).await.unwrap();
    let geometry: serde_json::Value = serde_json::from_str(geometry.as_str().unwrap()).unwrap();
    assert_eq!(geometry["type"], "Polygon");
    let ring = geometry["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.len(), 5, "four points, closed: {geometry}");
    let (lons, lats): (Vec<f64>, Vec<f64>) =
        ring.iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap())).unzip();
    let span = |v: &[f64]| v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min);
    // 160 × 120 pixels at zoom 18: about 80 m × 60 m, a compound, not a district.
    let (w_m, h_m) = (span(&lons) * 111_320.0 * 29.87f64.to_radians().cos(), span(&lats) * 111_320.0);
    assert!((40.0..160.0).contains(&w_m) && (30.0..120.0).contains(&h_m), "{w_m} m × {h_m} m");
    assert!(s.text("#draw-map .map-draw-info").await.contains("m²"), "the area is shown while drawing");
    s.type_into("[data-testid=zone-form] input[name=name]", "测试封控区").await;
    s.click("[data-testid=zone-form] button[type=submit]").await;
    s.wait_text("h1", "测试封控区").await;
    assert!(s.text("[data-testid=zone-history]").await.contains("sealed"));
    assert!(painted_pixels(&client, "#zone-map").await > 2000, "the zone is drawn over the streets");
    s.shot("zone").await;
    let (_, tasks) = epi_api.get(&format!("/api/followups?case_id={case_id}")).await;
    assert_eq!(tasks["total"], 2, "{tasks}");

    // A contact falls ill: ticking both cases on the list finds where they met.
    let (s2, c2) = epi_api
        .post("/api/cases", json!({"resident_id": contacts[0], "status": "confirmed", "onset_at": ago(1)}))
        .await;
    assert_eq!(s2, 201, "{c2}");
    s.go("/precise/cases").await;
    for box_ in client.find_all(Locator::Css("[data-testid=cases] input[type=checkbox]")).await.unwrap() {
        box_.click().await.unwrap();
    }
    s.click("[data-testid=common-search]").await;
    s.wait_text("[data-testid=common-sources] tbody", "鼓楼面馆").await;
    s.shot("common-source").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_works_a_red_warning_to_dissuaded_and_the_cockpit_counts_it() {
    use chrono::Utc;
    let app = spawn_app(Backend::Sqlite).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[ningan_core::Role::StationOfficer], station.id).await;
    app.user("analyst", &[ningan_core::Role::FraudAnalyst], station.id).await;
    app.resident("受害人甲", 330203, 1, station.id).await;
    // The bank's stop-payment desk, played by the partner simulator with its own key.
    const BANK_SECRET: &str = "browser-bank-secret-0001";
    let sim = partner_sim(BANK_SECRET).await;
    let mut w = app.db.write().await.unwrap();
    let bank = ningan_store::NewAgency {
        code: "bank".into(),
        name: "止付协作银行".into(),
        base_url: format!("http://127.0.0.1:{}/bank", sim.1),
        secret: BANK_SECRET.into(),
        evidence: vec![],
        webhook_url: None,
    };
    w.agency_upsert(&actor(), &bank).await.unwrap();
    let public = hex::encode(ningan::sim::agency_key(BANK_SECRET, "bank").verifying_key().as_bytes());
    ningan::trust::register_partner_key(&mut w, "bank", &public).await.unwrap();
    w.commit().await.unwrap();
    let analyst = app.login("analyst").await;
    let (s, r) = analyst
        .post(
            "/api/fraud/watchlist",
            json!({"entries": [
                {"kind": "phone", "value": "0574-66660001", "source": "反诈中心", "typology": "冒充客服"},
                {"kind": "app", "value": "com.fake.meeting", "source": "应用商店"}
            ]}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let ago = |m: i64| (Utc::now() - chrono::Duration::minutes(m)).to_rfc3339();
    let (s, r) = analyst
        .post(
            "/api/fraud/signals",
            json!({"signals": [
                {"id": "b-1", "phone": "13912340001", "at": ago(40), "kind": "call", "from": "057466660001", "duration": 400},
                {"id": "b-2", "phone": "13912340001", "at": ago(25), "kind": "app", "package": "com.fake.meeting"},
                {"id": "b-3", "phone": "13912340001", "at": ago(5), "kind": "transfer", "account": "6217000011112222", "amount": 30000}
            ]}),
        )
        .await;
    assert_eq!((s, r["warnings"][2]["level"].as_str()), (200, Some("high")), "{r}");

    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };
    s.login("officer", PASSWORD).await;
    s.wait_text("[data-counter=fraud_dissuaded] .figure", "0").await;
    assert!(s.menu().await.iter().any(|m| m == "/fraud/tasks"), "the menu offers the fraud tasks");
    s.go("/fraud/tasks?status=open").await;
    assert_eq!(s.text("[data-testid=fraud-task-row] .lv").await, "红色（高风险）");
    s.click("[data-testid=fraud-task-link]").await;
    s.wait_text("[data-testid=task-level]", "红色").await;
    assert!(s.text("[data-testid=task-trace]").await.contains("用时35分钟"), "the trace says why");
    assert!(s.text("[data-testid=task-script]").await.contains("冒充电商物流客服"));
    // The transfer that raised it went to the bank as a stop-payment request: once the bank
    // answers, the task says the money was stopped.
    let (_, tasks) = analyst.get("/api/fraud/tasks?status=open&level=high").await;
    let task_id = tasks["items"][0]["id"].as_i64().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while analyst.get(&format!("/api/fraud/tasks/{task_id}")).await.1["stop_payments"][0]["status"] != "stopped" {
        assert!(std::time::Instant::now() < deadline, "the bank never answered");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    s.go(&format!("/fraud/tasks/{task_id}")).await;
    s.wait_text("[data-testid=task-stops]", "已止付").await;
    assert_eq!(s.text("[data-testid=task-phone]").await, "139****0001", "masked until revealed");
    s.shot("fraud-task").await;
    // The number is revealed with a purpose, and stays shown when the outcome form is refused.
    s.type_into("[data-testid=reveal-form] input[name=purpose]", "上门劝阻前电话联系").await;
    s.click("[data-testid=reveal-form] button").await;
    s.wait_text("[data-testid=task-phone]", "13912340001").await;
    s.click("[data-testid=outcome-select] option[value=dissuaded]").await;
    let amount = client.find(Locator::Css("[data-testid=amount-protected]")).await.unwrap();
    amount.clear().await.unwrap();
    amount.send_keys("3万").await.unwrap();
    s.click("[data-testid=outcome-submit]").await;
    s.wait_text("[data-testid=error-amount_protected]", "避免损失金额应为数字").await;
    let kept = client.find(Locator::Css("[data-testid=amount-protected]")).await.unwrap();
    assert_eq!(kept.prop("value").await.unwrap().as_deref(), Some("3万"), "what was typed comes back");
    assert!(s.text("[data-testid=task-phone]").await.contains("13912340001"), "the revealed number stays shown");
    assert!(!s.text("[data-testid=form-summary]").await.contains("amount"), "no field keys at the top");
    s.shot("fraud-task-refused").await;
    s.click("[data-testid=outcome-select] option[value=dissuaded]").await;
    let amount = client.find(Locator::Css("[data-testid=amount-protected]")).await.unwrap();
    amount.clear().await.unwrap();
    amount.send_keys("30000").await.unwrap();
    s.click("[data-testid=outcome-submit]").await;
    s.wait_text("[data-testid=task-status]", "已办结 · 已劝阻").await;
    s.go("/").await;
    s.wait_text("[data-counter=fraud_dissuaded] .figure", "1").await;
    s.wait_text("[data-counter=fraud_protected_yuan] .figure", "30000").await;
    s.shot("fraud-cockpit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_backtests_a_draft_and_puts_an_earlier_version_back() {
    use chrono::Utc;
    let app = spawn_app(Backend::Sqlite).await;
    let station = app.station(330203, 1).await;
    let bureau = app.unit("330200").await;
    app.user("analyst", &[ningan_core::Role::FraudAnalyst], bureau.id).await;
    app.resident("受害人甲", 330203, 1, station.id).await;
    let analyst = app.login("analyst").await;
    let (s, r) = analyst
        .post("/api/fraud/watchlist", json!({"entries": [{"kind": "phone", "value": "0574-66660001", "source": "反诈中心", "typology": "冒充客服"}]}))
        .await;
    assert_eq!(s, 201, "{r}");
    let ago = |m: i64| (Utc::now() - chrono::Duration::minutes(m)).to_rfc3339();
    let call = json!({"id": "bt-1", "phone": "13912340001", "at": ago(40), "kind": "call", "from": "057466660001", "duration": 400});
    let (s, r) = analyst.post("/api/fraud/signals", json!({"signals": [call]})).await;
    assert_eq!((s, r["warnings"][0]["level"].as_str()), (200, Some("low")), "{r}");
    let version =
        |v: &str| ningan_fraud::DEFAULT_RULES.replace("version = \"2026.12-1\"", &format!("version = \"{v}\""));
    for (v, reason) in [("v-a", "首版"), ("v-b", "第二版")] {
        let (s, _) = analyst.post_form("/fraud/rules", &[("rules", version(v).as_str()), ("reason", reason)]).await;
        assert_eq!(s, 303);
    }

    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };
    s.login("analyst", PASSWORD).await;
    s.go("/fraud/rules").await;
    assert_eq!(s.text("[data-testid=rules-version]").await, "v-b");
    // A draft that raises the low threshold out of reach, over the last 3 days: no
    // confirmation (nothing takes effect), the comparison below, the draft kept.
    let blind = version("blind").replace("low = 25", "low = 45");
    client
        .execute("document.querySelector('[data-testid=rules-text]').value = arguments[0];", vec![json!(blind)])
        .await
        .unwrap();
    let days = client.find(Locator::Css("[data-testid=backtest-days]")).await.unwrap();
    days.clear().await.unwrap();
    days.send_keys("3").await.unwrap();
    s.click("[data-testid=backtest]").await;
    s.wait_text("[data-testid=backtest-result] h2", "blind").await;
    assert!(s.text("[data-testid=backtest-signals]").await == "1");
    assert!(
        s.text("[data-testid=backtest-persons]").await.contains("仅现行规则预警 1"),
        "{}",
        s.text("[data-testid=backtest-persons]").await
    );
    assert!(s.text("[data-testid=backtest-differences]").await.contains("bt-1"));
    assert_eq!(s.text("[data-testid=rules-version]").await, "v-b", "a backtest puts nothing in force");
    let kept = client.find(Locator::Css("[data-testid=rules-text]")).await.unwrap();
    assert!(kept.prop("value").await.unwrap().unwrap_or_default().contains("low = 45"), "the draft stays in the form");
    s.shot("fraud-backtest").await;

    // The first version goes back in force after the confirmation's reason.
    s.click("[data-testid=rule-version]:nth-child(2) [data-testid=restore-form] button").await;
    s.type_into("[data-testid=confirm-reason]", "第二版误报多，回退").await;
    s.click("[data-testid=confirm-ok]").await;
    s.wait_text("[data-testid=rules-version]", "v-a").await;
    assert!(s.text("[data-testid=rule-version]:nth-child(1)").await.contains("第二版误报多，回退"));

    // A case filed from the cases page, then solved from its row.
    s.go("/fraud/board").await;
    s.click("[data-testid=cases-link]").await;
    s.click("[data-testid=case-file] summary").await;
    s.type_into("[data-testid=case-form] input[name=amount]", "八千").await;
    s.type_into("[data-testid=case-form] input[name=typology]", "刷单返利").await;
    client
        .execute(
            "document.querySelector('[data-testid=case-form] input[name=occurred_at]').value = '2026-11-20T10:30';",
            vec![],
        )
        .await
        .unwrap();
    s.click("[data-testid=case-form] button").await;
    s.wait_text("[data-testid=error-amount]", "损失金额").await;
    let amount = client.find(Locator::Css("[data-testid=case-form] input[name=amount]")).await.unwrap();
    amount.clear().await.unwrap();
    amount.send_keys("8000").await.unwrap();
    s.click("[data-testid=case-form] button").await;
    s.wait_text("[data-testid=case-row] [data-testid=case-stage]", "已立案").await;
    s.click("[data-testid=stage-form] option[value=solved]").await;
    s.click("[data-testid=stage-form] button").await;
    s.wait_text("[data-testid=case-row] [data-testid=case-stage]", "已破案").await;
    s.shot("fraud-case-solved").await;

    // In English nothing the interface says is left in Chinese (typologies and units are
    // data), and on a phone no page scrolls sideways.
    s.click("[data-testid=lang-switch]").await;
    s.wait_text("[data-testid=lang-switch]", "中文").await;
    for path in ["/fraud/rules", "/fraud/cases", "/fraud/board", "/fraud/lectures", "/fraud/reports"] {
        s.go(path).await;
        s.text("h1").await;
        let chrome = interface_text(&client, ", h1, summary").await;
        let left = han(&chrome);
        assert!(left.is_empty(), "{path} in English still says “{left}” in: {chrome}");
    }
    client.set_window_size(390, 844).await.unwrap();
    for path in ["/fraud/rules", "/fraud/cases", "/fraud/board"] {
        s.go(path).await;
        s.text("h1").await;
        assert_no_sideways_scroll(&client, path).await;
    }
}

/// Fails when the page is wider than the window (a phone scrolls it sideways).
/// What the interface itself says on the page (menu, headings, column heads, labels,
/// buttons, crumbs and whatever else `extra` names), joined; data such as names is not in it.
async fn interface_text(client: &Client, extra: &str) -> String {
    let script = format!(
        "return Array.from(document.querySelectorAll('.menu a, h2, thead th, label, button, .crumbs a{extra}'))\
         .map(e => e.childNodes.length ? Array.from(e.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join(' ') : e.textContent)\
         .join(' | ');"
    );
    let v = client.execute(&script, vec![]).await.unwrap();
    v.as_str().unwrap_or_default().replace("中文", "")
}

fn han(text: &str) -> String {
    text.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).collect()
}

async fn assert_no_sideways_scroll(client: &fantoccini::Client, page: &str) {
    let r = client.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await.unwrap();
    let (content, window) = (r[0].as_i64().unwrap(), r[1].as_i64().unwrap());
    if content > window {
        // Name the elements that reach past the window's right edge, for whoever mends it.
        let wide = client
            .execute(
                "const clipped = e => { for (let a = e.parentElement; a; a = a.parentElement) { if (/auto|scroll|hidden/.test(getComputedStyle(a).overflowX)) return true; } return false; };\
                 return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(e))\
                 .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + (e.dataset.testid || '') + ' → ' + e.getBoundingClientRect().right);",
                vec![],
            )
            .await
            .unwrap();
        panic!("{page}: {content} px of content in a {window} px window; past the edge: {wide}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_applies_online_follows_progress_and_rates_the_station() {
    // On a phone, in both languages: the portal's main journey.
    let app = spawn_app(Backend::Sqlite).await;
    let home = app.station(330203, 1).await;
    let other = app.station(330212, 1).await;
    app.user("clerk", &[ningan_core::Role::ServiceClerk], other.id).await;
    app.user("second_clerk", &[ningan_core::Role::ServiceClerk], other.id).await;
    app.resident("申请人甲", 330203, 1, home.id).await;
    let id_number = ningan_core::IdNumber::synthesize(330203, chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(), 1);

    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };
    // A phone: 390 CSS pixels wide; no portal page may scroll sideways.
    client.set_window_size(390, 844).await.unwrap();
    s.go("/portal").await;
    assert_no_sideways_scroll(&client, "login").await;
    s.type_into("[data-testid=code-form] input[name=id_number]", id_number.as_str()).await;
    s.type_into("[data-testid=code-form] input[name=phone]", "13912340001").await;
    s.click("[data-testid=code-form] button").await;
    s.text("[data-testid=sign-in-form]").await;
    let text = app.db.sms_last("13912340001").await.unwrap().expect("code texted");
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    s.type_into("[data-testid=sign-in-form] input[name=code]", &code).await;
    s.click("[data-testid=sign-in-form] button").await;
    s.wait_text("[data-testid=portal-name]", "申请人甲").await;
    assert_no_sideways_scroll(&client, "home").await;
    s.shot("portal-home-phone").await;
    // The services search finds the item by part of its name.
    s.type_into("[data-testid=service-search] input[name=q]", "姓名").await;
    s.click("[data-testid=service-search] button").await;
    s.wait_text("[data-testid=catalogue]", "变更姓名").await;
    s.click("[data-testid=apply-change-name]").await;
    assert!(s.text("[data-testid=guide]").await.contains("免费"), "the guide names the fee");
    s.type_into("[data-testid=field-new_name]", "申请人乙").await;
    s.type_into("[data-testid=field-reason]", "本人意愿").await;
    s.click(&format!("[data-testid=station-select] option[value='{}']", other.id)).await;
    assert_no_sideways_scroll(&client, "apply").await;
    s.shot("portal-apply").await;
    // Without consent a change that other agencies are told of is refused beside the box,
    // and what was typed stays.
    s.click("[data-testid=apply-submit]").await;
    s.wait_text("[data-testid=error-consent]", "同意").await;
    let kept = client.find(Locator::Css("[data-testid=field-new_name]")).await.unwrap();
    assert_eq!(kept.prop("value").await.unwrap().as_deref(), Some("申请人乙"));
    s.click("[data-testid=consent]").await;
    s.click("[data-testid=apply-submit]").await;
    s.wait_text("[data-testid=application-status]", "已提交").await;
    assert_no_sideways_scroll(&client, "application").await;
    // The same page in English, with no Chinese left but the person's own data.
    s.click("[data-testid=portal-lang]").await;
    s.wait_text("[data-testid=application-status]", "Submitted").await;
    let steps = s.text("[data-testid=steps]").await;
    assert!(steps.contains("Apply") && !steps.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{steps}");
    s.shot("portal-application-en").await;
    s.click("[data-testid=portal-lang]").await;
    s.wait_text("[data-testid=application-status]", "已提交").await;
    s.go("/portal/applications/NO-SUCH-NUMBER").await;
    assert!(s.text("[data-testid=portal-error]").await.contains("未找到"), "an unknown number is a page, not JSON");
    s.go("/portal").await;
    s.click("[data-testid=my-applications] a").await;

    let clerk = app.login("clerk").await;
    let (_, list) = clerk.get("/api/services/applications").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    // Away from the household station a second officer approves what the first accepted.
    let second = app.login("second_clerk").await;
    for (officer, status) in [(&clerk, "accepted"), (&second, "approved")] {
        let (st, _) = officer.post(&format!("/api/services/applications/{id}/decide"), json!({"status": status})).await;
        assert_eq!(st, 200);
    }
    client.refresh().await.unwrap();
    s.wait_text("[data-testid=application-status]", "已办结").await;
    assert!(s.text("[data-testid=timeline]").await.contains(&other.name), "the handling station is on the timeline");
    // A poor rating: the station is due to answer it, and the answer shows here.
    s.click("[data-testid=rating-form] option[value='2']").await;
    s.click("[data-testid=rating-submit]").await;
    s.wait_text("[data-testid=rated]", "2 / 5").await;
    assert!(s.text("[data-testid=rating-reply-due]").await.contains("答复"), "the citizen is told an answer is due");
    s.shot("portal-rated").await;
    let (_, ratings) = clerk.get("/api/services/ratings").await;
    assert_eq!((ratings[0]["average"].as_f64(), ratings[0]["unanswered"].as_i64()), (Some(2.0), Some(1)), "{ratings}");
    let (st, _) = clerk
        .post(
            &format!("/api/services/applications/{id}/reply"),
            json!({"reply": "已核实办理过程，改进告知方式，谢谢监督。"}),
        )
        .await;
    assert_eq!(st, 204);
    client.refresh().await.unwrap();
    s.wait_text("[data-testid=rating-reply]", "改进告知方式").await;
    assert_no_sideways_scroll(&client, "answered").await;
}

/// Signs an enterprise in on the portal with the code texted to its phone.
async fn enterprise_sign_in(s: &Session<'_>, app: &TestApp, uscc: &str, phone: &str) {
    s.go("/enterprise").await;
    s.type_into("input[name=uscc]", uscc).await;
    s.type_into("input[name=phone]", phone).await;
    s.click("[data-testid=send-code]").await;
    s.text("[data-testid=code-sent]").await;
    let text = app.db.sms_last(phone).await.unwrap().unwrap();
    let code: String = text.split("验证码为").nth(1).unwrap().chars().take(6).collect();
    s.type_into("[data-testid=enterprise-signin-form] input[name=code]", &code).await;
    s.click("[data-testid=sign-in]").await;
    s.text("[data-testid=enterprise-name]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_request_climbs_to_the_district_is_closed_and_rated() {
    // The demo city's first enterprise belongs to the demo officer's station.
    let app = spawn_app(Backend::Sqlite).await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    let district = app.unit("330203").await;
    app.user("branch", &[ningan_core::Role::Commander], district.id).await;
    use ningan_store::sql::RowExt as _;
    let first = ningan_store::sql::query(
        "SELECT e.uscc, a.phone FROM enterprises e JOIN enterprise_accounts a ON a.enterprise_id = e.id ORDER BY e.id LIMIT 1",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    let (uscc, phone): (String, String) = (first.try_get("uscc").unwrap(), first.try_get("phone").unwrap());
    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };

    // On a phone, the enterprise signs in with the texted code and files a request.
    client.set_window_size(390, 844).await.unwrap();
    enterprise_sign_in(&s, &app, &uscc, &phone).await;
    assert_no_sideways_scroll(&client, "/enterprise").await;
    s.click("[data-testid=new-request]").await;
    s.text("[data-testid=submit-request]").await;
    s.click("select[name=category] option[value=dispute]").await;
    s.type_into("input[name=title]", "与相邻企业的通道纠纷").await;
    s.type_into("textarea[name=body]", "短").await;
    s.click("[data-testid=submit-request]").await;
    s.wait_text("[data-testid=error-body]", "10").await;
    client.find(Locator::Css("textarea[name=body]")).await.unwrap().clear().await.unwrap();
    s.type_into("textarea[name=body]", "相邻企业长期占用消防通道，多次协商未果，请求协调。").await;
    s.click("[data-testid=submit-request]").await;
    s.wait_text("[data-testid=my-stage]", "待受理").await;
    assert_no_sideways_scroll(&client, "request").await;
    let request_url = client.current_url().await.unwrap().to_string();
    s.shot("enterprise-filed").await;
    client.delete_all_cookies().await.unwrap();

    // The station accepts it, cannot resolve it, and sends it to the district branch.
    client.set_window_size(1440, 1000).await.unwrap();
    s.login("officer", &pw("officer")).await;
    s.go("/enterprises/requests?here=1&stage=submitted").await;
    s.click("[data-testid=requests-board] tbody a").await;
    s.text("[data-testid=act-accept]").await;
    s.click("[data-testid=act-accept]").await;
    s.wait_text("[data-testid=request-stage]", "已受理").await;
    s.click("[data-testid=act-escalate]").await;
    s.wait_text("[data-testid=error-note]", "说明").await;
    s.type_into("[data-testid=action-note]", "涉及两家企业用地边界，超出派出所职权").await;
    s.click("[data-testid=act-escalate]").await;
    s.wait_text("[data-testid=request-tier]", "分局").await;
    // The liaison officer's due list has the demo's enterprises of the station.
    s.go("/enterprises?mine=1").await;
    assert!(!s.text("[data-testid=enterprises] tbody").await.contains("无记录"));
    s.logout().await;

    // The district branch accepts, replies and closes it.
    s.login("branch", PASSWORD).await;
    s.go("/enterprises/requests?here=1").await;
    s.click("[data-testid=requests-board] tbody a").await;
    s.text("[data-testid=act-accept]").await;
    s.click("[data-testid=act-accept]").await;
    s.wait_text("[data-testid=request-stage]", "已受理").await;
    s.type_into("[data-testid=action-note]", "已约两家企业现场协调，划定通道并由街道监督").await;
    s.click("[data-testid=act-reply]").await;
    s.wait_text("[data-testid=request-stage]", "已反馈").await;
    s.click("[data-testid=act-close]").await;
    s.wait_text("[data-testid=request-stage]", "已办结").await;
    s.shot("enterprise-closed").await;
    s.go("/enterprises/requests?overdue=1").await;
    s.text("[data-testid=requests-board]").await;
    s.go("/").await;
    assert!(
        s.text("[data-counter=enterprises] .figure").await.parse::<i64>().unwrap() > 0,
        "the cockpit counts enterprises"
    );
    // The branch imports two enterprises from a file; the bad one is named by its line.
    let good = ningan::modules::enterprise::uscc::Uscc::synthesize(330203, 777_001);
    let csv = format!(
        "统一社会信用代码,企业名称,地址,经度,纬度,行业门类,规模,联系人,联系电话\n{good},宁波三江物流有限公司,海曙区望春路1号,121.5,29.88,G,small,赵经理,13905740001\n91330203MA2XXXXXX1,坏代码公司,海曙区望春路2号,121.5,29.88,G,small,钱经理,13905740002\n"
    );
    let file = _profile.path().join("register.csv");
    std::fs::write(&file, csv).unwrap();
    s.go("/enterprises/import").await;
    client.find(Locator::Css("input[type=file]")).await.unwrap().send_keys(&file.display().to_string()).await.unwrap();
    s.click("[data-testid=import-form] button[type=submit]").await;
    s.wait_text("[data-testid=imported]", "1").await;
    assert_eq!(s.text("[data-testid=refused]").await, "1");
    assert!(s.text("[data-testid=refused-rows]").await.contains('3'), "line 3 is named");
    s.shot("enterprise-import").await;
    s.logout().await;

    // The enterprise reads the reply and rates it.
    client.set_window_size(390, 844).await.unwrap();
    enterprise_sign_in(&s, &app, &uscc, &phone).await;
    client.goto(&request_url).await.unwrap();
    s.wait_text("[data-testid=reply]", "划定通道").await;
    s.click("[data-testid=rate]").await;
    s.wait_text("[data-testid=my-stage]", "已评价").await;
    s.shot("enterprise-rated").await;
}

/// Waits until the element's numeric attribute is above zero (a map has drawn its markers).
async fn wait_positive_attr(c: &Client, css: &str, attr: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(Some(v)) = el.attr(attr).await
            && let Ok(n) = v.parse::<i64>()
            && n > 0
        {
            return n;
        }
        assert!(Instant::now() < deadline, "{css} never had {attr} above zero");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hazard_point_found_on_the_map_is_assigned_rectified_verified_and_closed() {
    let app = spawn_app(Backend::Sqlite).await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    let district = app.unit("330203").await;
    app.user("branch", &[ningan_core::Role::Commander], district.id).await;
    let (client, _driver, profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };
    client.set_window_size(1440, 1000).await.unwrap();

    // The district's figures before.
    s.login("branch", PASSWORD).await;
    s.go("/life").await;
    let closed_before: i64 = s.text("[data-testid=count-closed]").await.parse().unwrap();
    assert!(
        wait_positive_attr(&client, "[data-testid=life-map]", "data-markers").await > 0,
        "the demo's points are on the map"
    );
    s.shot("life-map").await;
    s.logout().await;

    // The station officer finds a dangerous crossing and picks it on the map.
    s.login("officer", &pw("officer")).await;
    s.go("/life").await;
    s.click("[data-testid=new-point]").await;
    s.text("[data-testid=point-form]").await;
    let pick = client.find(Locator::Css("[data-testid=pick-map]")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    click_at(&client, &pick, 0.0, 0.0).await;
    let lon = client.find(Locator::Css("[data-testid=point-lon]")).await.unwrap().prop("value").await.unwrap();
    assert!(lon.is_some_and(|v| v.starts_with("121.") || v.starts_with("122.")), "the click fills the place");
    s.click("select[name=kind] option[value=crossing]").await;
    s.click("select[name=severity] option[value=major]").await;
    s.type_into("[data-testid=point-title]", "西门口无信号灯路口").await;
    s.type_into("input[name=address]", "海曙区西门口中山西路").await;
    s.click("[data-testid=point-save]").await;
    s.wait_text("[data-testid=point-state]", "已发现").await;
    // A photo of the crossing as found.
    let found = profile.path().join("crossing.png");
    std::fs::write(&found, ningan::modules::life::demo::png([120, 120, 120])).unwrap();
    client
        .find(Locator::Css("[data-testid=add-photos]"))
        .await
        .unwrap()
        .send_keys(&found.display().to_string())
        .await
        .unwrap();
    s.click("[data-testid=add-photos-save]").await;
    s.text("[data-testid=point-photos] img").await;
    let point_url = client.current_url().await.unwrap().to_string();
    let point_path = point_url.trim_start_matches(&app.base).split('?').next().unwrap().to_string();
    s.logout().await;

    // The district branch assigns it to the Transport Bureau.
    s.login("branch", PASSWORD).await;
    s.go(&point_path).await;
    s.click("[data-testid=step-department] option[value=transport]").await;
    s.click("[data-testid=step-assign]").await;
    s.wait_text("[data-testid=point-state]", "整改中").await;
    s.text("[data-testid=point-department]").await;
    s.logout().await;

    // The bureau reports the work: without a photo it is refused beside the field, with one it
    // waits for verification.
    s.login("dept", &pw("dept")).await;
    s.go(&point_path).await;
    s.click("[data-testid=measure-kind-0] option[value=lighting]").await;
    s.type_into("[data-testid=measure-qty-0]", "2").await;
    s.click("[data-testid=step-rectify]").await;
    s.wait_text("[data-testid=error-photos]", "照片").await;
    let photo = profile.path().join("signal.png");
    std::fs::write(&photo, ningan::modules::life::demo::png([200, 200, 0])).unwrap();
    s.click("[data-testid=measure-kind-0] option[value=lighting]").await;
    let qty = client.find(Locator::Css("[data-testid=measure-qty-0]")).await.unwrap();
    qty.clear().await.unwrap();
    qty.send_keys("2").await.unwrap();
    client
        .find(Locator::Css("[data-testid=step-photos]"))
        .await
        .unwrap()
        .send_keys(&photo.display().to_string())
        .await
        .unwrap();
    s.type_into("[data-testid=step-note]", "已加装信号灯两组").await;
    s.click("[data-testid=step-rectify]").await;
    s.wait_text("[data-testid=point-state]", "待验收").await;
    s.text("[data-testid=point-photos]").await;
    s.logout().await;

    // The officer verifies on site; the branch closes it.
    s.login("officer", &pw("officer")).await;
    s.go(&point_path).await;
    s.type_into("[data-testid=step-note]", "现场核查，信号灯运行正常").await;
    s.click("[data-testid=step-verify]").await;
    s.wait_text("[data-testid=point-state]", "已验收").await;
    s.logout().await;
    s.login("branch", PASSWORD).await;
    s.go(&point_path).await;
    s.click("[data-testid=step-close]").await;
    s.wait_text("[data-testid=point-state]", "已销号").await;
    assert!(s.text("[data-testid=point-events]").await.contains("信号灯"));
    s.shot("life-point-closed").await;
    s.go("/life").await;
    let closed_after: i64 = s.text("[data-testid=count-closed]").await.parse().unwrap();
    assert_eq!(closed_after, closed_before + 1, "the district's figures change");

    // Helmet rates with their intervals, on the map and in the tables; the sample form fits a phone.
    s.go("/life/helmets").await;
    assert!(s.text("[data-testid=rates-road]").await.contains('–'), "rates come with intervals");
    assert!(wait_positive_attr(&client, "[data-testid=helmet-map]", "data-markers").await > 0);
    s.shot("life-helmets").await;
    s.logout().await;
    client.set_window_size(390, 844).await.unwrap();
    s.login("officer", &pw("officer")).await;
    s.go("/life/helmets").await;
    s.text("[data-testid=sample-form]").await;
    assert_no_sideways_scroll(&client, "/life/helmets").await;
    s.go("/life/deaths").await;
    s.text("[data-testid=deaths-by-kind]").await;
    assert_no_sideways_scroll(&client, "/life/deaths").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_dispatched_by_road_driven_to_and_cleared_while_a_second_board_watches() {
    // The demo's patrols drive units without devices; a minute of driving takes a second.
    let app = spawn_app_configured(Backend::Sqlite, |c| {
        c.modules.insert("command".into(), json!({"patrols": true, "patrol_speedup": 60.0}));
    })
    .await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    let api = app.login_with("commander", &pw("commander")).await;
    let haishu = app.unit("330203").await;
    let compounds = app.db.compounds_with_counts(&ningan_store::Scope::subtree(&haishu.path)).await.unwrap();
    let place = &compounds.first().expect("the demo has compounds in Haishu").0;

    let (taker_client, _d1, _p1) = browser().await;
    let (board_client, _d2, _p2) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let taker = Session { c: &taker_client, base: app.base.clone(), shots: shots.clone() };
    let board = Session { c: &board_client, base: app.base.clone(), shots };

    // The watcher opens the board: live, with the demo's open incidents and its units.
    board.login("commander", &pw("commander")).await;
    board.go("/command").await;
    board.wait_text("[data-testid=board-live]", "实时").await;
    assert!(board.text("[data-testid=board-free]").await.parse::<i64>().unwrap() > 0, "units are available");

    // The call-taker notes the day's arrivals, then takes a call: the place found by name.
    taker.login("commander", &pw("commander")).await;
    taker.go("/command/figures").await;
    taker.text("[data-testid=fig-districts]").await;
    // A district without a call yet today has no row.
    let arrived_before: i64 = match taker_client.find(Locator::Css("[data-testid=fig-arrived-330203]")).await {
        Ok(el) => el.text().await.unwrap().parse().unwrap(),
        Err(_) => 0,
    };
    taker.go("/command").await;
    taker.click("[data-testid=new-call]").await;
    taker.text("[data-testid=call-form]").await;
    taker.type_into("[data-testid=place-q]", &place.name).await;
    taker.click("[data-testid=place-go]").await;
    taker.click_when("[data-testid=place-0]").await;
    let lon = taker_client.find(Locator::Css("[data-testid=call-lon]")).await.unwrap().prop("value").await.unwrap();
    assert!(lon.is_some_and(|v| v.starts_with("121.")), "choosing the place fills the coordinates");
    taker.type_into("[data-testid=call-phone]", "13800138000").await;
    taker.click("select[name=category] option[value='traffic.collision']").await;
    taker.click("select[name=priority] option[value=urgent]").await;
    taker.type_into("[data-testid=call-narrative]", "两车相撞，一人受伤，车辆占道").await;
    taker.click("[data-testid=call-save]").await;
    taker.wait_text("[data-testid=incident-stage]", "已受理").await;
    assert_eq!(taker.text("[data-testid=incident-caller]").await, "138****8000", "the caller's number is masked");
    let url = taker_client.current_url().await.unwrap().to_string();
    let id: i64 =
        url.trim_start_matches(&app.base).split('?').next().unwrap().rsplit('/').next().unwrap().parse().unwrap();
    taker.shot("command-proposal").await;

    // The second browser has it already.
    board.wait_text(&format!("[data-testid=stage-{id}]"), "已受理").await;

    // The nearest unit by road is proposed first; the call-taker sends it.
    let unit: i64 = taker_client
        .find(Locator::Css("[data-testid=propose-1]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    // The patrols keep idle units moving (a minute a second), so the order can change between
    // the page's read and the API's; the ranking itself is checked against the road graph in
    // `command::the_nearest_unit_by_road_is_sent_and_its_device_moves_it_to_the_scene`.
    let (_, proposal) = api.get(&format!("/api/command/incidents/{id}/proposal?k=20")).await;
    let ranked: Vec<i64> = proposal.as_array().unwrap().iter().filter_map(|p| p["unit_id"].as_i64()).collect();
    assert!(ranked.contains(&unit), "the page proposes one of the units the API does: {unit} in {proposal}");
    taker.click("[data-testid=dispatch]").await;
    taker.text("[data-testid=done]").await;
    board.text(&format!("[data-testid=unit-{unit}]")).await;

    // It drives there by itself; both pages follow without reloading.
    taker.wait_text_within("[data-testid=incident-stage]", "已到场", 90).await;
    board.wait_text_within(&format!("[data-testid=stage-{id}]"), "已到场", 15).await;
    board.wait_text(&format!("[data-testid=unit-{unit}]"), "现场").await;
    board.shot("command-board").await;
    assert!(taker.text("[data-testid=interval-en_route]").await.contains(':'), "under way was stamped");

    // Cleared: every interval recorded, the arrival measured, the unit free again.
    taker.type_into("[data-testid=step-note]", "双方协商处理，车辆已挪离").await;
    taker.click("[data-testid=step-clear]").await;
    taker.wait_text("[data-testid=incident-stage]", "已处结").await;
    for key in ["received", "answered", "dispatched", "en_route", "on_scene", "cleared"] {
        assert!(taker.text(&format!("[data-testid=interval-{key}]")).await.contains(':'), "{key} stamped");
    }
    taker.text("[data-testid=on-target]").await;
    board.wait_gone(&format!("[data-incident='{id}']")).await;
    board.wait_gone(&format!("[data-unit='{unit}']")).await;

    let (_, d) = api.get(&format!("/api/command/incidents/{id}")).await;
    assert_eq!(d["incident"]["district"], 330203, "{d}");
    taker.go("/command/figures").await;
    let arrived_after: i64 = taker.text("[data-testid=fig-arrived-330203]").await.parse().unwrap();
    assert_eq!(arrived_after, arrived_before + 1, "the district's compliance figures count the arrival");

    // The board and the call form fit a phone.
    taker_client.set_window_size(390, 844).await.unwrap();
    for page in ["/command", "/command/incidents/new", "/command/duty"] {
        taker.go(page).await;
        taker.text("h1").await;
        assert_no_sideways_scroll(&taker_client, page).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spiking_story_becomes_a_stations_task_and_is_answered() {
    let app = spawn_app(Backend::Sqlite).await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    let officer = app.db.user_by_username("officer").await.unwrap();
    let station = app.db.unit_get(&ningan_store::Scope::everything(), officer.unit_id).await.unwrap();
    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };

    // The analyst sees the story spike on the board and its alert waiting.
    s.login("commander", &pw("commander")).await;
    s.go("/opinion").await;
    assert!(s.text("[data-testid=open-alerts]").await.parse::<i64>().unwrap() >= 1, "the demo's story raised an alert");
    assert!(painted_pixels(&client, "[data-testid=topics-chart]").await > 0, "the topics' hours are drawn");
    assert!(s.text("[data-testid=stories]").await.contains("暴雨"), "the reposted story leads the day");
    s.shot("opinion-board").await;
    s.go("/opinion/alerts?state=open").await;
    s.click("[data-testid=alerts] tbody a").await;
    s.wait_text("[data-testid=alert-state]", "待研判").await;
    assert!(painted_pixels(&client, "[data-testid=alert-chart]").await > 0);
    let url = client.current_url().await.unwrap().to_string();
    let alert_path = url.trim_start_matches(&app.base).to_string();
    s.click(&format!("[data-testid=assign-unit] option[value='{}']", station.id)).await;
    s.click("[data-testid=alert-assign]").await;
    s.wait_text("[data-testid=alert-state]", "已交办").await;
    assert!(s.text("[data-testid=alert-unit]").await.contains(&station.name), "the officer's station has it");
    s.logout().await;

    // The station answers: an empty answer is refused beside the field, a real one taken.
    s.login("officer", &pw("officer")).await;
    s.go("/opinion/alerts").await;
    s.click("[data-testid=alerts] tbody a").await;
    s.wait_text("[data-testid=alert-state]", "已交办").await;
    s.click("[data-testid=alert-answer]").await;
    s.text("[data-testid=error-note]").await;
    s.type_into("[data-testid=alert-note]", "已到天童南路现场，积水已排，被困车辆全部拖离，道路恢复通行").await;
    s.click("[data-testid=alert-answer]").await;
    s.wait_text("[data-testid=alert-state]", "已回复").await;
    s.shot("opinion-answered").await;
    s.go("/opinion").await;
    s.text("h1").await;
    assert!(
        client.current_url().await.unwrap().path() != "/opinion" || s.text("body").await.contains("无权"),
        "the board is the analysts'"
    );
    s.logout().await;

    // The analyst reads the answer and closes the alert.
    s.login("commander", &pw("commander")).await;
    s.go(&alert_path).await;
    assert!(s.text("[data-testid=alert-reply]").await.contains("恢复通行"));
    s.click("[data-testid=alert-close]").await;
    s.wait_text("[data-testid=alert-state]", "已办结").await;
    assert!(s.text("[data-testid=alert-events]").await.contains("已回复"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typhoon_evacuates_the_coast_into_shelters_while_the_commander_watches_the_map() {
    // `ningan demo --scenario typhoon`, slowed so that the rise can be watched.
    let app = spawn_app_configured(Backend::Sqlite, |c| {
        c.modules.insert("emergency".into(), serde_json::json!({"scenario": "typhoon", "households_per_minute": 60}));
    })
    .await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };

    s.login("commander", &pw("commander")).await;
    s.go("/emergency").await;
    s.wait_text_within("[data-testid=events]", "烟花", 30).await;
    s.click("[data-testid=events] tbody a").await;
    s.wait_text("[data-testid=event-state]", "进行中").await;
    assert!(s.text("[data-testid=warnings]").await.contains("象山县沿海"), "the coast was warned");
    // The map shows the people in shelters; it rises while the stations work the lists.
    let sheltered = || async { s.text("[data-testid=map-sheltered]").await.trim().parse::<i64>().unwrap_or(-1) };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut first = sheltered().await;
    while first <= 0 {
        assert!(std::time::Instant::now() < deadline, "nobody reached a shelter");
        tokio::time::sleep(Duration::from_millis(500)).await;
        first = sheltered().await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let now = sheltered().await;
        if now > first {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "occupancy stayed at {first} on the map");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(painted_pixels(&client, "[data-testid=situation-map]").await > 0, "the map is drawn");
    // (Read from the page: the map redraws its layer every few seconds.)
    let labels = client
        .execute("return [...document.querySelectorAll('.shelter-label')].map(e => e.textContent);", vec![])
        .await
        .unwrap();
    let labels: Vec<String> = serde_json::from_value(labels).unwrap();
    assert!(!labels.is_empty(), "shelters with people carry their occupancy on the map");
    assert!(labels.iter().all(|l| l.contains('/')), "staying/places: {labels:?}");
    s.shot("typhoon-map").await;

    // The figures refresh themselves; the stations' table and the report agree.
    s.wait_text_within("[data-testid=fig-sheltered]", "", 10).await;
    assert!(!s.text("[data-testid=stations]").await.is_empty());
    s.click("[data-testid=to-report]").await;
    s.wait_text("[data-testid=report-summary]", "列入转移名单").await;
    assert!(s.text("[data-testid=report-shelters]").await.contains("避灾安置点"));
    s.shot("typhoon-report").await;

    // On a phone the situation page fits the screen.
    client.set_window_size(390, 844).await.unwrap();
    s.go("/emergency").await;
    s.click("[data-testid=events] tbody a").await;
    s.text("[data-testid=situation-map]").await;
    assert_no_sideways_scroll(&client, "/emergency/events").await;
    client.set_window_size(1400, 1000).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_checks_in_at_a_centenary_post_and_the_board_counts_them() {
    let app = spawn_app(Backend::Sqlite).await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    let officer = app.db.user_by_username("officer").await.unwrap();
    // Where the demo posted the officer (they stand there with their phone).
    let (lon, lat): (f64, f64) = ningan_store::sql::query_as(
        "SELECT p.lon, p.lat FROM sec_assignments a JOIN sec_posts p ON p.id = a.post_id WHERE a.user_id = $1",
    )
    .bind(officer.id)
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };

    s.login("officer", &pw("officer")).await;
    s.go("/security").await;
    s.click("[data-testid=plans] tbody a").await;
    s.wait_text("[data-testid=my-post]", "我的岗位").await;
    let before: i64 = s.text("[data-testid=fig-checked]").await.trim().parse().unwrap();
    // From across the river it is refused, with the distance beside the field.
    s.type_into("[data-testid=checkin-lon]", &format!("{:.6}", lon + 0.02)).await;
    s.type_into("[data-testid=checkin-lat]", &format!("{lat:.6}")).await;
    s.click("[data-testid=checkin-save]").await;
    s.wait_text("[data-testid=error-lon]", "米").await;
    let lon_in = client.find(Locator::Css("[data-testid=checkin-lon]")).await.unwrap();
    lon_in.clear().await.unwrap();
    lon_in.send_keys(&format!("{:.6}", lon + 0.0003)).await.unwrap();
    let lat_in = client.find(Locator::Css("[data-testid=checkin-lat]")).await.unwrap();
    lat_in.clear().await.unwrap();
    lat_in.send_keys(&format!("{lat:.6}")).await.unwrap();
    s.click("[data-testid=checkin-save]").await;
    s.wait_text("[data-testid=my-checked-in]", "已于").await;
    assert_eq!(s.text("[data-testid=fig-checked]").await.trim().parse::<i64>().unwrap(), before + 1);
    assert!(s.text("[data-testid=plan-incidents]").await.contains("人员走失"), "the missing child is on the board");
    assert!(painted_pixels(&client, "[data-testid=plan-map]").await > 0);
    s.shot("security-checked-in").await;
    s.logout().await;

    // The commander's board shows the officer at the post.
    s.login("commander", &pw("commander")).await;
    s.go("/security").await;
    s.click("[data-testid=plans] tbody a").await;
    assert!(s.text("[data-testid=posts]").await.contains(&format!("{} ✓", officer.display_name)));
    s.go("/").await;
    s.wait_text("[data-counter=security_checked_in] .figure", &(before + 1).to_string()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_investigator_imports_records_finds_the_gang_and_its_leader_and_saves_the_chart() {
    let app = spawn_app(Backend::Sqlite).await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    let files = tempfile::tempdir().unwrap();
    let (calls, transfers, gang) = common::gangs::gang_files(40_000, 5);
    let calls_csv = files.path().join("话单.csv");
    let transfers_csv = files.path().join("流水.csv");
    std::fs::write(&calls_csv, calls).unwrap();
    std::fs::write(&transfers_csv, transfers).unwrap();
    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };

    s.login("detective", &pw("detective")).await;
    s.go("/investigation").await;
    s.shot("investigation-cases").await;
    let case_link = client
        .find(Locator::XPath("//table[@data-testid='cases']//tr[td[contains(., '开设赌场案')]]//a"))
        .await
        .unwrap();
    case_link.click().await.unwrap();
    s.wait_text("[data-testid=case-title]", "开设赌场").await;
    let case_url = client.current_url().await.unwrap().to_string();
    for (kind, file, rows) in [("calls", &calls_csv, "话单"), ("transfers", &transfers_csv, "流水")] {
        s.go(case_url.trim_start_matches(&app.base)).await;
        client
            .find(Locator::Css(&format!("[data-testid=import-kind] option[value={kind}]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .find(Locator::Css("[data-testid=import-file]"))
            .await
            .unwrap()
            .send_keys(&file.display().to_string())
            .await
            .unwrap();
        s.click("[data-testid=import-save]").await;
        s.wait_text_within("[data-testid=import-state]", "已完成", 90).await;
        assert_eq!(s.text("[data-testid=import-refused]").await.trim(), "0", "{rows}: nothing refused");
    }
    s.shot("investigation-import").await;

    // The chart: groups of people in touch at least three times; the tightest is the gang,
    // its core member the leader.
    s.click("[data-testid=to-chart]").await;
    let min = client.find(Locator::Css("[data-testid=link-min-count]")).await.unwrap();
    min.clear().await.unwrap();
    min.send_keys("3").await.unwrap();
    s.click("[data-testid=link-groups]").await;
    let leader = ningan_core::idnumber::mask_id_str(&gang[0]);
    s.wait_text_within("[data-testid=group-leader-1]", &leader, 60).await;
    s.wait_text("[data-testid=group-1]", &format!("{} 人", gang.len())).await;
    wait_attr(&client, "[data-testid=link-canvas]", "data-nodes", &gang.len().to_string()).await;
    assert!(painted_pixels(&client, "[data-testid=link-canvas]").await > 0, "the chart is drawn");
    client.execute("document.querySelector('[data-testid=link-canvas]').scrollIntoView()", vec![]).await.unwrap();
    s.shot("investigation-groups").await;
    s.type_into("[data-testid=link-title]", "赌场团伙结构").await;
    s.click("[data-testid=link-save]").await;
    s.wait_text("[data-testid=link-status]", "已保存").await;
    s.shot("investigation-chart").await;
    s.go(case_url.trim_start_matches(&app.base)).await;
    s.wait_text("[data-testid=chart-versions]", "赌场团伙结构").await;
    // In English, nothing the interface itself says is left in Chinese (titles are data).
    s.click("[data-testid=lang-switch]").await;
    s.wait_text("[data-testid=lang-switch]", "中文").await;
    let path = case_url.trim_start_matches(&app.base).to_string();
    for p in ["/investigation".to_string(), path.clone(), format!("{path}/chart")] {
        s.go(&p).await;
        s.text("h1").await;
        let chrome = interface_text(&client, ", summary").await;
        let left = han(&chrome);
        assert!(chrome.contains("Investigation") && left.is_empty(), "{p} in English still says “{left}” in: {chrome}");
    }
    // On a phone, the case and its chart fit the screen's width.
    client.set_window_size(390, 844).await.unwrap();
    for p in [path.clone(), format!("{path}/chart")] {
        s.go(&p).await;
        s.text("h1").await;
        assert_no_sideways_scroll(&client, &p).await;
    }
    s.shot("investigation-phone").await;
    client.set_window_size(1400, 1000).await.unwrap();
    s.click("[data-testid=lang-switch]").await;
    s.wait_text("[data-testid=lang-switch]", "English").await;
    s.logout().await;

    // A colleague of the same brigade, not on the team: the case and its chart do not exist.
    s.login("detective2", &pw("detective2")).await;
    s.go("/investigation").await;
    assert!(!s.text("[data-testid=cases]").await.contains("开设赌场"), "not listed");
    let path = case_url.trim_start_matches(&app.base).to_string();
    for p in [path.clone(), format!("{path}/chart")] {
        s.go(&p).await;
        s.wait_text("main", "未找到").await;
    }
    s.shot("investigation-outsider").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_answers_the_survey_on_a_phone_and_the_commander_reads_it_on_the_wall() {
    let app = spawn_app(Backend::Sqlite).await;
    let logins = ningan::demo::ensure(&app.db, &ningan::demo::DemoSpec { people: 2000, seed: 11, trace_dir: None })
        .await
        .unwrap();
    let pw = |u: &str| logins.iter().find(|l| l.username == u).unwrap().password.clone();
    // The demo's survey: a wave a month for a year and this month's, answers in every district.
    let wave: i64 =
        ningan_store::sql::query_scalar("SELECT MAX(id) FROM ev_waves").fetch_one(app.db.reader()).await.unwrap();
    let waves: i64 =
        ningan_store::sql::query_scalar("SELECT COUNT(*) FROM ev_waves").fetch_one(app.db.reader()).await.unwrap();
    let districts: i64 =
        ningan_store::sql::query_scalar("SELECT COUNT(DISTINCT district) FROM ev_answers WHERE wave_id = $1")
            .bind(wave - 1)
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    let scenarios: i64 =
        ningan_store::sql::query_scalar("SELECT COUNT(*) FROM ev_scenarios").fetch_one(app.db.reader()).await.unwrap();
    assert_eq!((waves, districts, scenarios), (13, 10, 42));
    let mut w = app.db.write().await.unwrap();
    let tokens = ningan::modules::evaluation::store::links::issue(
        &mut w,
        &actor(),
        &ningan::modules::evaluation::store::links::Target::Wave(wave),
        330203,
        1,
        ningan_core::time::now_ms(),
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };

    // On a phone: sent without answers, each missing one is marked beside its question.
    client.set_window_size(390, 844).await.unwrap();
    s.go(&format!("/s/{}", tokens[0])).await;
    s.wait_text("h1", "安全感").await;
    assert_no_sideways_scroll(&client, "survey form").await;
    client
        .execute("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))", vec![])
        .await
        .unwrap();
    s.click("[data-testid=survey-submit]").await;
    s.wait_text("[data-testid=error-security]", "请回答此题").await;
    s.wait_text("[data-testid=error-sex]", "").await;
    s.shot("survey-refused").await;
    for css in [
        "input[name=sex][value=female]",
        "input[name=age_band][value='45-59']",
        "input[name='q.security'][value='4']",
        "input[name='q.approval'][value='5']",
        "input[name='q.concern'][value='1']",
        "input[name='q.contact'][value='2']",
    ] {
        s.click(css).await;
    }
    s.click("[data-testid=survey-submit]").await;
    s.wait_text("[data-testid=survey-done]", "感谢").await;
    s.shot("survey-done").await;
    // The same link again: used, in English too.
    s.go(&format!("/language/en?next=/s/{}", tokens[0])).await;
    s.wait_text("[data-testid=survey-stop]", "has been used").await;
    assert_eq!(han(&interface_text(&client, ", h1, p").await), "", "the English page has no Chinese");
    s.go(&format!("/language/zh?next=/s/{}", tokens[0])).await;

    // The commander: the results with their map, then the wall with every module.
    client.set_window_size(1440, 900).await.unwrap();
    s.login("commander", &pw("commander")).await;
    s.go("/evaluation").await;
    assert!(s.text("[data-testid=security-index]").await.ends_with('%'));
    s.go(&format!("/evaluation/waves/{wave}")).await;
    s.wait_text("[data-testid=districts]", "海曙").await;
    wait_positive_attr(&client, "[data-testid=security-map] canvas", "width").await;
    assert!(painted_pixels(&client, "[data-testid=security-map]").await > 0, "the districts are coloured");
    assert!(painted_pixels(&client, "[data-testid=trend]").await > 0, "the trend is drawn");
    s.shot("survey-results").await;
    s.go("/cockpit/wall").await;
    s.wait_text("[data-testid=wall]", "测评与评议").await;
    let blocks = client.find_all(Locator::Css("[data-testid=wall-block]")).await.unwrap().len();
    assert_eq!(blocks, ningan::modules::ALL.iter().flat_map(|m| m.panels).count());
    wait_positive_attr(&client, "[data-testid=wall-map] canvas", "width").await;
    assert!(painted_pixels(&client, "[data-testid=wall-map]").await > 0);
    s.shot("wall").await;
    // The month's report, as it prints.
    s.go("/evaluation/reports/preview").await;
    s.wait_text("[data-testid=report-title]", "工作月报").await;
    assert!(client.find_all(Locator::Css("section[data-module] svg")).await.unwrap().len() >= 10);
    s.shot("monthly-report").await;
    // In English, nothing the interface itself says is left in Chinese (names are data); on a
    // phone, the pages fit the screen's width.
    let round: i64 =
        ningan_store::sql::query_scalar("SELECT MAX(id) FROM ev_rounds").fetch_one(app.db.reader()).await.unwrap();
    s.go("/").await;
    s.click("[data-testid=lang-switch]").await;
    s.wait_text("[data-testid=lang-switch]", "中文").await;
    let pages = [
        "/evaluation".to_string(),
        format!("/evaluation/waves/{wave}"),
        "/evaluation/questionnaires/1".to_string(),
        "/evaluation/reviews".to_string(),
        format!("/evaluation/reviews/{round}"),
        "/evaluation/scenarios".to_string(),
        "/evaluation/reports".to_string(),
    ];
    for p in &pages {
        s.go(p).await;
        s.text("h1").await;
        let chrome = interface_text(&client, "").await;
        let left = han(&chrome);
        assert!(left.is_empty(), "{p} in English still says “{left}” in: {chrome}");
    }
    client.set_window_size(390, 844).await.unwrap();
    for p in &pages {
        s.go(p).await;
        s.text("h1").await;
        assert_no_sideways_scroll(&client, p).await;
    }
    s.shot("evaluation-phone").await;
    client.set_window_size(1440, 900).await.unwrap();
    s.click("[data-testid=lang-switch]").await;
    s.wait_text("[data-testid=lang-switch]", "English").await;
}

// A station records a visitor on the visitors page (a refused field shown beside itself
// first); the visitor and a registered neighbour share a restaurant and the case's cell with
// the case; the epidemiologist finds the visitor among the close contacts, the companions
// (resident, visitor and an unregistered number) on their tab and in the graph, and exports
// the companion list with its rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_investigation_lists_a_visitor_and_companions_and_exports_them() {
    use chrono::Utc;
    let app = spawn_app(Backend::Sqlite).await;
    let station = app.station(330203, 1).await;
    app.user("officer", &[ningan_core::Role::StationOfficer], station.id).await;
    app.user("epi", &[ningan_core::Role::Epidemiologist], station.id).await;
    app.user("admin", &[ningan_core::Role::Administrator], station.id).await;
    let case = app.resident("病例辰", 330203, 31, station.id).await;
    app.resident("邻居巳", 330203, 32, station.id).await;

    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };
    s.login("officer", PASSWORD).await;
    s.go("/precise/visitors").await;
    s.click("details summary").await;
    s.type_into("[data-testid=visitor-name]", "访客午").await;
    s.click("[data-testid=visitor-document-type] option[value=passport]").await;
    s.type_into("[data-testid=visitor-document]", "G12345678").await;
    s.type_into("[data-testid=visitor-phone]", "17011112222").await;
    s.click("[data-testid=visitor-submit]").await;
    s.wait_text("[data-testid=error-staying_address]", "").await;
    assert!(!s.text("[data-testid=error-staying_address]").await.is_empty(), "the address is asked for beside it");
    let kept = client.find(Locator::Css("[data-testid=visitor-name]")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("访客午"), "what was typed is kept");
    s.type_into("[data-testid=visitor-address]", "海曙区某宾馆502").await;
    s.click("[data-testid=visitor-submit]").await;
    s.wait_text("[data-testid=visitors] tbody", "访客午").await;
    assert!(!s.text("[data-testid=visitors] tbody").await.contains("G12345678"), "the document is masked");
    s.shot("visitors").await;
    s.logout().await;

    let officer = app.login("officer").await;
    let visitor = officer.get("/api/visitors?q=访客午").await.1["items"][0]["id"].as_i64().unwrap();
    let (_, v) = officer
        .post(
            "/api/venues",
            json!({"name": "鼓楼面馆", "kind": "restaurant", "address": "中山西路1号", "unit_id": station.id, "lon": 121.55, "lat": 29.87}),
        )
        .await;
    let code = v["code"].as_str().unwrap().to_string();
    let ago = |h: i64| (Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    let (s1, r) = officer
        .post(
            "/api/checkins",
            json!({"checkins": [
                {"resident_id": case, "venue_code": code, "at": ago(30), "left_at": ago(29)},
                {"visitor_id": visitor, "venue_code": code, "at": ago(30), "left_at": ago(29)},
            ]}),
        )
        .await;
    assert_eq!((s1, r["accepted"].as_u64()), (200, Some(2)), "{r}");
    let (_, t) =
        app.login("admin").await.post("/api/tokens", json!({"name": "运营商", "scopes": ["cellstay.write"]})).await;
    let carrier = app.bearer(t["secret"].as_str().unwrap());
    let stay = |phone: &str, from: i64, to: i64| json!({"phone": phone, "lat": 29.8683, "lng": 121.5440, "at": ago(from), "left_at": ago(to)});
    let (s2, r) = carrier
        .post(
            "/api/cellstays",
            json!({"stays": [stay("13912340031", 12, 2), stay("13912340032", 8, 7), stay("17011112222", 6, 5), stay("17099990000", 4, 3)]}),
        )
        .await;
    assert_eq!((s2, r["accepted"].as_u64()), (200, Some(4)), "{r}");
    let epi_api = app.login("epi").await;
    let (_, c) =
        epi_api.post("/api/cases", json!({"resident_id": case, "status": "confirmed", "onset_at": ago(1)})).await;
    let case_id = c["id"].as_i64().unwrap();

    s.login("epi", PASSWORD).await;
    s.go(&format!("/precise/cases/{case_id}")).await;
    s.wait_text("[data-testid=contacts] tbody", "访客午").await;
    assert!(!s.text("[data-testid=contacts] [data-testid=visitor-contact]").await.is_empty(), "marked as a visitor");
    s.click("[data-testid=tab-companion]").await;
    s.wait_text("[data-testid=contacts] tbody", "邻居巳").await;
    let companions = s.text("[data-testid=contacts] tbody").await;
    assert!(companions.contains("访客午") && companions.contains("P-000001"), "{companions}");
    assert!(painted_pixels(&client, "[data-testid=transmission-graph]").await > 200, "the graph is drawn");
    s.shot("companions").await;
    let href = client
        .find(Locator::Css("[data-testid=export-csv]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(href.contains("tier=companion"), "the export follows the tab: {href}");
    let csv = epi_api.raw_get(&href).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 4, "header and three companions: {csv}");
    assert!(csv.contains("邻居巳") && csv.contains("时空伴随 (10 min / 30 h / 14 d)"), "{csv}");
    assert!(!csv.contains("17099990000") && !csv.contains("17011112222"), "no number in the list: {csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_changes_an_item_with_a_reason_and_sees_its_versions() {
    let app = spawn_app(Backend::Sqlite).await;
    let bureau = app.unit("330200").await;
    app.user("admin", &[ningan_core::Role::Administrator], bureau.id).await;

    let (client, _driver, _profile) = browser().await;
    let shots = std::env::var("NINGAN_SCREENSHOTS").ok().map(std::path::PathBuf::from);
    let s = Session { c: &client, base: app.base.clone(), shots };
    s.login("admin", PASSWORD).await;
    s.go("/services/catalogue").await;
    assert_eq!(s.text("[data-testid=count-citywide]").await, "49");
    assert_eq!(s.text("[data-testid=count-crosscity]").await, "33");
    s.click("[data-testid=catalogue-filters] select[name=reach] option[value=crosscity]").await;
    s.click("[data-testid=catalogue-filters] button").await;
    s.wait_text("[data-testid=catalogue]", "亲属关系证明").await;
    s.shot("catalogue").await;
    s.click("[data-testid=catalogue] tr[data-code=kinship-certificate] a").await;
    s.wait_text("h1", "亲属关系证明").await;
    // The typed form: the purpose is a choice with its options.
    let kind = client.find(Locator::Css("select[name='fields.3.kind']")).await.unwrap();
    assert_eq!(kind.prop("value").await.unwrap().as_deref(), Some("choice"));
    // A change without a reason is refused beside the reason, and what was typed stays.
    let limit = client.find(Locator::Css("input[name=time_limit_days]")).await.unwrap();
    limit.clear().await.unwrap();
    limit.send_keys("2").await.unwrap();
    s.click("[data-testid=item-save]").await;
    s.wait_text("[data-testid=error-reason]", "理由").await;
    let kept = client.find(Locator::Css("input[name=time_limit_days]")).await.unwrap();
    assert_eq!(kept.prop("value").await.unwrap().as_deref(), Some("2"));
    s.type_into("input[name=reason]", "窗口即时出具，时限缩短").await;
    s.click("[data-testid=item-save]").await;
    s.wait_text("[data-testid=saved]", "已保存").await;
    s.wait_text("[data-testid=item-versions] tr[data-version='2']", "时限缩短").await;
    assert!(s.text("[data-testid=item-versions] tr[data-version='2']").await.contains("办理时限"));
    s.shot("catalogue-item-versions").await;

    // In English the page says nothing in Chinese but the item's own data; on a phone
    // neither page scrolls sideways.
    s.click("[data-testid=lang-switch]").await;
    s.wait_text("[data-testid=lang-switch]", "中文").await;
    for path in ["/services/catalogue", "/services/catalogue/kinship-certificate", "/services/catalogue/new"] {
        s.go(path).await;
        s.text("h1").await;
        let chrome = interface_text(&client, "").await;
        let left = han(&chrome);
        assert!(left.is_empty(), "{path} in English still says “{left}” in: {chrome}");
    }
    client.set_window_size(390, 844).await.unwrap();
    for path in ["/services/catalogue", "/services/catalogue/kinship-certificate"] {
        s.go(path).await;
        s.text("h1").await;
        assert_no_sideways_scroll(&client, path).await;
    }
}
