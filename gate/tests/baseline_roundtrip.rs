//! `wsspec baseline` output parses back, and judging the same report with it passes the gate
//! with every case a pass or a known divergence.

mod common;

use common::{mixed_cases, write_report};
use wsspec_gate::baseline;
use wsspec_gate::expect::Expectations;
use wsspec_gate::outcome::{judge_all, Outcome};
use wsspec_gate::policy::Policy;

#[test]
fn baseline_parses_back_and_passes_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_report(&dir.path().join("report"), &["ws@8.23.0"], &mixed_cases());
    let policy = Policy::default();

    // Without expectations the fixture fails the gate.
    let before = judge_all(&report, &Expectations::empty(), &policy);
    assert!(!before[0].passed());

    let text = baseline::render(&report, None, &policy).unwrap();
    let file = dir.path().join("expect.toml");
    std::fs::write(&file, &text).unwrap();
    let x = Expectations::load(&file).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(x
        .entries()
        .iter()
        .all(|e| e.reason == baseline::TODO_REASON));

    let gates = judge_all(&report, &x, &policy);
    assert_eq!(gates.len(), 1);
    let g = &gates[0];
    assert!(g.passed(), "{}\n{text}", g.render_text());
    assert!(g.unmatched.is_empty(), "{:?}", g.unmatched);
    for c in &g.cases {
        let quiet = matches!(
            (c.entry.behavior.as_str(), c.entry.behavior_close.as_str()),
            ("OK" | "INFORMATIONAL", "OK" | "INFORMATIONAL")
        );
        match &c.outcome {
            Outcome::Pass => assert!(quiet, "{} passes without an entry", c.id),
            Outcome::KnownDivergence { .. } => assert!(!quiet, "{} needs no entry", c.id),
            other => panic!("{}: {other:?}\n{text}", c.id),
        }
    }
    // 1.1.2, 6.4.3, 7.1.5, 7.1.6, 9.1.1, 12.1.1.
    assert_eq!(g.counts().known_divergence, 6, "{text}");

    // Strict policy: a baseline written for it passes under it too.
    let strict =
        Policy::parse("failed,non-strict,unclean,wrong-code,informational,unimplemented").unwrap();
    let text = baseline::render(&report, Some("ws@8.23.0"), &strict).unwrap();
    std::fs::write(&file, &text).unwrap();
    let x = Expectations::load(&file).unwrap();
    let g = &judge_all(&report, &x, &strict)[0];
    assert!(g.passed(), "{}\n{text}", g.render_text());
    assert_eq!(
        g.counts().known_divergence,
        7,
        "2.1 (INFORMATIONAL) is now covered too"
    );

    // A verdict that changes afterwards fails the gate: the file is kept honest.
    let mut changed = report.clone();
    let e = changed
        .index
        .get_mut("ws@8.23.0")
        .unwrap()
        .get_mut("6.4.3")
        .unwrap();
    e.behavior = wsspec_cases::Verdict::Ok;
    let g = &judge_all(&changed, &x, &strict)[0];
    assert!(!g.passed());
    assert!(matches!(
        g.cases.iter().find(|c| c.id == "6.4.3").unwrap().outcome,
        Outcome::UnexpectedSuccess { .. }
    ));
}
