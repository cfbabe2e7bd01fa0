//! Schemas for query fields the server reads as text and checks itself, so the document
//! states what the check allows: the values of a closed set (taken from the list the check
//! uses), a number kept in text, a pattern.

use schemars::{Schema, json_schema};

/// A string that must be one of `values`.
pub fn enum_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Schema {
    let values: Vec<&str> = values.into_iter().collect();
    json_schema!({"type": "string", "enum": values})
}

/// A whole number from `min` to `max`, however the handler holds it.
pub fn integer_in(min: i64, max: i64) -> Schema {
    json_schema!({"type": "integer", "minimum": min, "maximum": max})
}

/// A synthetic resident's ID number with a valid check digit: the example every GB 11643
/// field shows, so a client built from the document sends one the server accepts.
pub const ID_NUMBER_EXAMPLE: &str = "330203199001011236";

/// A GB 11643 number as the server reads it: a province it knows, a county, a birth date's
/// shape, the sequence; the check digit (`format: gb11643`) and a birth date after today are
/// the server's to refuse.
pub const ID_NUMBER_PATTERN: &str = r"^\s*(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])(?!0000)[0-9]{4}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]\s*$";

/// A mobile number, as phone fields show it.
pub const PHONE_EXAMPLE: &str = "13805740000";

/// A unified social credit code (GB 32100) with a valid check character.
pub const USCC_EXAMPLE: &str = "9133020300000ACJXJ";

/// CSV text whose first line is `header` (blanks around it allowed), as the import checks it.
pub fn csv_with_header(header: &str) -> Schema {
    let pattern = format!(r"^[ \t]*{}[ \t\r]*(\n|$)", regex_escape(header));
    json_schema!({"type": "string", "pattern": pattern, "examples": [format!("{header}\n")]})
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = r"\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// Characters `ningan_core::text` refuses in a line: controls and bidirectional overrides.
const NOT_IN_A_LINE: &str = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c";
/// The same for a note, which keeps line breaks and tabs.
const NOT_IN_A_NOTE: &str = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c";
/// Letters and digits as a schema can name them (ASCII and the CJK block); the server
/// counts every script's, so text this accepts the server accepts.
const MEANINGFUL: &str = r"[0-9A-Za-z\u4e00-\u9fff]";

/// A one-line text as `ningan_core::text::line(min_meaningful, max)` accepts it: at most
/// `max` characters, at least `min_meaningful` letters or digits, no control characters.
pub fn line(min_meaningful: usize, max: usize) -> Schema {
    text(NOT_IN_A_LINE, min_meaningful, max)
}

/// A note as `ningan_core::text::note` accepts it, with at least `min_meaningful` letters or
/// digits.
pub fn note(min_meaningful: usize, max: usize) -> Schema {
    text(NOT_IN_A_NOTE, min_meaningful, max)
}

fn text(refused: &str, min_meaningful: usize, max: usize) -> Schema {
    let clean = format!("^[^{refused}]*$");
    let mut schema = json_schema!({"type": "string", "maxLength": max, "pattern": clean});
    if min_meaningful > 0 {
        let words = vec![MEANINGFUL; min_meaningful].join(r"[\s\S]*");
        schema.insert("minLength".into(), min_meaningful.into());
        schema.insert("allOf".into(), serde_json::json!([{"pattern": words}]));
    }
    schema
}

/// A schema function per text rule, for `#[schemars(schema_with = "…")]` on a field.
macro_rules! texts {
    ($($name:ident = $kind:ident($min:expr, $max:expr);)*) => {
        $(
            pub fn $name(_: &mut schemars::SchemaGenerator) -> Schema {
                $kind($min, $max)
            }
        )*
    };
}

texts! {
    line_1_20 = line(1, 20);
    line_1_30 = line(1, 30);
    line_2_30 = line(2, 30);
    line_1_50 = line(1, 50);
    line_1_64 = line(1, 64);
    line_2_60 = line(2, 60);
    line_2_20 = line(2, 20);
    line_2_80 = line(2, 80);
    line_2_100 = line(2, 100);
    line_2_120 = line(2, 120);
    line_2_200 = line(2, 200);
    line_4_100 = line(4, 100);
    line_2_500 = line(2, 500);
    note_0_500 = note(0, 500);
    note_0_1000 = note(0, 1000);
    note_0_2000 = note(0, 2000);
    note_0_5000 = note(0, 5000);
    note_2_200 = note(2, 200);
    note_2_500 = note(2, 500);
    note_2_2000 = note(2, 2000);
}

/// A point in Ningbo's centre, the example every longitude shows.
pub const LON_EXAMPLE: f64 = 121.55;
pub const LAT_EXAMPLE: f64 = 29.87;
/// A time, as every RFC 3339 field shows it.
pub const TIME_EXAMPLE: &str = "2026-11-30T08:00:00+08:00";
/// RFC 3339 as the server parses it (`chrono`'s `parse_from_rfc3339`), written out: the
/// `date-time` format alone is an annotation many validators do not check. A day past its
/// month's end (`02-30`) fits the pattern and is still refused.
pub const TIME_PATTERN: &str = r"^\s*\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)\s*$";
/// A calendar day, `YYYY-MM-DD`.
pub const DATE_PATTERN: &str = r"^\s*\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\s*$";

/// One of Ningbo's district codes (GB/T 2260), as a number.
pub fn district_code(_: &mut schemars::SchemaGenerator) -> Schema {
    let codes: Vec<i64> = ningan_core::DISTRICTS.iter().map(|d| i64::from(d.code)).collect();
    json_schema!({"type": "integer", "enum": codes})
}

/// A unified social credit code (GB 32100), as the server reads it: its registration
/// authority, organisation category, province (11–82) and alphabet; the two check
/// characters (`format: gb32100`) are the server's to verify.
pub fn uscc(_: &mut schemars::SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "format": "gb32100",
        "pattern": r"^\s*[1-9ANYany][1239](1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}\s*$",
        "examples": [USCC_EXAMPLE]
    })
}

/// A password the policy accepts (`secrets::check_password_policy`): 10–128 characters
/// with a letter and a digit.
pub fn password(_: &mut schemars::SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "minLength": 10,
        "maxLength": 128,
        "allOf": [{"pattern": r"[A-Za-z\u4e00-\u9fff]"}, {"pattern": "[0-9]"}],
        "examples": ["harbour-lantern-2046"]
    })
}

/// A signed pass as the person's QR carries it: 85 bytes in unpadded base64url. Whether
/// its signature holds is the server's to say.
pub fn pass_token(_: &mut schemars::SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": r"^\s*A[A-Za-z0-9_-]{113}\s*$",
        "examples": [format!("AQ{}", "A".repeat(112))]
    })
}

/// A closed ring of [lon, lat] points (the last repeats the first), as a perimeter or an
/// area is drawn; whether it is simple is the server's check.
pub fn ring(_: &mut schemars::SchemaGenerator) -> Schema {
    let closed = ring_example();
    json_schema!({
        "type": "array",
        "minItems": 4,
        "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}},
        "examples": [closed]
    })
}

/// A GeoJSON Polygon or MultiPolygon (or a Feature holding one) of closed rings: what an
/// area drawn on the map is sent as.
pub fn geojson_area(_: &mut schemars::SchemaGenerator) -> Schema {
    let position = json_schema!({"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}});
    let ring = json_schema!({"type": "array", "minItems": 4, "items": position});
    let polygon = json_schema!({"type": "array", "minItems": 1, "items": ring});
    let geometry = json_schema!({"oneOf": [
        {"type": "object", "required": ["type", "coordinates"],
         "properties": {"type": {"const": "Polygon"}, "coordinates": polygon}},
        {"type": "object", "required": ["type", "coordinates"],
         "properties": {"type": {"const": "MultiPolygon"}, "coordinates": {"type": "array", "minItems": 1, "items": polygon}}}
    ]});
    let feature = json_schema!({"type": "object", "required": ["type", "geometry"],
        "properties": {"type": {"const": "Feature"}, "geometry": geometry}});
    let example = json_schema!({"type": "Polygon", "coordinates": [ring_example()]});
    json_schema!({"anyOf": [geometry, feature], "examples": [example]})
}

fn ring_example() -> Vec<[f64; 2]> {
    let (x, y) = (LON_EXAMPLE, LAT_EXAMPLE);
    let square = [[x - 0.001, y - 0.001], [x + 0.001, y - 0.001], [x + 0.001, y + 0.001], [x - 0.001, y + 0.001]];
    square.iter().chain(square.first()).copied().collect()
}

/// A mainland mobile number as `ningan_core::Phone` reads it (`+86`/`0086` allowed), a
/// little stricter than the parser (no spaces between the digits).
pub const MOBILE_PATTERN: &str = r"^\s*(\+86|0086)?[ -]?1[3-9][0-9]{9}\s*$";
/// The same, or blank where the number is optional.
pub const MOBILE_OR_BLANK_PATTERN: &str = r"^\s*$|^\s*(\+86|0086)?[ -]?1[3-9][0-9]{9}\s*$";

/// Strings a stated pattern allows, for property tests that hold the server's parsers to
/// what the document promises.
#[cfg(test)]
pub(crate) fn matching(pattern: &'static str) -> impl proptest::strategy::Strategy<Value = String> {
    // Anchors dropped: the generator writes whole strings.
    let inner = pattern.trim_start_matches('^').trim_end_matches('$');
    proptest::string::string_regex(inner).expect("the pattern compiles")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Whatever the document's phone pattern allows, the phone parser takes.
        #[test]
        fn every_mobile_the_document_allows_is_parsed(phone in matching(MOBILE_PATTERN)) {
            prop_assert!(ningan_core::Phone::parse(&phone).is_ok(), "{:?}", phone);
        }

        // A text the document's schema accepts (as a JSON Schema validator reads it) the
        // server's text rules accept: over strings of letters, CJK, blanks, tabs, line
        // breaks, controls, bidirectional overrides and punctuation.
        #[test]
        fn texts_the_document_allows_pass_the_text_rules(s in "[ aZ9\u{4e00}\t\n\u{0}\u{7f}\u{202e}\u{200b}.,]{0,8}") {
            for (schema, min, note) in [(line(2, 6), 2, false), (line(1, 6), 1, false), (note(2, 6), 2, true)] {
                let validator = jsonschema::validator_for(&serde_json::to_value(&schema).expect("json"))
                    .expect("the schema compiles");
                if validator.is_valid(&serde_json::Value::String(s.clone())) {
                    let taken = if note {
                        ningan_core::text::note(&s, 6).is_ok_and(|t| t.as_str().chars().filter(|c| c.is_alphanumeric()).count() >= min)
                    } else {
                        ningan_core::text::line(&s, min, 6).is_ok()
                    };
                    prop_assert!(taken, "{:?} allowed by {:?}", s, schema);
                }
            }
        }
    }

    #[test]
    fn the_examples_are_accepted_by_the_server_s_own_parsers() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
        assert!(ningan_core::IdNumber::parse(ID_NUMBER_EXAMPLE, today).is_ok());
        assert!(ningan_core::Phone::parse(PHONE_EXAMPLE).is_ok());
        assert!(crate::geo::district_at(LON_EXAMPLE, LAT_EXAMPLE).is_some());
    }
}
