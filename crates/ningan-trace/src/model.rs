//! What the engine stores: a presence is one person in one space for one interval.

/// A pseudonymous person: the application keeps the mapping to a resident.
pub type PersonId = u32;
/// A venue, gate or cell-grid cell, registered with its kind.
pub type SpaceId = u32;
/// Seconds since the Unix epoch.
pub type Time = u32;

/// The longest stay the engine accepts. Queries look this far back for stays that began
/// before a window and still overlap it.
pub const MAX_DWELL: Time = 24 * 3600;

/// 16 bytes: the unit the memory budget (under 24 bytes per presence) is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Presence {
    pub space: SpaceId,
    pub start: Time,
    pub end: Time,
    pub person: PersonId,
}

impl Presence {
    /// Seconds `self` and `[from, to]` share; 0 when they do not meet.
    pub fn overlap(&self, from: Time, to: Time) -> Time {
        self.end.min(to).saturating_sub(self.start.max(from))
    }

    pub fn day(&self) -> u32 {
        self.start / 86_400
    }
}

/// Kinds of space, each with the dwell assumed when a scan records no exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpaceKind {
    Restaurant,
    Market,
    Shop,
    Office,
    School,
    Hospital,
    Transport,
    Gate,
    Cell,
}

impl SpaceKind {
    pub const ALL: [SpaceKind; 9] = [
        SpaceKind::Restaurant,
        SpaceKind::Market,
        SpaceKind::Shop,
        SpaceKind::Office,
        SpaceKind::School,
        SpaceKind::Hospital,
        SpaceKind::Transport,
        SpaceKind::Gate,
        SpaceKind::Cell,
    ];

    pub fn default_dwell(self) -> Time {
        60 * match self {
            SpaceKind::Restaurant => 60,
            SpaceKind::Market => 40,
            SpaceKind::Shop => 20,
            SpaceKind::Office => 480,
            SpaceKind::School => 420,
            SpaceKind::Hospital => 90,
            SpaceKind::Transport => 30,
            SpaceKind::Gate => 2,
            SpaceKind::Cell => 10,
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(c: u8) -> Option<SpaceKind> {
        SpaceKind::ALL.get(usize::from(c)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presences_are_sixteen_bytes_and_overlap_is_clamped() {
        assert_eq!(std::mem::size_of::<Presence>(), 16);
        let p = Presence { space: 1, start: 100, end: 200, person: 7 };
        assert_eq!(p.overlap(150, 400), 50);
        assert_eq!(p.overlap(0, 100), 0);
        assert_eq!(p.overlap(300, 400), 0);
        for k in SpaceKind::ALL {
            assert_eq!(SpaceKind::from_code(k.code()), Some(k));
        }
    }
}
