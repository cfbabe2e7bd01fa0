//! Fuzzes ID-number validation: never panics, and whatever it accepts re-validates to itself,
//! masks to the same length and keeps region and last four.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ningan_core::IdNumber;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
    if let Ok(id) = IdNumber::parse(s, today) {
        let again = IdNumber::parse(id.as_str(), today).expect("accepted numbers re-validate");
        assert_eq!(again.as_str(), id.as_str());
        let masked = id.masked();
        assert_eq!(masked.len(), 18);
        assert_eq!(&masked[..6], &id.as_str()[..6]);
        // Only the region and the check character are kept: the birth date and the
        // sequence are hidden.
        assert!(masked[6..17].bytes().all(|b| b == b'*'), "{masked}");
        assert_eq!(&masked[17..], &id.as_str()[17..]);
    }
});
