//! wsspec's result model and report writers.
//!
//! Output is Autobahn|Testsuite-compatible (`index.json`, `<agent>_case_<id>.json`,
//! `index.html`, `<agent>_case_<id>.html`) so existing CI judges read it unchanged.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod clock;
pub mod error;
pub mod files;
pub mod html;
pub mod html_case;
pub mod html_index;
pub mod index;
pub mod json;
pub mod report_dir;
pub mod result;
pub mod summary;
pub mod traffic;

#[cfg(test)]
mod test_support;

pub use error::ReportError;
pub use files::{case_html_name, case_json_name, clean_for_filename};
pub use html_case::render_case;
pub use html_index::render_index;
pub use index::Index;
pub use json::to_autobahn_json;
pub use report_dir::ReportDir;
pub use result::*;
pub use summary::{markdown_summary, rows_for, summary_table};
pub use traffic::{compression_ratio, websocket_overhead, CompressionRatios, TrafficCounters};
