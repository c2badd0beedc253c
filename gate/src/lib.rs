//! wsspec's CI judge: reads Autobahn spec files and expectations, applies the `--fail-on`
//! policy to a report, and writes what CI systems read (JUnit XML, a Markdown step summary),
//! plus run-to-run diffs and a servers × cases matrix.
//!
//! # Judging a report
//!
//! ```no_run
//! use std::path::Path;
//! use wsspec_gate::expect::Expectations;
//! use wsspec_gate::outcome::judge_all;
//! use wsspec_gate::policy::Policy;
//! use wsspec_gate::{baseline, junit, step_summary, LoadedReport};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let report = LoadedReport::load(Path::new("reports/servers"))?;
//! let expectations = Expectations::load(Path::new("ci/expect/ws.toml"))?; // --expect
//! let policy = Policy::parse("failed,unclean,wrong-code")?; // --fail-on (Policy::default())
//! let gates = judge_all(&report, &expectations, &policy);
//! for gate in &gates {
//!     print!("{}", gate.render_text()); // offending cases, warnings, summary line
//! }
//! junit::write(Path::new("junit.xml"), &report, &gates)?; // --junit
//! step_summary::append_if_requested(&gates)?; // $GITHUB_STEP_SUMMARY
//! let exit_code = if gates.iter().all(|g| g.passed()) { 0 } else { 1 };
//!
//! // `wsspec baseline DIR > FILE`:
//! print!("{}", baseline::render(&report, None, &policy)?);
//! # let _ = exit_code;
//! # Ok(())
//! # }
//! ```
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

#[cfg(test)]
mod test_support;

pub use report::{LoadError, LoadedReport};
