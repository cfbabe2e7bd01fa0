//! Public opinion in the demo city: a week of synthetic posts — thanks and complaints about
//! stations, traffic, fraud warnings, the weather — shaped by the hour of the day, and in the
//! last full hour one story reposted again and again (heavy rain flooding a Yinzhou road with
//! cars trapped), which raises the flood topic's alert through the same ingest as a feed.

use anyhow::Result;
use rand::Rng;

use super::ingest::PostIn;
use crate::demo::DemoContext;

pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "public opinion", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

/// Relative posts by hour of the day.
const BY_HOUR: [u32; 24] = [3, 2, 1, 1, 1, 2, 4, 7, 9, 9, 8, 8, 9, 8, 7, 7, 8, 9, 10, 11, 12, 11, 8, 5];

const TEMPLATES: &[&str] = &[
    "感谢{s}的民警，帮我找回了丢失的钱包，非常及时，点赞！",
    "今天去{s}办身份证，窗口工作人员很耐心，整个过程很方便",
    "投诉{s}，办事效率太低，排了两个小时队还没办好，非常失望",
    "{d}{r}发生一起车祸，两车追尾，现在堵车很厉害，大家绕行",
    "{r}的红绿灯坏了，早高峰特别乱，希望交警来看看",
    "接到自称客服的电话让我转账，差点被骗，提醒大家注意反诈",
    "{d}有人在小区门口打架，警察很快就到了，处理得很专业",
    "听说{d}又有电动车被盗，小区监控是摆设吗？",
    "周末带孩子去{d}玩，人很多但秩序很好，安全感满满",
    "{d}一家工厂门口工人聚集讨薪，拉了横幅，不知道怎么解决",
    "{d}今天下雨，{r}有点积水，开车注意",
    "宁波今天天气不错，适合出去走走",
];

const ROADS: &[&str] = &["中山路", "解放路", "世纪大道", "环城南路", "药行街", "百丈路", "江东北路", "机场路"];

/// The story of the last hour, and the ways it is reposted.
const STORY: &str = "鄞州区暴雨，天童南路积水严重，好几辆车被困水中，有人爬上车顶求救，希望尽快救援！";
const REPOSTS: &[&str] = &["", "转发：", "#宁波暴雨# ", "太吓人了 ", "扩散！"];

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let mut rng = ctx.rng("opinion");
    let now = ningan_core::time::now_ms();
    let stations: Vec<&str> = ctx.stations.iter().map(|s| s.name.as_str()).collect();
    anyhow::ensure!(!stations.is_empty(), "posts name stations");
    let districts: Vec<&str> = ningan_core::district::DISTRICTS.iter().map(|d| d.name).collect();
    let per_day = (ctx.spec.people / 20).clamp(200, 5_000) as u32;
    let weight: u32 = BY_HOUR.iter().sum();
    let hour_now = super::store::posts::hour_of(now);
    let mut batch: Vec<(usize, PostIn)> = Vec::new();
    let mut n = 0usize;
    let mut push = |text: String, at: i64, batch: &mut Vec<(usize, PostIn)>| {
        n += 1;
        let source = ["weibo", "wechat", "douyin", "forum"][n % 4];
        batch.push((
            n,
            PostIn {
                id: format!("demo-{n}"),
                source: source.into(),
                text,
                url: String::new(),
                author: format!("user{}", n % 997),
                at: ningan_core::time::rfc3339_ms(at),
            },
        ));
    };
    for h in (hour_now - 7 * 24)..hour_now {
        let of_day = (h + 8).rem_euclid(24) as usize;
        let count = (per_day * BY_HOUR[of_day] + weight / 2) / weight;
        for _ in 0..count {
            let t = TEMPLATES[rng.gen_range(0..TEMPLATES.len())];
            let text = t
                .replace("{s}", stations[rng.gen_range(0..stations.len())])
                .replace("{d}", districts[rng.gen_range(0..districts.len())])
                .replace("{r}", ROADS[rng.gen_range(0..ROADS.len())]);
            push(text, h * 3_600_000 + rng.gen_range(0..3_600_000), &mut batch);
        }
    }
    // The last full hour: the story, reposted.
    let spike_hour = hour_now - 1;
    for _ in 0..(per_day / 4).max(60) {
        let prefix = REPOSTS[rng.gen_range(0..REPOSTS.len())];
        push(format!("{prefix}{STORY}"), spike_hour * 3_600_000 + rng.gen_range(0..3_600_000), &mut batch);
    }
    batch.sort_by_key(|(_, p)| p.at.clone());
    let rules = ningan_opinion::RuleSet::parse(ningan_opinion::rules::DEFAULT)?;
    let engine =
        std::sync::Arc::new(super::engine::build(ctx.db, rules, ningan_opinion::rules::DEFAULT.to_string()).await?);
    let mut groups = None;
    let (mut accepted, mut alerts) = (0, 0);
    for chunk in batch.chunks(super::ingest::MAX_BATCH) {
        let report = super::ingest::run(ctx.db, &engine, &mut groups, &ctx.actor, chunk.to_vec(), Vec::new(), now)
            .await
            .map_err(|e| anyhow::anyhow!("demo posts: {}", e.detail_en))?;
        accepted += report.accepted;
        alerts += report.alerts.len();
    }
    tracing::info!(posts = accepted, alerts, "demo: public opinion");
    Ok(())
}
