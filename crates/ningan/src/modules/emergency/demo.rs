//! Typhoon and flood response in the demo city: three shelters per district (schools, a
//! sports hall, a cultural centre) at compounds of its stations, with places for half of
//! the district's residents between them; and needs for about one resident in fifty —
//! most supplied by an agency (civil affairs, the disabled persons' federation, health),
//! the rest recorded with the person's consent. The typhoon itself is `scenario.rs`.

use anyhow::Result;
use ningan_core::emergency::{Basis, Need};
use ningan_store::sql::{RowExt as _, query};
use rand::Rng;

use super::store::{households, shelters};
use crate::demo::DemoContext;

pub const DEMO: crate::demo::DemoPart =
    crate::demo::DemoPart { name: "typhoon and flood response", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

const SITES: [&str; 3] = ["实验小学避灾安置点", "全民健身中心避灾安置点", "文化中心避灾安置点"];

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let mut rng = ctx.rng("emergency");
    let now = ningan_core::time::now_ms();
    let rows = query("SELECT c.id, c.name, c.address, c.lon, c.lat, c.unit_id, c.unit_path, \
                      (SELECT COUNT(*) FROM residents r WHERE r.compound_id = c.id) AS people FROM compounds c ORDER BY c.id")
        .fetch_all(ctx.db.reader())
        .await?;
    let mut w = ctx.db.write().await?;
    let mut made = 0;
    for d in ningan_core::district::DISTRICTS.iter() {
        let prefix = format!("/{}/{}/", ningan_core::district::NINGBO_CODE, d.code);
        let mut here = Vec::new();
        let mut people = 0i64;
        for r in &rows {
            let path: String = r.try_get("unit_path")?;
            if path.starts_with(&prefix) {
                people += r.try_get::<i64, _>("people")?;
                here.push(r);
            }
        }
        if here.is_empty() {
            continue;
        }
        let capacity = (people / 2 / SITES.len() as i64).clamp(30, 20_000);
        // Three different compounds, so that no two shelters stand on one spot.
        let picks = rand::seq::index::sample(&mut rng, here.len(), SITES.len().min(here.len()));
        for (i, (site, pick)) in SITES.iter().zip(picks.iter()).enumerate() {
            let r = here[pick];
            let unit_path: String = r.try_get("unit_path")?;
            let address: String = r.try_get("address")?;
            let name = format!("{}{}", d.name.trim_end_matches(['区', '县', '市']), site);
            let new = shelters::NewShelter {
                name: &name,
                address: &format!("{address}旁"),
                lon: r.try_get::<f64, _>("lon")? + 0.0008 * (i as f64 - 1.0),
                lat: r.try_get::<f64, _>("lat")? + 0.0006,
                capacity,
                unit_id: r.try_get("unit_id")?,
                unit_path: &unit_path,
            };
            shelters::insert(&mut w, &ctx.actor, &new, now).await?;
            made += 1;
        }
    }
    let people = query("SELECT id, unit_path FROM residents ORDER BY id").fetch_all(ctx.db.reader()).await?;
    let mut needs = 0;
    for p in &people {
        if rng.gen_range(0..50) != 0 {
            continue;
        }
        let need = match rng.gen_range(0..20) {
            0..=9 => Need::ElderlyAlone,
            10..=14 => Need::Disabled,
            15..=17 => Need::Pregnancy,
            _ => Need::Dialysis,
        };
        let (basis, source) = match (rng.gen_range(0..10), need) {
            (0..=2, _) => (Basis::Consent, "本人签字同意（社区民警登记）"),
            (_, Need::ElderlyAlone) => (Basis::Agency, "区民政局"),
            (_, Need::Disabled) => (Basis::Agency, "区残疾人联合会"),
            (_, _) => (Basis::Agency, "区卫生健康局"),
        };
        let unit_path: String = p.try_get("unit_path")?;
        let new =
            households::NewNeed { resident_id: p.try_get("id")?, need, basis, source, unit_path: &unit_path, at: now };
        households::need_insert(&mut w, &ctx.actor, &new).await?;
        needs += 1;
    }
    w.commit().await?;
    eprintln!("已生成 {made} 个避灾安置点、{needs} 条困难群众需求 / {made} shelters, {needs} recorded needs");
    Ok(())
}
