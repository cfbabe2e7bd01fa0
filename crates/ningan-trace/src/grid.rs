//! The cell grid for space-time companions (时空伴随): H3 hexagons, at a configurable
//! resolution (8 by default: cells about 0.74 km², some 900 m across, the "800 m" of the
//! published rule).
//!
//! Cells need no registration: an H3 cell of resolution 8 or coarser is fully named by its
//! base cell (7 bits) and its first eight digits (3 bits each), 31 bits, so the engine's 32-bit
//! space id holds it with the top bit set. Venue ids stay below 2³¹. The mapping is the same
//! for every process with the same resolution and needs no table, which is why resolutions
//! finer than 8 are refused.

use h3o::{CellIndex, LatLng, Resolution};

use crate::model::SpaceId;

/// Space ids from here up are cells.
pub const CELL_BIT: SpaceId = 1 << 31;
/// The finest resolution whose cells fit in a space id.
pub const FINEST: u8 = 8;
/// Bits of digits 9 to 15 of an H3 index, dropped (all ones at resolutions ≤ 8).
const LOW_DIGITS: u32 = 21;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridError {
    #[error("cell resolution {0} is not supported: use 0 to {FINEST} (8 is about 900 m across)")]
    Resolution(u8),
    #[error("latitude {0} is outside -90 to 90")]
    Latitude(f64),
    #[error("longitude {0} is outside -180 to 180")]
    Longitude(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellGrid {
    resolution: Resolution,
}

impl Default for CellGrid {
    fn default() -> CellGrid {
        CellGrid { resolution: Resolution::Eight }
    }
}

impl CellGrid {
    pub fn new(resolution: u8) -> Result<CellGrid, GridError> {
        if resolution > FINEST {
            return Err(GridError::Resolution(resolution));
        }
        let resolution = Resolution::try_from(resolution).map_err(|_| GridError::Resolution(resolution))?;
        Ok(CellGrid { resolution })
    }

    pub fn resolution(&self) -> u8 {
        u8::from(self.resolution)
    }

    /// The space id of the cell holding a point (WGS 84 degrees).
    pub fn space_at(&self, lat: f64, lng: f64) -> Result<SpaceId, GridError> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(GridError::Latitude(lat));
        }
        if !(-180.0..=180.0).contains(&lng) {
            return Err(GridError::Longitude(lng));
        }
        let point = LatLng::new(lat, lng).map_err(|_| GridError::Latitude(lat))?;
        Ok(space_of_cell(point.to_cell(self.resolution)))
    }

    /// The H3 cell a space id names at this grid's resolution; `None` for venues and for ids
    /// that name no valid cell.
    pub fn cell(&self, space: SpaceId) -> Option<CellIndex> {
        if space & CELL_BIT == 0 {
            return None;
        }
        let mode_cell = 1u64 << 59;
        let res = u64::from(u8::from(self.resolution)) << 52;
        let index = mode_cell | res | (u64::from(space & !CELL_BIT) << LOW_DIGITS) | ((1 << LOW_DIGITS) - 1);
        CellIndex::try_from(index).ok()
    }

    /// The centre of a cell space (latitude, longitude), for drawing it on the map.
    pub fn center(&self, space: SpaceId) -> Option<(f64, f64)> {
        self.cell(space).map(|c| {
            let ll = LatLng::from(c);
            (ll.lat(), ll.lng())
        })
    }
}

fn space_of_cell(cell: CellIndex) -> SpaceId {
    // Bits 21..52 of the index: base cell and digits 1 to 8.
    CELL_BIT | ((u64::from(cell) >> LOW_DIGITS) as u32 & !CELL_BIT)
}

/// Whether a space id names a cell (the top bit).
pub fn is_cell(space: SpaceId) -> bool {
    space & CELL_BIT != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_point_in_ningbo_maps_to_a_cell_and_back() {
        let grid = CellGrid::default();
        // Tianyi Square, Haishu district.
        let space = grid.space_at(29.8683, 121.5440).unwrap();
        assert!(is_cell(space));
        let cell = grid.cell(space).unwrap();
        assert_eq!(u8::from(cell.resolution()), 8);
        let (lat, lng) = grid.center(space).unwrap();
        assert!((lat - 29.8683).abs() < 0.01 && (lng - 121.5440).abs() < 0.01, "{lat}, {lng}");
        // Two points 3 km apart are in different cells; two points 20 m apart usually not.
        assert_ne!(space, grid.space_at(29.8683, 121.5750).unwrap());
        assert_eq!(grid.cell(12), None, "venue ids are not cells");
        assert_eq!(CellGrid::new(9), Err(GridError::Resolution(9)));
        assert_eq!(grid.space_at(91.0, 0.0), Err(GridError::Latitude(91.0)));
        assert!(matches!(grid.space_at(0.0, f64::NAN), Err(GridError::Longitude(_))));
    }

    proptest! {
        #[test]
        fn space_ids_round_trip_to_the_same_cell(lat in -89.9f64..89.9, lng in -179.9f64..179.9, res in 0u8..=8) {
            let grid = CellGrid::new(res).unwrap();
            let space = grid.space_at(lat, lng).unwrap();
            let cell = grid.cell(space).unwrap();
            prop_assert_eq!(cell, LatLng::new(lat, lng).unwrap().to_cell(Resolution::try_from(res).unwrap()));
        }
    }
}
