//! Fuzzes phone validation: never panics; accepted numbers are 11 digits and re-validate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ningan_core::Phone;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Phone::parse(s) {
        assert_eq!(p.as_str().len(), 11);
        assert!(p.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(Phone::parse(p.as_str()).expect("re-validates").as_str(), p.as_str());
        assert_eq!(p.masked().len(), 11);
    }
});
