//! The network fuzzer (`wsspec fuzz`): generated action sequences against a live server,
//! judged by a reference model of RFC 6455 through the same engine as the catalogue.
//!
//! `action` is the input (an opening variant and actions, generated with `arbitrary` and
//! seeded from the catalogue), `model` the oracle that turns a sequence into a [`Case`]
//! (steps, acceptable events, expected close), `run` the loop against a server
//! (concurrency, findings, liveness, progress), `listen` the same against clients that
//! connect in, `minimize` delta debugging of a finding, and `casefile` the JSON
//! reproducers that `wsspec replay` and `wsspec client --cases-dir` read.
//!
//! [`Case`]: wsspec_cases::Case

pub mod action;
pub mod casefile;
pub mod listen;
pub mod minimize;
pub mod model;
pub mod run;

pub use action::{Action, Sequence};
pub use casefile::{CaseFile, CaseFileError};
pub use model::{model, model_for, Meta, ModelError, Modeled, PeerRole, Timing};
pub use run::{fuzz, FuzzConfig, FuzzError, Report, Symptom};
