//! What happened in the modules, counted for `/metrics`: check-ins taken and refused,
//! signals scored and warnings raised, agency exchanges and identity-change deliveries by
//! agency and outcome, failed sign-ins, investigation and checkpoint times. One registry per
//! process, as Prometheus clients keep theirs; labels are closed vocabularies (outcomes,
//! levels, agency codes), never a person or a record.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{LazyLock, Mutex};

/// A family: name, type, help.
pub struct Family {
    pub name: &'static str,
    pub kind: &'static str,
    pub help: &'static str,
}

/// Every counter the modules increment, declared once so `/metrics` always lists them (at
/// zero before the first event), which dashboards and alerts rely on.
pub const FAMILIES: &[Family] = &[
    Family {
        name: "ningan_checkins_total",
        kind: "counter",
        help: "Venue check-ins by outcome (accepted, duplicate, refused).",
    },
    Family {
        name: "ningan_fraud_signals_total",
        kind: "counter",
        help: "Risk signals by outcome (scored, duplicate).",
    },
    Family { name: "ningan_fraud_warnings_total", kind: "counter", help: "Fraud warnings raised, by level." },
    Family {
        name: "ningan_exchange_requests_total",
        kind: "counter",
        help: "Fact requests to partner agencies, by agency and outcome (found, not_found, failed).",
    },
    Family {
        name: "ningan_outbox_deliveries_total",
        kind: "counter",
        help: "Identity-change deliveries, by agency and outcome (delivered, failed).",
    },
    Family {
        name: "ningan_login_failures_total",
        kind: "counter",
        help: "Failed officer sign-ins (wrong password, unknown or disabled account).",
    },
    Family {
        name: "ningan_login_throttled_total",
        kind: "counter",
        help: "Sign-ins refused because an address or account tried too often.",
    },
    Family {
        name: "ningan_trace_investigation_seconds_total",
        kind: "counter",
        help: "Time spent answering tracing investigations.",
    },
    Family { name: "ningan_trace_investigations_total", kind: "counter", help: "Tracing investigations answered." },
    Family {
        name: "ningan_trace_checkpoint_seconds_total",
        kind: "counter",
        help: "Time spent folding the tracing log into day segments.",
    },
    Family { name: "ningan_trace_checkpoints_total", kind: "counter", help: "Checkpoints of the tracing engine." },
];

type Key = (&'static str, Vec<(&'static str, String)>);

static VALUES: LazyLock<Mutex<BTreeMap<Key, f64>>> = LazyLock::new(|| Mutex::new(BTreeMap::new()));

/// Adds `by` to a family's series with these labels.
pub fn add(family: &'static str, labels: &[(&'static str, &str)], by: f64) {
    let key = (family, labels.iter().map(|(k, v)| (*k, v.to_string())).collect());
    *VALUES.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default() += by;
}

pub fn count(family: &'static str, labels: &[(&'static str, &str)]) {
    add(family, labels, 1.0);
}

/// A label value as Prometheus' text format needs it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The families in the text format.
pub fn render(out: &mut String) {
    let values = VALUES.lock().unwrap_or_else(|e| e.into_inner());
    for f in FAMILIES {
        let _ = writeln!(out, "# HELP {} {}\n# TYPE {} {}", f.name, f.help, f.name, f.kind);
        let mut any = false;
        for ((name, labels), v) in values.iter().filter(|((n, _), _)| *n == f.name) {
            any = true;
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {v}");
            } else {
                let _ = writeln!(out, "{name}{{{}}} {v}", labels.join(","));
            }
        }
        if !any {
            let _ = writeln!(out, "{} 0", f.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_series_render_with_their_labels_and_untouched_families_at_zero() {
        count("ningan_fraud_warnings_total", &[("level", "red")]);
        add("ningan_fraud_warnings_total", &[("level", "red")], 2.0);
        let mut out = String::new();
        render(&mut out);
        assert!(out.contains("ningan_fraud_warnings_total{level=\"red\"} "), "{out}");
        assert!(out.contains("# TYPE ningan_checkins_total counter"));
        assert_eq!(FAMILIES.iter().filter(|f| out.contains(&format!("# HELP {} ", f.name))).count(), FAMILIES.len());
    }
}
