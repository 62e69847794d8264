//! The redactor: whole text, its own output again, and line by line (PEM state).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_core::fuzzing::redact(&String::from_utf8_lossy(data));
});
