//! Evaluation in the demo city: the city's survey of the sense of security and approval with
//! a wave each month for the past year (answers in every district, older people a little
//! over-represented as phone samples are, so weighting matters) and this month's wave open
//! with links to try; a public review round open over every branch and station with
//! ratings, comments and some replies; and the catalogue of 42 cross-agency scenarios.

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use ningan_core::DISTRICTS;
use ningan_core::survey::{AgeBand, Question, Sex, Value};
use ningan_store::UnitKind;
use rand::Rng;

use super::store::links::{self, Target};
use super::store::reviews::{self, NewRating, NewRound};
use super::store::scenarios::{self, Fields};
use super::store::surveys::{self, NewAnswer, NewQuestionnaire, NewWave};
use crate::demo::DemoContext;

pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "evaluation", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

fn questions() -> Vec<Question> {
    let mut qs = super::pages::starter_questions();
    let choice =
        |key: &str, kind: &str, text: &str, text_en: &str, opts: &[&str], en: &[&str], required: bool| Question {
            key: key.into(),
            kind: kind.into(),
            text: text.into(),
            text_en: text_en.into(),
            options: opts.iter().map(|s| s.to_string()).collect(),
            options_en: en.iter().map(|s| s.to_string()).collect(),
            scale: Vec::new(),
            scale_en: Vec::new(),
            required,
            index: None,
            positive_from: None,
        };
    qs.push(choice(
        "concern",
        "single",
        "您最关心的治安问题是？",
        "Which safety problem concerns you most?",
        &["电信网络诈骗", "交通安全", "盗窃", "邻里纠纷", "其他"],
        &["Telecom and online fraud", "Road safety", "Theft", "Disputes between neighbours", "Other"],
        true,
    ));
    qs.push(choice(
        "contact",
        "multi",
        "近一年您办理过哪些公安业务？",
        "Which police services have you used in the past year?",
        &["户籍办理", "出入境", "交通管理", "报警求助", "反诈咨询"],
        &["Household registration", "Exit and entry", "Traffic", "Calling 110", "Anti-fraud advice"],
        false,
    ));
    qs.push(Question {
        key: "advice".into(),
        kind: "text".into(),
        text: "您对公安工作的意见建议".into(),
        text_en: "Your suggestions for the police".into(),
        options: Vec::new(),
        options_en: Vec::new(),
        scale: Vec::new(),
        scale_en: Vec::new(),
        required: false,
        index: None,
        positive_from: None,
    });
    qs
}

/// A scale answer whose chance of counting (3 and up) is `p`.
fn scale_answer(rng: &mut impl Rng, p: f64) -> u32 {
    if rng.r#gen::<f64>() < p {
        // Among the positive, mostly 4 and 5.
        match rng.gen_range(0..10) {
            0..=1 => 3,
            2..=5 => 4,
            _ => 5,
        }
    } else if rng.r#gen::<f64>() < 0.6 {
        2
    } else {
        1
    }
}

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let mut rng = ctx.rng("evaluation");
    let city = ctx.db.unit_by_code(&ningan_core::district::NINGBO_CODE.to_string()).await?;
    let now = ningan_core::time::now_ms();
    let today = ningan_core::time::today_cst();
    let qs = questions();
    let mut w = ctx.db.write().await?;
    let new = NewQuestionnaire {
        title: "宁波市群众安全感和公安工作满意度调查",
        title_en: "Ningbo survey of the sense of security and approval of the police",
        unit_id: city.id,
        unit_path: &city.path,
    };
    let qid = surveys::questionnaire_insert(&mut w, &ctx.actor, &new, &qs, now).await?;
    w.commit().await?;
    let version = surveys::versions(ctx.db, qid).await?.into_iter().next().map(|v| v.id).unwrap_or(0);

    // The frame from the register, as a planned wave takes it.
    let adults = surveys::register_adults(ctx.db).await?;
    let frame_for = |year: i64| {
        let mut cells: std::collections::BTreeMap<(u32, Sex, AgeBand), i64> = Default::default();
        for (d, g, born, n) in &adults {
            if let (Some(s), Some(a)) = (Sex::of_register(g), AgeBand::of_age(year - born))
                && DISTRICTS.iter().any(|x| x.code as i64 == *d)
            {
                *cells.entry((*d as u32, s, a)).or_default() += n;
            }
        }
        cells
    };
    // District differences and a year's slow rise, around the report's 97 %.
    let base: Vec<(u32, f64)> =
        DISTRICTS.iter().enumerate().map(|(i, d)| (d.code, 0.955 + (i % 4) as f64 * 0.006)).collect();
    let mut answers = 0usize;
    let month0 = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    for back in (0..13u32).rev() {
        let first = month0.checked_sub_months(chrono::Months::new(back)).unwrap_or(month0);
        let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
        let cells = frame_for(first.year() as i64);
        let mut per_district: std::collections::BTreeMap<u32, i64> = DISTRICTS.iter().map(|d| (d.code, 0)).collect();
        for ((d, _, _), n) in &cells {
            *per_district.entry(*d).or_default() += n;
        }
        let targets = ningan_core::survey::allocate(600, &per_district.into_iter().collect::<Vec<_>>(), 30);
        let frame: Vec<(u32, &str, &str, i64)> =
            cells.iter().map(|((d, s, a), n)| (*d, s.as_str(), a.as_str(), *n)).collect();
        // Named by the month alone, which reads the same in both languages.
        let name = first.format("%Y-%m").to_string();
        let opens = super::service::day_ms(first);
        let closes = super::service::day_ms(next);
        let mut w = ctx.db.write().await?;
        let wave = surveys::wave_insert(
            &mut w,
            &ctx.actor,
            &NewWave {
                questionnaire_id: qid,
                version_id: version,
                name: &name,
                opens_at: opens,
                closes_at: closes,
                sample_size: 600,
                unit_id: city.id,
                unit_path: &city.path,
            },
            &frame,
            &targets,
            now,
        )
        .await?;
        let trend = (12 - back) as f64 * 0.0012;
        // This month's wave is under way: part of its sample is in.
        let share = if back == 0 { 0.4 } else { 1.0 };
        for (district, target) in &targets {
            let p_base = base.iter().find(|b| b.0 == *district).map(|b| b.1).unwrap_or(0.96) + trend;
            let n = (*target as f64 * share * rng.gen_range(0.9..1.05)) as i64;
            for _ in 0..n {
                let sex = if rng.r#gen::<f64>() < 0.46 { Sex::Male } else { Sex::Female };
                // Phone samples reach older people more often than the population holds them.
                let band = match rng.gen_range(0..100) {
                    0..=14 => AgeBand::From18,
                    15..=39 => AgeBand::From30,
                    40..=69 => AgeBand::From45,
                    _ => AgeBand::From60,
                };
                // Younger respondents feel a little less safe.
                let p = (p_base + if band == AgeBand::From18 { -0.02 } else { 0.005 }).min(0.995);
                let mut a = std::collections::BTreeMap::new();
                a.insert("security".to_string(), Value::One(scale_answer(&mut rng, p)));
                a.insert("approval".to_string(), Value::One(scale_answer(&mut rng, p - 0.003)));
                a.insert("concern".to_string(), Value::One(rng.gen_range(1..=5)));
                let picks: Vec<u32> = (1..=5).filter(|_| rng.r#gen::<f64>() < 0.3).collect();
                if !picks.is_empty() {
                    a.insert("contact".to_string(), Value::Many(picks));
                }
                let body = serde_json::to_string(&a)?;
                let day = first + chrono::Days::new(rng.gen_range(0..28));
                let day = if day > today { today } else { day };
                let new = NewAnswer {
                    wave_id: wave,
                    district: *district,
                    sex: sex.as_str(),
                    age_band: band.as_str(),
                    channel: if rng.r#gen::<f64>() < 0.6 { "phone" } else { "link" },
                    answers: &body,
                    received_on: &day.format("%Y-%m-%d").to_string(),
                };
                surveys::answer_insert(&mut w, &ctx.actor, &new).await?;
                answers += 1;
            }
        }
        if back == 0 {
            let tokens = links::issue(&mut w, &ctx.actor, &Target::Wave(wave), 330203, 5, now).await?;
            if let Some(t) = tokens.first() {
                eprintln!("测评链接（可试填，仅一次）/ a survey link to try (once): /s/{t}");
            }
        }
        w.commit().await?;
    }

    // The public review: this month, every branch and station.
    let units: Vec<(i64, String, String)> = ctx
        .db
        .units_in_scope(&ningan_store::Scope::subtree(&city.path))
        .await?
        .into_iter()
        .filter(|u| matches!(u.kind, UnitKind::District | UnitKind::Station))
        .map(|u| (u.id, u.path, u.name))
        .collect();
    let mut w = ctx.db.write().await?;
    let round = reviews::insert(
        &mut w,
        &ctx.actor,
        &NewRound {
            name: &format!("{}年度民主评议", today.year()),
            opens_at: super::service::day_ms(month0),
            closes_at: super::service::day_ms(month0 + chrono::Days::new(45)),
            unit_id: city.id,
            unit_path: &city.path,
        },
        &units.iter().map(|(id, p, _)| (*id, p.clone())).collect::<Vec<_>>(),
        now,
    )
    .await?;
    const COMMENTS: [&str; 6] = [
        "窗口办事很快，民警态度好",
        "希望晚上多巡逻",
        "反诈宣传到小区了，很有用",
        "电动车被盗后处理及时",
        "办户口跑了两次，希望能一次办好",
        "出警很快，点赞",
    ];
    let mut ratings = 0;
    for (i, (unit, _, _)) in units.iter().enumerate() {
        let lean = 4.2 + (i % 7) as f64 * 0.1;
        for _ in 0..rng.gen_range(12..30) {
            let score = (lean + rng.gen_range(-1.6..1.0)).round().clamp(1.0, 5.0) as i64;
            let comment = (rng.r#gen::<f64>() < 0.25).then(|| COMMENTS[rng.gen_range(0..COMMENTS.len())]);
            let day = month0 + chrono::Days::new(rng.gen_range(0..today.day0().max(1) as u64));
            let id = reviews::rate(
                &mut w,
                &ctx.actor,
                &NewRating {
                    round_id: round,
                    unit_id: *unit,
                    score,
                    comment,
                    channel: "link",
                    received_on: &day.format("%Y-%m-%d").to_string(),
                },
            )
            .await?;
            if comment.is_some() && rng.r#gen::<f64>() < 0.3 {
                reviews::reply(&mut w, &ctx.actor, id, *unit, "感谢您的意见，我们已安排落实。", now).await?;
            }
            ratings += 1;
        }
    }
    links::issue(&mut w, &ctx.actor, &Target::Round(round), 330203, 5, now).await?;

    // The scenarios catalogue.
    for (name, name_en, module, partners, status, counter, figures) in SCENARIOS {
        let partners: Vec<String> = partners.split('、').map(String::from).collect();
        let f = Fields {
            name,
            name_en,
            owner_unit_id: city.id,
            owner_path: &city.path,
            partners: &partners,
            module,
            status,
            counter: Some(counter).filter(|c| !c.is_empty()),
            figures,
            launched_on: Some("2021-06-30"),
        };
        scenarios::insert(&mut w, &ctx.actor, &f, now).await?;
    }
    w.commit().await?;
    eprintln!(
        "已生成测评：13轮 {answers} 份答卷、民主评议 {ratings} 份评分、{} 个应用场景 / surveys: 13 waves, {answers} answers; review: {ratings} ratings; {} scenarios",
        SCENARIOS.len(),
        SCENARIOS.len()
    );
    Ok(())
}

/// The bureau's 42 cross-agency application scenarios: name, English name, module,
/// partners, status, the cockpit counter shown live, figures.
const SCENARIOS: [(&str, &str, &str, &str, &str, &str, &str); 42] = [
    (
        "疫情流调溯源",
        "Epidemic tracing and source finding",
        "precise",
        "市卫健委、市疾控中心、市大数据局",
        "live",
        "active_cases",
        "流调时间压缩至4小时",
    ),
    ("场所码扫码登记", "Venue-code check-ins", "precise", "市大数据局、市商务局", "live", "", "覆盖全市公共场所"),
    (
        "密接次密接闭环管控",
        "Close contacts in a closed loop",
        "precise",
        "市卫健委、各区县（市）政府",
        "live",
        "followups_open",
        "",
    ),
    ("集中隔离点管理", "Quarantine sites", "precise", "市卫健委、市文广旅游局", "live", "in_quarantine", ""),
    ("小区智能门岗", "Smart compound gates", "precise", "市住建局、街道社区", "live", "", "通行码离线核验"),
    ("来甬人员排查", "Arrivals screening", "precise", "市交通局、铁路、民航", "live", "", ""),
    ("管控区域划定", "Control zones", "precise", "市卫健委、各区县（市）政府", "live", "zones", ""),
    (
        "反诈预警劝阻",
        "Fraud warning and dissuasion",
        "fraud",
        "运营商、银行、支付机构",
        "live",
        "fraud_dissuaded",
        "劝阻成功率持续提升",
    ),
    (
        "涉诈资金紧急止付",
        "Emergency payment stops",
        "fraud",
        "人民银行宁波市中心支行、各商业银行",
        "live",
        "fraud_protected_yuan",
        "",
    ),
    ("涉诈号码网址拦截", "Fraud numbers and sites blocked", "fraud", "运营商、市委网信办", "live", "", ""),
    ("反诈宣传进社区", "Anti-fraud talks in communities", "fraud", "街道社区、学校、企业", "live", "", ""),
    ("群众反诈查询举报", "Public fraud check and report", "fraud", "运营商", "live", "", ""),
    (
        "无证明办事",
        "Certificate-free services",
        "services",
        "市大数据局、市民政局、市卫健委",
        "live",
        "paperless_pct",
        "证明材料减少",
    ),
    (
        "户籍业务全城通办",
        "Household registration anywhere in the city",
        "services",
        "各区县（市）公安分局",
        "live",
        "applications_decided",
        "",
    ),
    (
        "身份信息变更联办",
        "Identity changes handled jointly",
        "services",
        "市人社局、市医保局、不动产登记中心、银行",
        "live",
        "deliveries_acknowledged",
        "",
    ),
    ("跨市通办", "Cross-city handling", "services", "长三角城市公安机关", "live", "", ""),
    ("出入境业务网上办", "Exit and entry online", "services", "国家移民管理局", "pilot", "", ""),
    ("一企一警", "One officer per enterprise", "enterprise", "市经信局、市商务局", "live", "liaison_on_rhythm", ""),
    (
        "11087帮企服务",
        "11087 help for enterprises",
        "enterprise",
        "市营商办、市市场监管局",
        "live",
        "enterprise_requests_open",
        "",
    ),
    ("涉企警情快处", "Fast handling of incidents at firms", "enterprise", "各工业园区管委会", "live", "", ""),
    (
        "交通隐患点排查整治",
        "Traffic hazard points",
        "life",
        "市交通局、市住建局、市城管局",
        "live",
        "life_rectified",
        "1.5万余处隐患点整改",
    ),
    (
        "防溺水四位一体",
        "Drowning prevention, four in one",
        "life",
        "市教育局、市水利局、街道社区",
        "live",
        "life_drownings",
        "溺亡人数大幅下降",
    ),
    (
        "电动自行车头盔佩戴",
        "E-bike helmets",
        "life",
        "市交通局、市市场监管局",
        "live",
        "life_helmet_urban",
        "城市道路佩戴率95%",
    ),
    ("非正常死亡分析", "Abnormal-death analysis", "life", "市卫健委、市应急局", "live", "", ""),
    ("110智能接处警", "110 call handling", "command", "市应急联动中心", "live", "command_calls", ""),
    ("警力智能调度", "Dispatch by road", "command", "市交通局", "live", "command_on_target", ""),
    ("勤务动态管理", "Duty and mobilisation", "command", "各区县（市）公安分局", "live", "", ""),
    ("警情舆情联动", "Incidents and opinion together", "opinion", "市委网信办", "live", "opinion_open", ""),
    ("网络舆情预警处置", "Online opinion alerts", "opinion", "市委网信办、市委宣传部", "live", "opinion_assigned", ""),
    (
        "抗台防汛群众转移",
        "Typhoon evacuation",
        "emergency",
        "市应急局、市水利局、街道社区",
        "live",
        "emergency_sheltered",
        "",
    ),
    ("避灾安置点管理", "Shelters", "emergency", "市民政局、市教育局", "live", "emergency_occupancy", ""),
    ("灾时道路封控", "Road closures in disasters", "emergency", "市交通局、市城管局", "live", "", ""),
    ("重大活动安保", "Major-event security", "security", "活动主办单位、市文广旅游局", "live", "security_staffed", ""),
    ("大型活动人流监测", "Crowd monitoring at events", "security", "市大数据局、运营商", "pilot", "", ""),
    (
        "合成作战研判",
        "Synthesized investigation",
        "investigation",
        "市检察院、市法院",
        "live",
        "investigation_solved",
        "",
    ),
    (
        "扫黑除恶线索核查",
        "Organised-crime leads",
        "investigation",
        "市扫黑办、市纪委监委",
        "live",
        "investigation_gangs",
        "",
    ),
    ("涉案资金查控", "Tracing criminal money", "investigation", "人民银行宁波市中心支行、各商业银行", "live", "", ""),
    (
        "群众安全感测评",
        "Sense-of-security survey",
        "evaluation",
        "市统计局、国家统计局宁波调查队",
        "live",
        "evaluation_security_bp",
        "安全感97.31%",
    ),
    (
        "民主评议",
        "Public review",
        "evaluation",
        "市委组织部、市纪委监委",
        "live",
        "evaluation_rounds_open",
        "位列市级单位第一",
    ),
    ("实有人口动态管理", "Population register", "residents", "市卫健委、市民政局", "live", "residents", ""),
    ("出租房屋管理", "Rented housing", "residents", "市住建局、街道社区", "pilot", "households", ""),
    ("流动人口服务", "Services for newcomers", "residents", "市人社局、市教育局", "planned", "", ""),
];
