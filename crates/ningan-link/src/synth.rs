//! A synthetic call-and-transfer graph with gangs hidden in it, for the demo and the
//! benchmarks: many people who each call a few dozen others (a few call thousands: a
//! delivery dispatcher, a bank's hotline), and gangs whose members call each other again and
//! again, their leader more than anyone, and pass money up to the leader through a
//! treasurer. Deterministic for a seed; nothing in it is a real person.

use crate::graph::{Kind, Relation};

/// SplitMix64: small, fast and the same on every platform (the benchmarks draw their
/// questions from it too).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A gang as planted: its members, the leader first, the treasurer second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gang {
    pub members: Vec<u32>,
}

impl Gang {
    pub fn leader(&self) -> u32 {
        self.members[0]
    }
}

/// The generated graph: how many entities, the records, and the gangs hidden in them.
pub struct City {
    pub entities: u32,
    pub relations: Vec<Relation>,
    pub gangs: Vec<Gang>,
}

/// About `relations` records among `relations / 10` entities over `days` days from `start`
/// (epoch ms), with `gangs` gangs of 8 to 15 members.
pub fn city(relations: usize, gangs: usize, start: i64, days: i64, seed: u64) -> City {
    let entities = (relations / 10).max(100) as u32;
    let mut rng = Rng(seed);
    let span = (days.max(1) * 86_400_000) as u64;
    let mut out = Vec::with_capacity(relations + relations / 50);
    let mut record = 0u64;
    let mut push = |out: &mut Vec<Relation>, from: u32, to: u32, kind: Kind, at: i64, amount: i64| {
        record += 1;
        out.push(Relation { from, to, kind, at, amount, record });
    };
    // The gangs take the first numbers after the hubs, so a demo can show them; nothing in
    // the data marks them.
    let hubs: Vec<u32> = (0..(entities / 20_000).max(2)).collect();
    let mut planted = Vec::new();
    let mut next = hubs.len() as u32;
    for _ in 0..gangs {
        let size = 8 + rng.below(8) as u32;
        if next + size >= entities {
            break;
        }
        planted.push(Gang { members: (next..next + size).collect() });
        next += size;
    }
    let gang_records = relations / 50;
    for i in 0..gang_records {
        let Some(g) = planted.get(i % planted.len().max(1)) else { break };
        let m = &g.members;
        let at = start + rng.below(span) as i64;
        // The leader is on a third of the gang's calls; the rest are among members.
        let a = m[rng.below(m.len() as u64) as usize];
        let b = if rng.below(3) == 0 { m[0] } else { m[rng.below(m.len() as u64) as usize] };
        if a == b {
            continue;
        }
        if i % 7 == 0 {
            // Money flows up: members pay the treasurer, the treasurer the leader.
            let (payer, payee) = if a == m[1] { (m[1], m[0]) } else { (a, m[1]) };
            if payer != payee {
                push(&mut out, payer, payee, Kind::Transfer, at, 50_000 + rng.below(500_000) as i64);
            }
        } else {
            push(&mut out, a, b, Kind::Call, at, 0);
        }
    }
    // Everyone else: each call to someone in a nearby block of numbers most of the time (the
    // people one knows), sometimes anyone, sometimes a hub; some transfers.
    while out.len() < relations {
        let a = rng.below(u64::from(entities)) as u32;
        let b = match rng.below(20) {
            0 => hubs[rng.below(hubs.len() as u64) as usize],
            1..=3 => rng.below(u64::from(entities)) as u32,
            _ => {
                let block = a / 200 * 200;
                (block + rng.below(200) as u32).min(entities - 1)
            }
        };
        if a == b {
            continue;
        }
        let at = start + rng.below(span) as i64;
        if rng.below(10) == 0 {
            push(&mut out, a, b, Kind::Transfer, at, 1_000 + rng.below(200_000) as i64);
        } else {
            push(&mut out, a, b, Kind::Call, at, 0);
        }
    }
    City { entities, relations: out, gangs: planted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Filter, Graph, centrality, communities};

    #[test]
    fn the_planted_gangs_come_out_as_communities_with_their_leader_on_top() {
        let c = city(200_000, 3, 0, 30, 7);
        assert_eq!(c.gangs.len(), 3);
        let g = Graph::build(c.entities, c.relations).unwrap();
        // Only pairs that talk often: the gang's tie is repeated, a stranger's is not.
        let f = Filter::default().min_count(5);
        let comm = communities(&g, &f);
        for gang in &c.gangs {
            let home = comm.of[gang.leader() as usize];
            let members = comm.of.iter().filter(|&&x| x == home).count();
            assert!(gang.members.iter().all(|&m| comm.of[m as usize] == home), "one community");
            assert_eq!(members, gang.members.len(), "and only the gang in it");
            let cent = centrality(&g, &f, &gang.members);
            let top = cent.iter().max_by_key(|c| c.strength).unwrap();
            assert_eq!(top.node, gang.leader(), "the leader is on the phone to the gang the most: {cent:?}");
        }
    }
}
