//! The residents of the demo city: spread over districts by population share and over each
//! district's stations, with valid synthetic ID numbers (the district's region code, a
//! plausible birth date, a real check digit), mobile numbers and addresses. Streamed in
//! batches, so ten million residents need no more memory than ten thousand.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{Duration, NaiveDate};
use ningan_core::district::DISTRICTS;
use ningan_core::{IdNumber, Phone};
use ningan_store::{BulkResident, OrgUnit};
use rand::Rng;

use super::names::{GIVEN, ROADS, SURNAMES};
use super::{DemoContext, pick};

const BATCH: usize = 10_000;

/// How many of `total` residents each district gets; the remainder goes to the largest.
pub fn district_counts(total: u64) -> Vec<(u32, u64)> {
    let mut counts: Vec<(u32, u64)> = DISTRICTS
        .iter()
        .map(|d| (d.code, (total as f64 * d.population_share).floor() as u64))
        .collect();
    let assigned: u64 = counts.iter().map(|c| c.1).sum();
    if let Some(largest) = counts.iter_mut().max_by(|a, b| a.1.cmp(&b.1)) {
        largest.1 += total - assigned;
    }
    counts
}

/// Hands out ID numbers unique within the run: per region and birth date the sequence part
/// starts at a random point and counts on from there, moving to the next day when a day's
/// thousand numbers are used up.
#[derive(Default)]
struct IdAllocator {
    used: HashMap<(u32, NaiveDate), (u16, u16)>,
}

impl IdAllocator {
    fn next(&mut self, rng: &mut impl Rng, region: u32, mut birth: NaiveDate) -> IdNumber {
        loop {
            let (start, n) = self
                .used
                .entry((region, birth))
                .or_insert_with(|| (rng.gen_range(0..1000), 0));
            if *n < 1000 {
                let seq = (*start + *n) % 1000;
                *n += 1;
                return IdNumber::synthesize(region, birth, seq);
            }
            birth += Duration::days(1);
        }
    }
}

/// Ages shaped roughly like a city's: few over 80, many of working age.
fn birth_date(rng: &mut impl Rng, today: NaiveDate) -> NaiveDate {
    let age_years = match rng.gen_range(0..100) {
        0..=14 => rng.gen_range(0..15),
        15..=79 => rng.gen_range(15..60),
        80..=95 => rng.gen_range(60..80),
        _ => rng.gen_range(80..100),
    };
    today - Duration::days(age_years * 365 + rng.gen_range(0..365))
}

fn person_name(rng: &mut impl Rng) -> String {
    let mut name = pick(rng, SURNAMES).to_string();
    name.push_str(pick::<&str>(rng, GIVEN));
    if rng.gen_bool(0.7) {
        name.push_str(pick::<&str>(rng, GIVEN));
    }
    name
}

fn mobile(rng: &mut impl Rng) -> Option<Phone> {
    const PREFIXES: &[&str] = &[
        "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "181",
        "186", "187", "189", "199",
    ];
    let number = format!(
        "{}{:08}",
        pick(rng, PREFIXES),
        rng.gen_range(0..100_000_000u32)
    );
    Phone::parse(&number).ok()
}

fn address(rng: &mut impl Rng, district: &str) -> String {
    format!(
        "浙江省宁波市{district}{}{}号{}幢{}室",
        pick(rng, ROADS),
        rng.gen_range(1..900),
        rng.gen_range(1..40),
        rng.gen_range(101..2800)
    )
}

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let mut rng = ctx.rng("people");
    // Ages are relative to a fixed day so the same seed gives the same city on any date.
    let today = NaiveDate::from_ymd_opt(2021, 8, 26).unwrap_or_default();
    let mut ids = IdAllocator::default();
    let total = ctx.spec.people;
    let mut done = 0u64;
    let mut last_report = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    for (code, count) in district_counts(total) {
        let district = DISTRICTS
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.name)
            .unwrap_or_default();
        let stations: Vec<&OrgUnit> = ctx
            .stations
            .iter()
            .filter(|s| s.code.starts_with(&code.to_string()))
            .collect();
        if stations.is_empty() {
            anyhow::bail!("district {code} has no stations");
        }
        for _ in 0..count {
            let station = stations[rng.gen_range(0..stations.len())];
            let hukou = address(&mut rng, district);
            let residence = if rng.gen_bool(0.8) {
                None
            } else {
                Some(address(&mut rng, district))
            };
            batch.push(BulkResident {
                name: person_name(&mut rng),
                id_number: {
                    let birth = birth_date(&mut rng, today);
                    ids.next(&mut rng, code, birth)
                },
                phone: if rng.gen_bool(0.95) {
                    mobile(&mut rng)
                } else {
                    None
                },
                hukou_address: hukou,
                residence_address: residence,
                unit_id: station.id,
                unit_path: station.path.clone(),
            });
            if batch.len() == BATCH {
                done += flush(ctx, &mut batch).await?;
                if done - last_report >= (total / 20).max(BATCH as u64) || done == total {
                    eprintln!(
                        "生成居民 / residents {done}/{total} ({}%)",
                        done * 100 / total.max(1)
                    );
                    last_report = done;
                }
            }
        }
    }
    done += flush(ctx, &mut batch).await?;
    if done != last_report {
        eprintln!("生成居民 / residents {done}/{total} (100%)");
    }
    Ok(())
}

async fn flush(ctx: &DemoContext<'_>, batch: &mut Vec<BulkResident>) -> Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut w = ctx.db.write().await?;
    let n = w
        .residents_bulk_insert(&ctx.actor, batch, "demo city")
        .await?;
    w.commit().await?;
    batch.clear();
    Ok(n)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn district_counts_add_up_and_follow_shares() {
        let counts = district_counts(100_003);
        assert_eq!(counts.iter().map(|c| c.1).sum::<u64>(), 100_003);
        for (code, n) in counts {
            let share = DISTRICTS
                .iter()
                .find(|d| d.code == code)
                .unwrap()
                .population_share;
            assert!((n as f64 / 100_003.0 - share).abs() < 0.001, "{code}: {n}");
        }
    }

    #[test]
    fn allocated_ids_are_unique_and_valid() {
        let mut ids = IdAllocator::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let day = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2500 {
            let id = ids.next(&mut rng, 330203, day);
            assert!(
                IdNumber::parse(id.as_str(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).is_ok()
            );
            assert!(seen.insert(id.as_str().to_string()));
        }
    }
}
