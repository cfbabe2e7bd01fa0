//! `[modules.command]`: a station's minimum strength, and whether this server drives the
//! units that have no device of their own along the roads (the demo city does).

/// The module's configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CommandConfig {
    /// Officers a station keeps on duty at any hour; fewer raises a warning.
    pub min_on_duty: usize,
    /// Move units without a bound device along the roads: patrolling when available, driving
    /// to their incident when dispatched. `ningan demo` turns it on; a real bureau's units
    /// report through their devices.
    pub patrols: bool,
    /// Simulated time runs this many times faster than the clock (a demo shown in a hurry,
    /// a browser test).
    pub patrol_speedup: f64,
    /// With patrols on, new 110 calls per hour that the simulation itself takes, dispatches
    /// and clears, so the live board keeps moving (0: none).
    pub demo_calls_per_hour: u32,
}

impl Default for CommandConfig {
    fn default() -> Self {
        CommandConfig { min_on_duty: 3, patrols: false, patrol_speedup: 1.0, demo_calls_per_hour: 0 }
    }
}

impl crate::config::ModuleConfig for CommandConfig {
    const NAME: &'static str = "command";

    fn check(&self) -> Result<(), (&'static str, String)> {
        if !(1..=200).contains(&self.min_on_duty) {
            return Err(("min_on_duty", "must be between 1 and 200 officers".into()));
        }
        if !(0.1..=1000.0).contains(&self.patrol_speedup) {
            return Err(("patrol_speedup", "must be between 0.1 and 1000".into()));
        }
        if self.demo_calls_per_hour > 3600 {
            return Err(("demo_calls_per_hour", "must be at most 3600".into()));
        }
        Ok(())
    }
}
