//! A stable least-significant-digit radix sort on integer keys. A day partition sorts up to
//! millions of presences on keys of about 40 bits (space, second of the day): a few passes of
//! counting and scattering beat a comparison sort by several times, and bulk loads and seals
//! are dominated by these sorts.

/// The widest digit: 4,096 counters stay in the nearest caches.
const MAX_DIGIT_BITS: u32 = 12;

/// Sorts `v` by `key`, keeping equal keys in their input order. Only the low `bits` bits of
/// the keys take part; digits where every key agrees are skipped.
pub fn sort_by_key<T: Copy>(v: &mut Vec<T>, bits: u32, key: impl Fn(&T) -> u64) {
    if v.len() < 256 {
        v.sort_by_key(|x| key(x) & mask(bits));
        return;
    }
    *v = sort_parts_by_key(&[v.as_slice()], bits, key);
}

/// The elements of all `parts`, in order, sorted by `key` as [`sort_by_key`] does: the
/// first pass reads them where they lie, so they need not be gathered first.
pub fn sort_parts_by_key<T: Copy>(parts: &[&[T]], bits: u32, key: impl Fn(&T) -> u64) -> Vec<T> {
    let (mut out, mut spare) = (Vec::new(), Vec::new());
    sort_parts_into(parts, bits, key, &mut out, &mut spare);
    out
}

/// [`sort_parts_by_key`] into `out`, with `spare` for the passes between: both keep their
/// memory for the next sort.
pub fn sort_parts_into<T: Copy>(
    parts: &[&[T]],
    bits: u32,
    key: impl Fn(&T) -> u64,
    out: &mut Vec<T>,
    spare: &mut Vec<T>,
) {
    out.clear();
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let Some(&filler) = parts.iter().find_map(|p| p.first()) else { return };
    let passes = bits.div_ceil(MAX_DIGIT_BITS).max(1);
    let digit_bits = bits.div_ceil(passes).max(1);
    let buckets = 1usize << digit_bits;
    let mut counts = vec![0usize; buckets];
    // Whether `out` holds the elements yet: until a pass moves them, they lie in the parts.
    let mut gathered = false;
    for pass in 0..passes {
        let shift = pass * digit_bits;
        let digit = |x: &T| (((key(x) & mask(bits)) >> shift) as usize) & (buckets - 1);
        let held;
        let sources: &[&[T]] = if gathered {
            held = [out.as_slice()];
            &held
        } else {
            parts
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
        // Every slot is written exactly once: the offsets partition 0..len.
        spare.clear();
        spare.resize(len, filler);
        for x in sources.iter().flat_map(|p| p.iter()) {
            let d = digit(x);
            spare[counts[d]] = *x;
            counts[d] += 1;
        }
        std::mem::swap(out, spare);
        gathered = true;
    }
    if !gathered {
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
            prop_assert_eq!(super::sort_parts_by_key(&slices, bits, |x| x.0), expected);
        }
    }

    #[test]
    fn bits_cover_the_maximum() {
        assert_eq!(super::bits_for(0), 0);
        assert_eq!(super::bits_for(1), 1);
        assert_eq!(super::bits_for(86_399), 17);
    }
}
