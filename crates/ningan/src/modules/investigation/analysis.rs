//! Link analysis of a case: its records as a `ningan-link` graph, built when first asked and
//! again when an import adds to it, and the investigator's questions — expand from chosen
//! entities, paths between two, where money went, and groups with their key members. Phones
//! and accounts with a known holder stand in the graph as that person (归户), so a gang shows
//! as people whether they called or paid each other.

use std::collections::HashMap;
use std::sync::Arc;

use ningan_link::{Filter, Graph, Kind, Relation, centrality, communities};

use super::InvestigationState;
use super::store::records::{self, Entity, entity_kind_label, mask_key};
use crate::app::AppState;
use crate::http::error::{ApiError, ApiResult};

/// A case's graph with the mapping between its node numbers and the case's entities.
pub struct CaseGraph {
    version: (i64, i64),
    pub graph: Graph,
    /// The entity each node stands for.
    pub rep: Vec<i64>,
    node_of: HashMap<i64, u32>,
    /// Phones and accounts folded into each node (their holder's).
    held: Vec<Vec<i64>>,
    entities: HashMap<i64, Entity>,
    names: HashMap<i64, String>,
    groups: std::sync::Mutex<HashMap<String, Arc<Vec<Group>>>>,
}

fn kind_of(s: &str) -> Kind {
    match s {
        "call" => Kind::Call,
        "transfer" => Kind::Transfer,
        "copresence" => Kind::CoPresence,
        _ => Kind::Tie,
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Call => "call",
        Kind::Transfer => "transfer",
        Kind::CoPresence => "copresence",
        Kind::Tie => "tie",
    }
}

/// The case's graph, rebuilt if its records changed since it was built.
pub async fn graph(state: &AppState, inv: &InvestigationState, case_id: i64) -> ApiResult<Arc<CaseGraph>> {
    let version = records::version(&state.db, case_id).await?;
    if let Some(g) = inv.graphs.lock().map_err(|_| ApiError::internal("graph cache poisoned"))?.get(&case_id)
        && g.version == version
    {
        return Ok(g.clone());
    }
    // One build per case at a time; whoever waited finds it built.
    let _building = inv.building.lock().await;
    if let Some(g) = inv.graphs.lock().map_err(|_| ApiError::internal("graph cache poisoned"))?.get(&case_id)
        && g.version == version
    {
        return Ok(g.clone());
    }
    let entities = records::entities(&state.db, case_id).await?;
    let edges = records::edges(&state.db, case_id).await?;
    let residents: Vec<i64> = entities.iter().filter_map(|e| e.resident_id).collect();
    let names = records::resident_names(&state.db, &residents).await?;
    let built = tokio::task::spawn_blocking(move || build(version, entities, edges, names))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let built = Arc::new(built);
    let mut cache = inv.graphs.lock().map_err(|_| ApiError::internal("graph cache poisoned"))?;
    // A handful of cases stay built; the one asked for now replaces the oldest.
    if cache.len() >= 8
        && !cache.contains_key(&case_id)
        && let Some(&old) = cache.keys().next()
    {
        cache.remove(&old);
    }
    cache.insert(case_id, built.clone());
    Ok(built)
}

fn build(
    version: (i64, i64),
    entities: Vec<Entity>,
    edges: Vec<records::Edge>,
    names: HashMap<i64, String>,
) -> Result<CaseGraph, ningan_link::LinkError> {
    let by_id: HashMap<i64, Entity> = entities.iter().map(|e| (e.id, e.clone())).collect();
    let (mut rep, mut node_of) = (Vec::new(), HashMap::new());
    // People and unheld entities first get nodes; held phones and accounts join their holder's.
    for e in &entities {
        let folded = matches!(e.kind.as_str(), "phone" | "account") && e.holder.is_some_and(|h| by_id.contains_key(&h));
        if !folded {
            node_of.insert(e.id, rep.len() as u32);
            rep.push(e.id);
        }
    }
    let mut held = vec![Vec::new(); rep.len()];
    let mut ties = Vec::new();
    for e in &entities {
        if let Some(h) = e.holder
            && let Some(&hn) = node_of.get(&h)
        {
            if matches!(e.kind.as_str(), "phone" | "account") {
                node_of.insert(e.id, hn);
                held[hn as usize].push(e.id);
            } else if let Some(&en) = node_of.get(&e.id) {
                ties.push(Relation { from: hn, to: en, kind: Kind::Tie, at: 0, amount: 0, record: 0 });
            }
        }
    }
    let mut relations = Vec::with_capacity(edges.len() + ties.len());
    for (id, src, dst, kind, at, amount) in edges {
        let (Some(&a), Some(&b)) = (node_of.get(&src), node_of.get(&dst)) else { continue };
        if a != b {
            relations.push(Relation {
                from: a,
                to: b,
                kind: kind_of(&kind),
                at,
                amount: amount.max(0),
                record: id as u64,
            });
        }
    }
    relations.extend(ties);
    let graph = Graph::build(rep.len() as u32, relations)?;
    Ok(CaseGraph { version, graph, rep, node_of, held, entities: by_id, names, groups: Default::default() })
}

/// How the chart asks: which kinds, in what window, how strong a link must be.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct FilterQuery {
    /// Comma-separated: call, transfer, copresence, tie. All when absent.
    #[serde(default)]
    #[schemars(regex(pattern = r"^(call|transfer|copresence|tie)(,(call|transfer|copresence|tie))*$"), extend("examples" = ["call,transfer"]))]
    pub kinds: Option<String>,
    /// Epoch ms, inclusive.
    #[serde(default, deserialize_with = "number")]
    #[schemars(extend("examples" = [1_700_000_000_000_i64]))]
    pub from: Option<i64>,
    /// Epoch ms, exclusive; after `from`.
    #[serde(default, deserialize_with = "number")]
    #[schemars(extend("examples" = [1_900_000_000_000_i64]))]
    pub to: Option<i64>,
    #[serde(default, deserialize_with = "number")]
    pub min_count: Option<u32>,
    /// Yuan.
    #[serde(default, deserialize_with = "number")]
    pub min_amount: Option<i64>,
}

impl FilterQuery {
    pub fn filter(&self) -> ApiResult<Filter> {
        let mut f = Filter::default();
        if let Some(k) = self.kinds.as_deref().filter(|k| !k.trim().is_empty()) {
            let mut kinds = Vec::new();
            for part in k.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match part {
                    "call" | "transfer" | "copresence" | "tie" => kinds.push(kind_of(part)),
                    _ => {
                        return Err(ApiError::field(
                            "kinds",
                            "关系类型应为 call、transfer、copresence、tie",
                            "kinds are call, transfer, copresence, tie",
                        ));
                    }
                }
            }
            f = f.kinds(&kinds);
        }
        if self.from.is_some() || self.to.is_some() {
            let (a, b) = (self.from.unwrap_or(i64::MIN), self.to.unwrap_or(i64::MAX));
            if a >= b {
                return Err(ApiError::field("to", "结束时间须晚于开始时间", "the window's end follows its start"));
            }
            f = f.window(a, b);
        }
        if let Some(n) = self.min_count {
            if !(1..=10_000).contains(&n) {
                return Err(ApiError::field("min_count", "最少次数应为1–10000", "min_count is 1 to 10000"));
            }
            f = f.min_count(n);
        }
        if let Some(y) = self.min_amount {
            if !(0..=10_000_000_000).contains(&y) {
                return Err(ApiError::field(
                    "min_amount",
                    "最少金额应为0–100亿元",
                    "min_amount is 0 to 10 billion yuan",
                ));
            }
            f = f.min_amount(y * 100);
        }
        Ok(f)
    }

    fn key(&self) -> String {
        format!("{:?}|{:?}|{:?}|{:?}|{:?}", self.kinds, self.from, self.to, self.min_count, self.min_amount)
    }
}

/// A number given as a number (JSON) or as text (a query string, which reaches a flattened
/// struct as text).
fn number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr + serde::Deserialize<'de>,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        Number(T),
        Text(String),
    }
    match <Option<Either<T>> as serde::Deserialize>::deserialize(d)? {
        None => Ok(None),
        Some(Either::Number(n)) => Ok(Some(n)),
        Some(Either::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Either::Text(t)) => {
            t.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("“{t}” is not a number")))
        }
    }
}

/// A node as the chart draws it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Node {
    /// The entity it stands for.
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    /// Masked: a person's name and masked ID number, a phone's or account's first and last
    /// digits.
    pub label: String,
    /// Phones and accounts folded into this person, masked.
    pub holds: Vec<String>,
    /// Steps from the entities the chart grew from.
    pub hop: Option<u32>,
    /// Its group, when groups were asked for.
    pub group: Option<usize>,
    #[serde(skip)]
    #[schemars(skip)]
    pub resident_id: Option<i64>,
}

/// A link: the records joining two nodes under the filter, summed.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct LinkDto {
    pub a: i64,
    pub b: i64,
    pub count: u32,
    /// Yuan, both ways.
    pub amount: f64,
    pub first: i64,
    pub last: i64,
    pub kinds: Vec<String>,
}

impl CaseGraph {
    /// The node of an entity of the case (a held phone's is its holder's).
    pub fn node(&self, entity: i64) -> Option<u32> {
        self.node_of.get(&entity).copied()
    }

    /// The entities a node's records are filed under: the entity, and what its person holds.
    pub fn stands_for(&self, entity: i64) -> Vec<i64> {
        let mut out = vec![entity];
        if let Some(n) = self.node(entity)
            && self.rep[n as usize] == entity
        {
            out.extend(self.held[n as usize].iter().copied());
        }
        out
    }

    pub fn node_dto(&self, n: u32, en: bool) -> Node {
        let id = self.rep[n as usize];
        let e = self.entities.get(&id);
        let kind = e.map(|e| e.kind.clone()).unwrap_or_default();
        let masked = e.map(|e| mask_key(&e.kind, &e.key)).unwrap_or_default();
        let resident_id = e.and_then(|e| e.resident_id);
        let label = match resident_id.and_then(|r| self.names.get(&r)) {
            Some(name) => format!("{name} {masked}"),
            None => masked,
        };
        let holds = self.held[n as usize]
            .iter()
            .filter_map(|h| self.entities.get(h))
            .map(|h| format!("{} {}", entity_kind_label(&h.kind, en), mask_key(&h.kind, &h.key)))
            .collect();
        Node {
            id,
            kind_label: entity_kind_label(&kind, en).into(),
            kind,
            label,
            holds,
            hop: None,
            group: None,
            resident_id,
        }
    }

    fn link_dto(&self, a: u32, l: &ningan_link::Link) -> LinkDto {
        LinkDto {
            a: self.rep[a as usize],
            b: self.rep[l.node as usize],
            count: l.count,
            amount: l.amount as f64 / 100.0,
            first: l.first,
            last: l.last,
            kinds: Kind::ALL
                .iter()
                .filter(|k| l.kinds & (1 << (**k as u8)) != 0)
                .map(|k| kind_name(*k).to_string())
                .collect(),
        }
    }

    /// The links among `nodes` under `f`.
    fn links_among(&self, nodes: &[u32], f: &Filter) -> Vec<LinkDto> {
        let set: std::collections::HashSet<u32> = nodes.iter().copied().collect();
        let mut out = Vec::new();
        for &n in nodes {
            for l in self.graph.neighbours(n, f) {
                if l.node > n && set.contains(&l.node) {
                    out.push(self.link_dto(n, &l));
                }
            }
        }
        out
    }
}

/// What the chart shows after a question.
#[derive(Debug, Clone, Default, serde::Serialize, schemars::JsonSchema)]
pub struct View {
    pub nodes: Vec<Node>,
    pub links: Vec<LinkDto>,
    /// Nodes whose links were not all shown, with how many were left out.
    pub left_out: Vec<LeftOutDto>,
    /// Paths found (entity ids end to end), for paths and money.
    pub paths: Vec<PathDto>,
    /// Whether more paths exist than were listed.
    pub more: bool,
    pub groups: Vec<Group>,
    /// Entities and relations in the whole case graph.
    pub entities: u32,
    pub relations: usize,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct LeftOutDto {
    pub id: i64,
    pub links: usize,
    pub dropped: usize,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PathDto {
    pub nodes: Vec<i64>,
    /// For money paths: yuan per hop, and what can have flowed the whole way.
    pub amounts: Vec<f64>,
    pub flow: Option<f64>,
}

/// A group found by community detection, with its members ranked by how central each is.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Group {
    pub index: usize,
    /// Records within the group per member: how tight it is.
    pub density: f64,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Member {
    pub id: i64,
    pub label: String,
    pub degree: u32,
    pub strength: u32,
    pub betweenness: f64,
    #[serde(skip)]
    #[schemars(skip)]
    pub resident_id: Option<i64>,
}

fn resolve(g: &CaseGraph, field: &'static str, entity: i64) -> ApiResult<u32> {
    g.node(entity).ok_or_else(|| {
        ApiError::field(field, "本案没有该对象", "no such entity in this case")
            .with_code("investigation.unknown_reference")
    })
}

fn finish(g: &CaseGraph, mut view: View, hops: &[(u32, u32)], f: &Filter, en: bool) -> View {
    let nodes: Vec<u32> = hops.iter().map(|h| h.0).collect();
    view.links = g.links_among(&nodes, f);
    view.nodes = hops.iter().map(|&(n, hop)| Node { hop: Some(hop), ..g.node_dto(n, en) }).collect();
    view.entities = g.graph.nodes();
    view.relations = g.graph.relations().len();
    view
}

/// Grows the chart from `seeds` by `hops` steps, at most `per_node` links followed from any
/// one node and `max_nodes` in all; what was not followed is reported.
pub fn expand(
    g: &CaseGraph,
    seeds: &[i64],
    hops: u32,
    f: &Filter,
    per_node: usize,
    max_nodes: usize,
    en: bool,
) -> ApiResult<View> {
    let seeds: Vec<u32> = seeds.iter().map(|&s| resolve(g, "seeds", s)).collect::<ApiResult<_>>()?;
    let x = g.graph.expand(&seeds, hops, f, per_node, max_nodes);
    let left_out = x
        .left_out
        .iter()
        .map(|l| LeftOutDto { id: g.rep[l.node as usize], links: l.links, dropped: l.dropped })
        .collect();
    Ok(finish(g, View { left_out, ..Default::default() }, &x.nodes, f, en))
}

/// Every shortest way between two entities (up to 20), or money paths over transfers.
pub fn paths(g: &CaseGraph, a: i64, b: i64, f: &Filter, money: bool, en: bool) -> ApiResult<View> {
    let (na, nb) = (resolve(g, "a", a)?, resolve(g, "b", b)?);
    let (found, more): (Vec<PathDto>, bool) = if money {
        let f = f.kinds(&[Kind::Transfer]);
        let ps = g.graph.money_paths(na, nb, &f, 6, 20);
        let list = ps
            .iter()
            .map(|p| PathDto {
                nodes: p.nodes.iter().map(|&n| g.rep[n as usize]).collect(),
                amounts: p.amounts.iter().map(|&a| a as f64 / 100.0).collect(),
                flow: Some(p.flow as f64 / 100.0),
            })
            .collect();
        (list, false)
    } else {
        let (ps, more) = g.graph.all_shortest_paths(na, nb, f, 6, 20);
        (
            ps.iter()
                .map(|p| PathDto {
                    nodes: p.iter().map(|&n| g.rep[n as usize]).collect(),
                    amounts: Vec::new(),
                    flow: None,
                })
                .collect(),
            more,
        )
    };
    let mut seen = Vec::new();
    for p in &found {
        for id in &p.nodes {
            if let Some(n) = g.node(*id)
                && !seen.contains(&n)
            {
                seen.push(n);
            }
        }
    }
    let hops: Vec<(u32, u32)> = seen.iter().map(|&n| (n, 0)).collect();
    let f = if money { f.kinds(&[Kind::Transfer]) } else { *f };
    Ok(finish(g, View { paths: found, more, ..Default::default() }, &hops, &f, en))
}

/// Groups of 3 to 60 members under `f`, tightest first (at most 20), each with its members
/// ranked by strength, then betweenness: the leader is usually first.
pub fn groups(g: &CaseGraph, q: &FilterQuery, en: bool) -> ApiResult<Arc<Vec<Group>>> {
    let f = q.filter()?;
    let key = q.key();
    if let Some(found) = g.groups.lock().map_err(|_| ApiError::internal("group cache poisoned"))?.get(&key) {
        return Ok(found.clone());
    }
    let c = communities(&g.graph, &f);
    let mut out = Vec::new();
    for members in c.members() {
        if !(3..=60).contains(&members.len()) {
            continue;
        }
        let cent = centrality(&g.graph, &f, &members);
        let strength: u32 = cent.iter().map(|c| c.strength).sum();
        // Members linked to nobody else in it are not part of a group.
        if cent.iter().filter(|c| c.degree > 0).count() < 3 {
            continue;
        }
        let mut ranked: Vec<Member> = cent
            .iter()
            .map(|c| {
                let d = g.node_dto(c.node, en);
                Member {
                    id: d.id,
                    label: d.label,
                    degree: c.degree,
                    strength: c.strength,
                    betweenness: c.betweenness,
                    resident_id: d.resident_id,
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.strength.cmp(&a.strength).then(b.betweenness.total_cmp(&a.betweenness)).then(a.id.cmp(&b.id))
        });
        out.push(Group { index: 0, density: f64::from(strength) / 2.0 / members.len() as f64, members: ranked });
    }
    out.sort_by(|a, b| b.density.total_cmp(&a.density));
    out.truncate(20);
    for (i, grp) in out.iter_mut().enumerate() {
        grp.index = i + 1;
    }
    let out = Arc::new(out);
    g.groups.lock().map_err(|_| ApiError::internal("group cache poisoned"))?.insert(key, out.clone());
    Ok(out)
}

/// The chart of one group: its members and the links among them.
pub fn group_view(g: &CaseGraph, groups: &[Group], index: Option<usize>, f: &Filter, en: bool) -> View {
    let mut view = View { groups: groups.to_vec(), ..Default::default() };
    let Some(grp) = index.and_then(|i| groups.iter().find(|x| x.index == i)) else {
        view.entities = g.graph.nodes();
        view.relations = g.graph.relations().len();
        return view;
    };
    let hops: Vec<(u32, u32)> = grp.members.iter().filter_map(|m| g.node(m.id)).map(|n| (n, 0)).collect();
    let mut view = finish(g, view, &hops, f, en);
    for n in &mut view.nodes {
        n.group = Some(grp.index);
    }
    view
}

/// Residents named in a view, for the audit.
pub fn persons(view: &View) -> Vec<i64> {
    let mut out: Vec<i64> = view
        .nodes
        .iter()
        .filter_map(|n| n.resident_id)
        .chain(view.groups.iter().flat_map(|g| g.members.iter().filter_map(|m| m.resident_id)))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A saved chart drawn again: its entities and the links among them under its filter.
pub fn view_of(g: &CaseGraph, ids: &[i64], f: &Filter, en: bool) -> View {
    let mut nodes = Vec::new();
    for id in ids {
        if let Some(n) = g.node(*id)
            && !nodes.contains(&n)
        {
            nodes.push(n);
        }
    }
    let hops: Vec<(u32, u32)> = nodes.iter().map(|&n| (n, 0)).collect();
    finish(g, View::default(), &hops, f, en)
}
