//! A stable least-significant-digit radix sort on integer keys. A day partition sorts up to
//! millions of presences on keys of about 40 bits (space, second of the day): three passes of
//! counting and scattering beat a comparison sort by several times, and bulk loads and seals
//! are dominated by these sorts.

const DIGIT_BITS: u32 = 11;
const BUCKETS: usize = 1 << DIGIT_BITS;

/// Sorts `v` by `key`, keeping equal keys in their input order. Only the low `bits` bits of
/// the keys take part; digits where every key agrees are skipped.
pub fn sort_by_key<T: Copy>(v: &mut Vec<T>, bits: u32, key: impl Fn(&T) -> u64) {
    if v.len() < 256 {
        v.sort_by_key(|x| key(x) & mask(bits));
        return;
    }
    let passes = bits.div_ceil(DIGIT_BITS);
    let mut from = std::mem::take(v);
    let mut to: Vec<T> = Vec::with_capacity(from.len());
    for pass in 0..passes {
        let shift = pass * DIGIT_BITS;
        let digit = |x: &T| (((key(x) & mask(bits)) >> shift) as usize) & (BUCKETS - 1);
        let mut counts = [0usize; BUCKETS];
        for x in &from {
            counts[digit(x)] += 1;
        }
        if counts.contains(&from.len()) {
            continue;
        }
        let mut offsets = [0usize; BUCKETS];
        let mut sum = 0;
        for (o, c) in offsets.iter_mut().zip(counts) {
            *o = sum;
            sum += c;
        }
        // Every slot of `to` is written exactly once: offsets partition 0..len.
        if to.len() != from.len() {
            to.clear();
            to.resize(from.len(), from[0]);
        }
        for x in &from {
            let d = digit(x);
            to[offsets[d]] = *x;
            offsets[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    *v = from;
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 }
}

/// Bits needed to hold `max`.
pub fn bits_for(max: u64) -> u32 {
    64 - max.leading_zeros()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_like_a_stable_sort(v in prop::collection::vec((0u64..1 << 40, 0u32..1000), 0..3000), bits in 1u32..41) {
            let mut expected = v.clone();
            let m = super::mask(bits);
            expected.sort_by_key(|x| x.0 & m);
            let mut got = v;
            super::sort_by_key(&mut got, bits, |x| x.0);
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn bits_cover_the_maximum() {
        assert_eq!(super::bits_for(0), 0);
        assert_eq!(super::bits_for(1), 1);
        assert_eq!(super::bits_for(86_399), 17);
    }
}
