//! Posts through the engine on one core: NDJSON parsed, cut by jieba with the city's names in
//! the dictionary, scored, matched against the shipped topics, fingerprinted and grouped —
//! posts a second. With `--write DIR` it also leaves the posts, the user dictionary and the
//! first `--sample` posts' cuts there for bench/opinion/peer.py, which does the same work
//! with Python's jieba and compares the cuts. Arguments: [--posts N] [--write DIR] [--sample N]

use std::io::Write as _;
use std::time::Instant;

use ningan_opinion::{Analyzer, Groups, RuleSet, Segmenter};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

const PLACES: &[&str] = &[
    "海曙区",
    "江北区",
    "北仑区",
    "镇海区",
    "鄞州区",
    "奉化区",
    "余姚市",
    "慈溪市",
    "宁海县",
    "象山县",
    "海曙西门派出所",
    "鄞州中河派出所",
    "北仑湖畔派出所",
    "天一广场",
    "东部新城",
    "梅山港区",
    "三江口",
    "老外滩",
];

const TEMPLATES: &[&str] = &[
    "{p}今天暴雨，{r}积水严重，好几辆车被困，希望有关部门尽快处理",
    "感谢{p}的民警，帮我找回了丢失的钱包，非常及时，点赞！",
    "{p}{r}发生一起车祸，两车追尾，现在堵车很厉害，大家绕行",
    "接到自称客服的电话让我转账，差点被骗，提醒大家注意反诈",
    "{p}有人在小区门口打架，警察很快就到了，处理得很专业",
    "投诉{p}办事效率太低，排了两个小时队还没办好，非常失望",
    "台风要来了，{p}已经开始转移沿海群众，辛苦一线的工作人员",
    "今天去{p}办身份证，窗口工作人员很耐心，整个过程很方便",
    "{p}一家工厂门口工人聚集讨薪，拉了横幅，不知道怎么解决",
    "{r}的红绿灯坏了，早高峰特别乱，希望交警来看看",
    "周末带孩子去{p}玩，人很多但秩序很好，安全感满满",
    "听说{p}又有电动车被盗，小区监控是摆设吗？",
];

const ROADS: &[&str] = &["中山路", "解放路", "世纪大道", "环城南路", "药行街", "百丈路", "江东北路", "机场路"];

fn post(rng: &mut ChaCha8Rng, n: usize) -> String {
    let t = TEMPLATES[rng.gen_range(0..TEMPLATES.len())];
    let text =
        t.replace("{p}", PLACES[rng.gen_range(0..PLACES.len())]).replace("{r}", ROADS[rng.gen_range(0..ROADS.len())]);
    serde_json::json!({"id": format!("p{n}"), "source": "weibo", "text": text, "at": "2026-11-30T08:00:00+08:00"})
        .to_string()
}

/// A post as the API takes it; the text borrowed from the line when it has no escapes.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Post<'a> {
    id: &'a str,
    source: &'a str,
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
    at: &'a str,
}

fn main() {
    let n: usize = arg("--posts").and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let sample: usize = arg("--sample").and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let lines: Vec<String> = (0..n).map(|i| post(&mut rng, i)).collect();
    let rules = RuleSet::parse(ningan_opinion::rules::DEFAULT).expect("shipped rules");
    let names: Vec<&str> = PLACES.iter().copied().chain(ROADS.iter().copied()).collect();
    let started = Instant::now();
    let segmenter = Segmenter::new(names.iter().copied().chain(rules.words()));
    let analyzer = Analyzer::new(segmenter, rules);
    let load = started.elapsed();

    let mut groups = Groups::default();
    let (mut next, mut topical, mut negative) = (1i64, 0usize, 0usize);
    let started = Instant::now();
    for line in &lines {
        let post: Post = serde_json::from_str(line).expect("a post");
        let a = analyzer.analyze(&post.text);
        topical += usize::from(!a.topics.is_empty());
        negative += usize::from(a.mood == ningan_opinion::Mood::Negative);
        if groups.find(a.simhash).is_none() {
            groups.insert(next, a.simhash);
            next += 1;
        }
    }
    let took = started.elapsed();
    let rate = n as f64 / took.as_secs_f64();
    println!("dictionary loaded with {} city names in {:.2} s", names.len(), load.as_secs_f64());
    println!(
        "ningan-opinion: {n} posts in {:.2} s on one core: {:.0} posts/s (goal ≥ 50,000); {} topical, {} negative, {} groups",
        took.as_secs_f64(),
        rate,
        topical,
        negative,
        groups.len()
    );

    if arg("--parts").is_some() {
        let texts: Vec<String> = lines
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["text"].as_str().unwrap().to_string())
            .collect();
        let t = Instant::now();
        let pieces: usize = texts.iter().map(|x| analyzer.segmenter.cut(x).len()).sum();
        println!("  cut alone: {:.2} s ({pieces} pieces)", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let words: Vec<Vec<std::borrow::Cow<str>>> = texts.iter().map(|x| analyzer.segmenter.words(x)).collect();
        println!("  words: {:.2} s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let h: u64 = words.iter().map(|w| ningan_opinion::simhash(w)).fold(0, |a, b| a ^ b);
        println!("  simhash: {:.2} s ({h:x})", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let s: f64 = words.iter().map(|w| analyzer.lexicon.score(w).0).sum();
        println!("  sentiment: {:.2} s ({s:.0})", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let m: usize = words.iter().map(|w| analyzer.rules.matching(w, true).len()).sum();
        println!("  topics: {:.2} s ({m})", t.elapsed().as_secs_f64());
    }

    if let Some(dir) = arg("--write") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("the output folder");
        std::fs::write(dir.join("posts.ndjson"), lines.join("\n")).expect("posts");
        let dict: Vec<String> =
            names.iter().copied().chain(analyzer.rules.words()).map(|w| format!("{w} 1000 ns")).collect();
        std::fs::write(dir.join("userdict.txt"), dict.join("\n")).expect("dictionary");
        let mut cuts = std::io::BufWriter::new(std::fs::File::create(dir.join("rust_cuts.txt")).expect("cuts"));
        for line in lines.iter().take(sample) {
            let v: serde_json::Value = serde_json::from_str(line).expect("a post");
            writeln!(cuts, "{}", analyzer.segmenter.cut(v["text"].as_str().unwrap_or_default()).join("/"))
                .expect("cut");
        }
        println!("rate_rust {rate:.0}");
    }
}
