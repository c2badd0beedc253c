//! The JUnit XML validates against Jenkins' `junit-10.xsd` (the schema pytest tests its
//! own JUnit output with), checked with `xmllint`.
//!
//! Needs `bash ci/install-peers.sh` (it fetches the XSD into `ci/peers/.cache/junit-xsd/` and
//! installs `libxml2-utils`); `WSSPEC_SKIP_PEERS=1` skips when either is missing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{expectations, mixed_cases, write_report, SKIP_ENV};
use wsspec_gate::junit;
use wsspec_gate::outcome::judge_all;
use wsspec_gate::policy::Policy;

fn xsd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/peers/.cache/junit-xsd/junit-10.xsd")
}

fn xmllint_present() -> bool {
    Command::new("xmllint")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `true` when the test can go on; panics (or, with the skip variable, returns `false`).
fn require_tools() -> bool {
    let missing: Vec<&str> = [
        (!xsd().is_file()).then_some("ci/peers/.cache/junit-xsd/junit-10.xsd"),
        (!xmllint_present()).then_some("xmllint (Debian libxml2-utils)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!(
            "NOTICE: {} missing; test skipped because {SKIP_ENV}=1",
            missing.join(" and ")
        );
        return false;
    }
    panic!(
        "{} missing: run `bash ci/install-peers.sh` from the repository root \
         (or set {SKIP_ENV}=1 to skip tests that need it)",
        missing.join(" and ")
    );
}

/// Run xmllint on `xml`; returns (success, stderr).
fn validate(dir: &Path, xml: &str) -> (bool, String) {
    let file = dir.join("junit.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd())
        .arg(&file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn junit_validates_against_the_jenkins_xsd() {
    if !require_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Two agents, one of them hostile, with failures, skips, successes, a missing case file
    // and a close reason full of markup and invalid XML characters.
    let report = write_report(
        &dir.path().join("report"),
        &["ws <8.23.0> & \"co\"\u{1}", "faye"],
        &mixed_cases(),
    );
    let gates = judge_all(&report, &expectations(), &Policy::default());
    let xml = junit::render(&report, &gates).unwrap();
    assert!(xml.contains("<failure") && xml.contains("<skipped") && xml.contains("<system-out>"));
    let (ok, stderr) = validate(dir.path(), &xml);
    assert!(ok, "xmllint rejected the JUnit XML:\n{stderr}\n{xml}");
}

#[test]
fn the_validator_does_reject_what_the_xsd_forbids() {
    if !require_tools() {
        return;
    }
    // quick-junit's raw root element carries `skipped`, which junit-10.xsd does not allow;
    // this is why `junit::render` drops it. Prove xmllint really checks the schema.
    let dir = tempfile::tempdir().unwrap();
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"wsspec\" tests=\"0\" skipped=\"0\" failures=\"0\" errors=\"0\"/>\n";
    let (ok, stderr) = validate(dir.path(), xml);
    assert!(!ok, "xmllint accepted a root `skipped` attribute");
    assert!(stderr.contains("skipped"), "{stderr}");
}
