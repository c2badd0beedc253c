//! wsspec's CI judge: reads Autobahn spec files and expectations, applies the `--fail-on`
//! policy to a report, and writes what CI systems read (JUnit XML, a Markdown step summary),
//! plus run-to-run diffs and a servers × cases matrix.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod report;
pub mod spec;

pub mod baseline;
pub mod expect;
pub mod junit;
pub mod outcome;
pub mod policy;
pub mod step_summary;

pub mod compare;
pub mod compare_html;
pub mod diff;

pub use report::{LoadError, LoadedReport};
