//! The residents of the demo city: spread over districts by population share, evenly over
//! each district's stations, into residential compounds near their station and inside the
//! district, in households of one to five sharing an address. ID numbers are valid and
//! synthetic (the district's region code, a plausible birth date, a real check digit).
//! Streamed station by station in batches, so ten million residents need no more memory
//! than ten thousand.

use std::collections::HashMap;

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate, TimeZone};
use ningan_core::district::DISTRICTS;
use ningan_core::{IdNumber, Phone};
use ningan_store::{BulkResident, NewCompound, OrgUnit, Scope};
use rand::Rng;

use crate::demo::names::{COMPOUND_SUFFIXES, GIVEN, ROADS, SURNAMES};
use crate::demo::{DemoContext, pick, point_near};

const BATCH: usize = 10_000;
/// Residents per compound, on average.
const PER_COMPOUND: u64 = 400;

/// The demo city is set on the day of the report; ages and registrations count back from it.
fn reference_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 8, 26).unwrap_or_default()
}

/// How many of `total` residents each district gets; the remainder goes to the largest.
pub fn district_counts(total: u64) -> Vec<(u32, u64)> {
    let mut counts: Vec<(u32, u64)> =
        DISTRICTS.iter().map(|d| (d.code, (total as f64 * d.population_share).floor() as u64)).collect();
    let assigned: u64 = counts.iter().map(|c| c.1).sum();
    if let Some(largest) = counts.iter_mut().max_by(|a, b| a.1.cmp(&b.1)) {
        largest.1 += total - assigned;
    }
    counts
}

/// `count` split over `n` parts as evenly as possible.
fn split(count: u64, n: usize) -> Vec<u64> {
    let n64 = n as u64;
    (0..n64).map(|i| count / n64 + u64::from(i < count % n64)).collect()
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
            let (start, n) = self.used.entry((region, birth)).or_insert_with(|| (rng.gen_range(0..1000), 0));
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

pub(crate) fn person_name(rng: &mut impl Rng, surname: &str) -> String {
    let mut name = surname.to_string();
    name.push_str(pick(rng, GIVEN));
    if rng.gen_bool(0.7) {
        name.push_str(pick(rng, GIVEN));
    }
    name
}

fn mobile(rng: &mut impl Rng) -> Option<Phone> {
    const PREFIXES: &[&str] = &[
        "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "181", "186", "187", "189",
        "199",
    ];
    let number = format!("{}{:08}", pick(rng, PREFIXES), rng.gen_range(0..100_000_000u32));
    Phone::parse(&number).ok()
}

/// Registrations spread over the two years before the reference day, in CST.
fn registered_at(rng: &mut impl Rng) -> i64 {
    let end = ningan_core::time::cst()
        .from_local_datetime(&reference_day().and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0);
    end - rng.gen_range(0..730 * 86_400_000i64)
}

struct Household {
    no: String,
    address: String,
    surname: &'static str,
    left: u32,
}

/// This module's part of the demo city.
pub const DEMO: crate::demo::DemoPart = crate::demo::DemoPart { name: "people", generate: generate_part };

fn generate_part<'a>(ctx: &'a DemoContext<'a>) -> crate::demo::DemoFuture<'a> {
    Box::pin(generate(ctx))
}

pub async fn generate(ctx: &DemoContext<'_>) -> Result<()> {
    let mut rng = ctx.rng("people");
    let today = reference_day();
    let mut ids = IdAllocator::default();
    let total = ctx.spec.people;
    let mut done = 0u64;
    let mut last_report = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    for (code, count) in district_counts(total) {
        let district = DISTRICTS.iter().find(|d| d.code == code).context("district")?;
        let shape = &crate::geo::district_shape(code).context("district boundary")?.shape;
        let prefix = code.to_string();
        let stations: Vec<&OrgUnit> = ctx.stations.iter().filter(|s| s.code.starts_with(&prefix)).collect();
        anyhow::ensure!(!stations.is_empty(), "district {code} has no stations");
        for (station, station_count) in stations.iter().zip(split(count, stations.len())) {
            if station_count == 0 {
                continue;
            }
            let compounds = make_compounds(ctx, &mut rng, station, shape, district.name, station_count).await?;
            for (compound_id, compound_address, compound_count) in compounds {
                let mut household: Option<Household> = None;
                let mut households = 0u32;
                for _ in 0..compound_count {
                    let h = match household.take() {
                        Some(h) if h.left > 0 => h,
                        _ => Household {
                            no: {
                                households += 1;
                                format!("{compound_id:07}{households:04}")
                            },
                            address: format!(
                                "{compound_address}{}幢{}室",
                                rng.gen_range(1..40),
                                rng.gen_range(101..2800)
                            ),
                            surname: pick(&mut rng, SURNAMES),
                            left: [1, 2, 2, 3, 3, 3, 4, 4, 5][rng.gen_range(0..9)],
                        },
                    };
                    let birth = birth_date(&mut rng, today);
                    batch.push(BulkResident {
                        name: person_name(&mut rng, h.surname),
                        id_number: ids.next(&mut rng, code, birth),
                        phone: if rng.gen_bool(0.95) { mobile(&mut rng) } else { None },
                        hukou_address: h.address.clone(),
                        residence_address: if rng.gen_bool(0.85) {
                            None
                        } else {
                            Some(format!(
                                "浙江省宁波市{}{}{}号",
                                district.name,
                                pick(&mut rng, ROADS),
                                rng.gen_range(1..900)
                            ))
                        },
                        unit_id: station.id,
                        unit_path: station.path.clone(),
                        compound_id: Some(compound_id),
                        household_no: Some(h.no.clone()),
                        registered_at: registered_at(&mut rng),
                    });
                    household = Some(Household { left: h.left - 1, ..h });
                    if batch.len() == BATCH {
                        done += flush(ctx, &mut batch).await?;
                        if done - last_report >= (total / 20).max(BATCH as u64) {
                            eprintln!("生成居民 / residents {done}/{total} ({}%)", done * 100 / total.max(1));
                            last_report = done;
                        }
                    }
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

/// Creates a station's compounds and returns (id, address, residents to place there).
async fn make_compounds(
    ctx: &DemoContext<'_>,
    rng: &mut impl Rng,
    station: &OrgUnit,
    shape: &ningan_core::geo::MultiPolygon,
    district: &str,
    residents: u64,
) -> Result<Vec<(i64, String, u64)>> {
    let n = residents.div_ceil(PER_COMPOUND).max(1) as usize;
    let seat = station.location.unwrap_or([121.55, 29.87]);
    let new: Vec<NewCompound> = (0..n)
        .map(|_| {
            let road = pick(rng, ROADS);
            let number = rng.gen_range(1..900);
            NewCompound {
                name: format!("{road}{}", pick(rng, COMPOUND_SUFFIXES)),
                address: format!("浙江省宁波市{district}{road}{number}号"),
                unit_id: station.id,
                unit_path: station.path.clone(),
                location: point_near(rng, shape, seat, 0.03),
            }
        })
        .collect();
    let mut w = ctx.db.write().await?;
    let ids = w.compounds_insert(&ctx.actor, &Scope::everything(), &new).await?;
    w.commit().await?;
    Ok(ids.into_iter().zip(new).zip(split(residents, n)).map(|((id, c), count)| (id, c.address, count)).collect())
}

async fn flush(ctx: &DemoContext<'_>, batch: &mut Vec<BulkResident>) -> Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut w = ctx.db.write().await?;
    let n = w.residents_bulk_insert(&ctx.actor, batch, "demo city").await?;
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
            let share = DISTRICTS.iter().find(|d| d.code == code).unwrap().population_share;
            assert!((n as f64 / 100_003.0 - share).abs() < 0.001, "{code}: {n}");
        }
        assert_eq!(split(10, 3), vec![4, 3, 3]);
        assert_eq!(split(2, 4), vec![1, 1, 0, 0]);
    }

    #[test]
    fn allocated_ids_are_unique_and_valid() {
        let mut ids = IdAllocator::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let day = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2500 {
            let id = ids.next(&mut rng, 330203, day);
            assert!(IdNumber::parse(id.as_str(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).is_ok());
            assert!(seen.insert(id.as_str().to_string()));
        }
    }
}
