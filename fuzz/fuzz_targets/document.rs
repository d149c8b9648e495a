#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codraft_fuzz::document(data));
