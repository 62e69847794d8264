//! `/proc` files and their sosreport copies: the first byte picks the parser.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some((which, rest)) = data.split_first() {
        triage_core::fuzzing::proc_file(*which, &String::from_utf8_lossy(rest));
    }
});
