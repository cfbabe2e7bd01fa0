//! Incidents exchanged as JSON shaped like NENA's Emergency Incident Data Object (EIDO,
//! NENA-STA-021): an incident component (tracking number, type, status), a call component
//! (callback number, start time), a location component (a GeoJSON point and the civic address
//! as text), notes (the narrative first, then the history) and the linked incidents.
//! ningan's own timings travel as `x-ningan-intervals`. An export masks the callback number
//! like every answer does; an import needs the full number, since it files a new call.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::service::IncidentInput;
use super::store::incidents::{Event, Incident};

fn ts(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |t| Value::String(ningan_core::time::rfc3339_ms(t)))
}

/// The EIDO-shaped document for an incident.
pub fn export(i: &Incident, events: &[Event], linked: &[(i64, String)]) -> Value {
    let mut notes = vec![json!({
        "notesDateTimeStamp": ts(Some(i.intervals.received)),
        "notesActionComment": i.narrative,
        "notesAuthor": i.taken_by,
    })];
    notes.extend(events.iter().map(|e| {
        json!({
            "notesDateTimeStamp": ts(Some(e.at)),
            "notesActionComment": format!("{} → {}{}", e.from_stage, e.to_stage, if e.note.is_empty() { String::new() } else { format!("：{}", e.note) }),
            "notesAuthor": e.actor,
        })
    }));
    json!({
        "eidoMessageIdentifier": format!("urn:ningan:eido:{}:{}", i.no, i.updated_at),
        "lastUpdateTimeStamp": ts(Some(i.updated_at)),
        "incidentComponent": {
            "componentIdentifier": format!("incident-{}", i.no),
            "incidentTrackingIdentifier": i.no,
            "incidentTypeCommonRegistryText": [i.category],
            "incidentStatusCommonRegistryText": [i.stage],
            "incidentPriorityText": i.priority,
            "incidentCreationTimestamp": ts(Some(i.intervals.received)),
        },
        "callComponent": [{
            "componentIdentifier": format!("call-{}", i.no),
            "callbackNumber": ningan_core::phone::mask_phone_str(&i.caller_phone),
            "callStartTimestamp": ts(Some(i.intervals.received)),
        }],
        "locationComponent": [{
            "componentIdentifier": format!("location-{}", i.no),
            "locationByValue": {"type": "Point", "coordinates": [i.lon, i.lat]},
            "civicAddressText": i.address,
        }],
        "notesComponent": notes,
        "linkedIncidentTrackingIdentifier": linked.iter().map(|(_, no)| no).collect::<Vec<_>>(),
        "x-ningan-intervals": {
            "received": ts(Some(i.intervals.received)),
            "answered": ts(i.intervals.answered),
            "dispatched": ts(i.intervals.dispatched),
            "enRoute": ts(i.intervals.en_route),
            "onScene": ts(i.intervals.on_scene),
            "cleared": ts(i.intervals.cleared),
            "cancelled": ts(i.cancelled_at),
        },
    })
}

/// The category codes of the call, the first of which the import files it under.
fn category_list(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let item = super::service::categories(g);
    schemars::json_schema!({"type": "array", "minItems": 1, "items": item})
}

fn geojson_point(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    use crate::http::schema::{LAT_EXAMPLE, LON_EXAMPLE};
    schemars::json_schema!({
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"const": "Point"},
            "coordinates": {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}}
        },
        "examples": [{"type": "Point", "coordinates": [LON_EXAMPLE, LAT_EXAMPLE]}]
    })
}

/// The parts of an EIDO document an import reads.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EidoIn {
    pub incident_component: EidoIncident,
    #[schemars(length(min = 1))]
    pub call_component: Vec<EidoCall>,
    #[schemars(length(min = 1))]
    pub location_component: Vec<EidoLocation>,
    /// The first note is the call's narrative (2–2000 characters).
    #[schemars(length(min = 1))]
    pub notes_component: Vec<EidoNote>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EidoIncident {
    #[schemars(schema_with = "category_list")]
    pub incident_type_common_registry_text: Vec<String>,
    #[serde(default)]
    #[schemars(schema_with = "super::service::priorities")]
    pub incident_priority_text: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EidoCall {
    /// The caller's mobile; masked (`138****0001`) in an export, which is why the document
    /// names its format rather than a pattern: a masked number does not file a call.
    #[schemars(extend("format" = "phone-cn", "examples" = [crate::http::schema::PHONE_EXAMPLE]))]
    pub callback_number: String,
    #[serde(default)]
    #[schemars(extend("format" = "date-time", "pattern" = crate::http::schema::TIME_PATTERN))]
    pub call_start_timestamp: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EidoLocation {
    /// A GeoJSON point: `{"type": "Point", "coordinates": [lon, lat]}`.
    #[schemars(schema_with = "geojson_point")]
    pub location_by_value: Value,
    #[schemars(schema_with = "crate::http::schema::line_2_200")]
    pub civic_address_text: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EidoNote {
    #[schemars(schema_with = "crate::http::schema::note_2_2000")]
    pub notes_action_comment: String,
}

/// The call an imported document describes, for the same checks as one typed in. Missing
/// parts become empty fields, which those checks then name.
pub fn import(doc: &EidoIn) -> IncidentInput {
    let point = doc.location_component.first().map(|l| &l.location_by_value["coordinates"]);
    let coord = |i: usize| point.and_then(|p| p[i].as_f64()).unwrap_or(f64::NAN);
    IncidentInput {
        category: doc.incident_component.incident_type_common_registry_text.first().cloned().unwrap_or_default(),
        priority: doc.incident_component.incident_priority_text.clone().unwrap_or_else(|| "high".into()),
        caller_phone: doc.call_component.first().map(|c| c.callback_number.clone()).unwrap_or_default(),
        address: doc.location_component.first().map(|l| l.civic_address_text.clone()).unwrap_or_default(),
        lon: coord(0),
        lat: coord(1),
        narrative: doc.notes_component.first().map(|n| n.notes_action_comment.clone()).unwrap_or_default(),
        received_at: doc.call_component.first().and_then(|c| c.call_start_timestamp.clone()),
    }
}
