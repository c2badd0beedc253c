#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wsspec::fuzzing::case_file(data));
