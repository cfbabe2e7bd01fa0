//! Per-node marks for walks over the whole graph: a value per node, valid for one walk. A
//! walk stamps the nodes it touches with its generation, so starting the next costs nothing
//! (no clearing, no hashing); the arrays are kept per thread and reused.

use std::cell::RefCell;

pub(crate) struct Marks {
    stamp: Vec<u32>,
    value: Vec<u32>,
    generation: u32,
}

impl Marks {
    fn begin(&mut self, nodes: u32) {
        if self.stamp.len() < nodes as usize {
            self.stamp.resize(nodes as usize, 0);
            self.value.resize(nodes as usize, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Stamps from four billion walks ago would read as current: start over.
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
    }

    #[inline]
    pub(crate) fn get(&self, n: u32) -> Option<u32> {
        (self.stamp[n as usize] == self.generation).then(|| self.value[n as usize])
    }

    #[inline]
    pub(crate) fn contains(&self, n: u32) -> bool {
        self.stamp[n as usize] == self.generation
    }

    /// Marks `n` with `v` unless marked already; whether it was new.
    #[inline]
    pub(crate) fn insert(&mut self, n: u32, v: u32) -> bool {
        let i = n as usize;
        if self.stamp[i] == self.generation {
            return false;
        }
        self.stamp[i] = self.generation;
        self.value[i] = v;
        true
    }
}

thread_local! {
    static POOL: RefCell<Vec<Marks>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `K` fresh mark sets over `nodes` nodes.
pub(crate) fn with_marks<const K: usize, R>(nodes: u32, f: impl FnOnce(&mut [Marks; K]) -> R) -> R {
    let mut taken: [Marks; K] = std::array::from_fn(|_| {
        POOL.with(|p| p.borrow_mut().pop()).unwrap_or(Marks { stamp: Vec::new(), value: Vec::new(), generation: 0 })
    });
    for m in taken.iter_mut() {
        m.begin(nodes);
    }
    let out = f(&mut taken);
    POOL.with(|p| p.borrow_mut().extend(taken));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_of_one_walk_are_gone_in_the_next() {
        with_marks::<1, _>(10, |[m]| {
            assert!(m.insert(3, 7));
            assert!(!m.insert(3, 8));
            assert_eq!((m.get(3), m.get(4)), (Some(7), None));
        });
        with_marks::<2, _>(10, |[a, b]| {
            assert_eq!(a.get(3), None);
            assert!(!b.contains(3));
        });
    }
}
