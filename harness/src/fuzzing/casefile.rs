//! The network fuzzer's case-file reader: hostile bytes must give an error naming the
//! file, and an accepted file must model into a case and survive a write-read round trip.

use std::path::Path;

use crate::netfuzz::CaseFile;

/// The name errors must carry.
const CASE_NAME: &str = "fuzz-case.json";

/// Oracle: errors name the file; an accepted file models (or refuses to, with the file
/// named) without panicking, and serializes back to a file that reads as the same JSON.
pub fn case_file(data: &[u8]) {
    let path = Path::new(CASE_NAME);
    match CaseFile::parse(path, data) {
        Err(e) => assert!(e.to_string().contains(CASE_NAME), "{e}"),
        Ok(file) => {
            if let Err(e) = file.to_case(path) {
                assert!(e.to_string().contains(CASE_NAME), "{e}");
            }
            let Ok(json) = serde_json::to_vec(&file) else {
                return;
            };
            let again = CaseFile::parse(path, &json);
            assert!(again.is_ok(), "a written case file does not read back");
            let rewritten = again.ok().and_then(|f| serde_json::to_vec(&f).ok());
            assert_eq!(
                rewritten.as_deref(),
                Some(json.as_slice()),
                "round trip differs"
            );
        }
    }
}
