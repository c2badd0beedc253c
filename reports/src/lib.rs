//! wsspec's result model and report writers.
//!
//! Output is Autobahn|Testsuite-compatible (`index.json`, `<agent>_case_<id>.json`,
//! `index.html`, `<agent>_case_<id>.html`) so existing CI judges read it unchanged.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod result;

pub use result::*;
