//! A synthetic city's call and transfer records with one gang hidden in them, as the files
//! an investigator is handed (for the API and browser tests of investigation).

use chrono::NaiveDate;
use ningan_core::IdNumber;
use ningan_link::{Kind, synth};

pub const T0: i64 = 1_775_000_000_000; // 2026-03-31, China time.

pub fn holder_id(i: u32) -> String {
    let birth = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap() + chrono::Duration::days(i64::from(i % 9000));
    IdNumber::synthesize(330212, birth, (i % 900) as u16 + 1).as_str().to_string()
}

fn china(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A synthetic city's records as the two files an investigator gets: calls between phones
/// and transfers between accounts, with the holder's ID number for the gang's members and
/// every fifth other entity. Returns the files and the gang's holders, leader first.
pub fn gang_files(relations: usize, seed: u64) -> (String, String, Vec<String>) {
    let city = synth::city(relations, 1, T0, 30, seed);
    let gang = &city.gangs[0];
    let known = |i: u32| gang.members.contains(&i) || i.is_multiple_of(5);
    let holder = |i: u32| if known(i) { holder_id(i) } else { String::new() };
    let mut calls = String::from("caller,callee,start,duration_s,caller_holder,callee_holder\n");
    let mut transfers = String::from("付款账号,收款账号,交易时间,交易金额,付款人身份证号,收款人身份证号\n");
    for r in &city.relations {
        if r.kind == Kind::Transfer {
            transfers.push_str(&format!(
                "6222{:012},6222{:012},{},{}.{:02},{},{}\n",
                r.from,
                r.to,
                china(r.at),
                r.amount / 100,
                r.amount % 100,
                holder(r.from),
                holder(r.to)
            ));
        } else {
            calls.push_str(&format!(
                "13{:09},13{:09},{},{},{},{}\n",
                100_000_000 + r.from,
                100_000_000 + r.to,
                china(r.at),
                30 + r.record % 300,
                holder(r.from),
                holder(r.to)
            ));
        }
    }
    (calls, transfers, gang.members.iter().map(|&m| holder_id(m)).collect())
}
