//! Kernel ring-buffer text (`/dev/kmsg` records, `klogctl`, a sosreport's `dmesg`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_core::fuzzing::kmsg_text(&String::from_utf8_lossy(data));
});
