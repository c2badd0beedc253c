//! wsspec's case model and catalogue.
//!
//! A case is a declarative value: what to send (steps) and what a conforming peer does
//! (expected events and closing behaviour). The engine in `wsspec` runs the steps and
//! judges; the reports and the CLI read ids, categories and descriptions from here.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalogue;
pub mod compression;
pub mod model;
pub mod pattern;

pub use catalogue::{catalogue, select, CATEGORIES};
pub use compression::{Compression, Corpus, DeflateAccept, Negotiation};
pub use model::*;
pub use pattern::Patterns;
