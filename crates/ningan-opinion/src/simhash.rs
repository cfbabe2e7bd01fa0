//! Near-duplicate grouping. A post's fingerprint is the 64-bit SimHash of its words (each
//! word hashed, each bit voted by the word's count); reposts that change a few words keep
//! all but a few bits. [`Groups`] keeps one fingerprint per group and puts a post in the
//! group within [`NEAR`] bits of it (the nearest; the oldest of equals), or starts a group.
//! Candidates come from four 16-bit bands: two fingerprints at most three bits apart agree
//! on at least one band whole (pigeonhole), so looking up the post's four bands finds every
//! group near enough, without comparing with all of them.

use rustc_hash::FxHashMap;

/// Fingerprints at most this many bits apart are the same story.
pub const NEAR: u32 = 3;

/// FNV-1a, then a SplitMix64 finaliser so that words differing in a character differ in
/// about half the bits.
fn word_hash(w: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in w.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The SimHash of a post's words (0 for none).
pub fn simhash(words: &[impl AsRef<str>]) -> u64 {
    let mut votes = [0i32; 64];
    for w in words {
        let h = word_hash(w.as_ref());
        for (bit, v) in votes.iter_mut().enumerate() {
            *v += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    votes.iter().enumerate().filter(|(_, v)| **v > 0).fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

fn bands(h: u64) -> [(u8, u16); 4] {
    [(0, h as u16), (1, (h >> 16) as u16), (2, (h >> 32) as u16), (3, (h >> 48) as u16)]
}

/// Groups by fingerprint, each with the id the caller gave it.
#[derive(Default)]
pub struct Groups {
    fingerprints: FxHashMap<i64, u64>,
    by_band: FxHashMap<(u8, u16), Vec<i64>>,
}

impl Groups {
    /// A group known already (loaded from storage).
    pub fn insert(&mut self, id: i64, fingerprint: u64) {
        if self.fingerprints.insert(id, fingerprint).is_none() {
            for b in bands(fingerprint) {
                self.by_band.entry(b).or_default().push(id);
            }
        }
    }

    /// The group `fingerprint` belongs to: the nearest within [`NEAR`] bits, the smallest id
    /// among equally near ones; `None` when it starts a group of its own.
    pub fn find(&self, fingerprint: u64) -> Option<i64> {
        let mut best: Option<(u32, i64)> = None;
        for b in bands(fingerprint) {
            for id in self.by_band.get(&b).map(Vec::as_slice).unwrap_or_default() {
                let d = distance(fingerprint, self.fingerprints[id]);
                if d <= NEAR && best.is_none_or(|x| (d, *id) < x) {
                    best = Some((d, *id));
                }
            }
        }
        best.map(|b| b.1)
    }

    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn a_repost_with_a_word_changed_is_near_and_another_story_far() {
        let a = simhash(&words("宁波 鄞州 暴雨 积水 严重 多 辆 车 被困 市民 求助 民警 涉水 救援 群众 点赞"));
        let b = simhash(&words("宁波 鄞州 暴雨 积水 严重 多 辆 车 被困 市民 求助 民警 涉水 救援 网友 点赞"));
        let c = simhash(&words("北仑 一 企业 拖欠 工资 工人 聚集 讨薪 派出所 到场 调解"));
        assert!(distance(a, b) <= NEAR + 6, "{}", distance(a, b));
        assert!(distance(a, c) > 12, "{}", distance(a, c));
    }

    /// The brute-force model: every group compared.
    fn brute(groups: &[(i64, u64)], h: u64) -> Option<i64> {
        groups.iter().filter(|(_, g)| distance(*g, h) <= NEAR).min_by_key(|(id, g)| (distance(*g, h), *id)).map(|x| x.0)
    }

    proptest! {
        #[test]
        fn the_band_index_finds_exactly_what_comparing_with_every_group_finds(
            seeds in proptest::collection::vec(any::<u64>(), 1..60),
            flips in proptest::collection::vec((0usize..60, proptest::collection::vec(0u32..64, 0..6)), 1..200),
        ) {
            // Posts near the seeds (a few bits flipped) and the seeds themselves.
            let mut groups = Groups::default();
            let mut all: Vec<(i64, u64)> = Vec::new();
            let mut next = 1;
            for (seed, bits) in flips {
                let mut h = seeds[seed % seeds.len()];
                for b in bits {
                    h ^= 1 << b;
                }
                let expected = brute(&all, h);
                prop_assert_eq!(groups.find(h), expected);
                if expected.is_none() {
                    groups.insert(next, h);
                    all.push((next, h));
                    next += 1;
                }
            }
        }
    }
}
