//! A stable least-significant-digit radix sort on integer keys. A day partition sorts up to
//! millions of presences on keys of about 40 bits (space, second of the day): a few passes of
//! counting and scattering beat a comparison sort by several times, and bulk loads and seals
//! are dominated by these sorts.

/// The widest digit: 4,096 counters stay in the nearest caches.
const MAX_DIGIT_BITS: u32 = 12;

/// Sorts `v` by `key`, keeping equal keys in their input order. Only the low `bits` bits of
/// the keys take part; digits where every key agrees are skipped. `v`'s own buffer is one of
/// the two the passes go between.
pub fn sort_by_key<T: Copy>(v: &mut Vec<T>, bits: u32, key: impl Fn(&T) -> u64) {
    if v.len() < 256 {
        v.sort_by_key(|x| key(x) & mask(bits));
        return;
    }
    passes(None, v, &mut Vec::new(), bits, key);
}

/// The elements of all `parts`, in order, sorted by `key` as [`sort_by_key`] does, into
/// `out`: the first pass reads them where they lie, so they need not be gathered first.
/// `spare` holds the passes between; both keep their memory for the next sort.
pub fn sort_parts_into<T: Copy>(
    parts: &[&[T]],
    bits: u32,
    key: impl Fn(&T) -> u64,
    out: &mut Vec<T>,
    spare: &mut Vec<T>,
) {
    out.clear();
    passes(Some(parts), out, spare, bits, key);
}

/// The counting and scattering passes, between `out` and `spare`; the elements come from
/// `parts` until a pass has moved them into `out` (`None`: `out` holds them already).
fn passes<T: Copy>(
    mut parts: Option<&[&[T]]>,
    out: &mut Vec<T>,
    spare: &mut Vec<T>,
    bits: u32,
    key: impl Fn(&T) -> u64,
) {
    let len: usize = parts.map_or(out.len(), |parts| parts.iter().map(|p| p.len()).sum());
    let first = match parts {
        Some(parts) => parts.iter().find_map(|p| p.first()),
        None => out.first(),
    };
    let Some(&filler) = first else { return };
    let passes = bits.div_ceil(MAX_DIGIT_BITS).max(1);
    let digit_bits = bits.div_ceil(passes).max(1);
    let buckets = 1usize << digit_bits;
    let mut counts = vec![0usize; buckets];
    for pass in 0..passes {
        let shift = pass * digit_bits;
        let digit = |x: &T| (((key(x) & mask(bits)) >> shift) as usize) & (buckets - 1);
        let held;
        let sources: &[&[T]] = match parts {
            Some(parts) => parts,
            None => {
                held = [out.as_slice()];
                &held
            }
        };
        counts.fill(0);
        for x in sources.iter().flat_map(|p| p.iter()) {
            counts[digit(x)] += 1;
        }
        if counts.contains(&len) {
            continue;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            sum += std::mem::replace(c, sum);
        }
        // Every slot is written exactly once: the offsets partition 0..len. Only a buffer of
        // another length is filled first.
        if spare.len() != len {
            spare.clear();
            spare.resize(len, filler);
        }
        for x in sources.iter().flat_map(|p| p.iter()) {
            let d = digit(x);
            spare[counts[d]] = *x;
            counts[d] += 1;
        }
        std::mem::swap(out, spare);
        parts = None;
    }
    if let Some(parts) = parts {
        for p in parts {
            out.extend_from_slice(p);
        }
    }
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

    proptest! {
        #[test]
        fn sorts_parts_as_if_gathered_first(
            parts in prop::collection::vec(prop::collection::vec((0u64..1 << 30, 0u32..1000), 0..700), 0..4),
            bits in 1u32..31,
        ) {
            let mut expected: Vec<(u64, u32)> = parts.concat();
            let m = super::mask(bits);
            expected.sort_by_key(|x| x.0 & m);
            let slices: Vec<&[(u64, u32)]> = parts.iter().map(|p| p.as_slice()).collect();
            let (mut out, mut spare) = (vec![(7, 7)], Vec::new());
            super::sort_parts_into(&slices, bits, |x| x.0, &mut out, &mut spare);
            prop_assert_eq!(out, expected);
        }
    }

    #[test]
    fn bits_cover_the_maximum() {
        assert_eq!(super::bits_for(0), 0);
        assert_eq!(super::bits_for(1), 1);
        assert_eq!(super::bits_for(86_399), 17);
    }
}
