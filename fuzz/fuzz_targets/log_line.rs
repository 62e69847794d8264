//! Any line of a log file (syslog, ISO, kmsg records, dmesg, journal short formats).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Log readers take lines lossily decoded, one at a time.
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        triage_core::fuzzing::log_line(line);
    }
});
