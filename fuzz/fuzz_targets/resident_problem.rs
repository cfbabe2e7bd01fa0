//! Fuzzes the path from an arbitrary request body to a problem document: parsing the
//! resident request, validating it, and rendering the error. Whatever the input, the answer
//! is a well-formed problem with a 4xx status, never a panic or a 500.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ningan::modules::residents::{NewResidentRequest, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<NewResidentRequest>(data) else { return };
    if let Err(e) = validate(req) {
        let problem = e.problem();
        assert!((400..500).contains(&problem.status), "validation failed with {}", problem.status);
        let json = serde_json::to_string(&problem).expect("serialises");
        let back: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert!(back["type"].as_str().is_some_and(|t| t.starts_with("/problems/")));
        assert!(!problem.errors.is_empty(), "validation errors name a field");
    }
});
