//! The JUnit XML of a small synthetic report: every outcome once, snapshot-tested.

mod common;

use common::{expectations, mixed_cases, write_report};
use wsspec_gate::junit;
use wsspec_gate::outcome::judge_all;
use wsspec_gate::policy::Policy;

#[test]
fn junit_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_report(dir.path(), &["ws@8.23.0"], &mixed_cases());
    let gates = judge_all(&report, &expectations(), &Policy::default());
    let xml = junit::render(&report, &gates).unwrap();
    insta::assert_snapshot!(xml);
}

#[test]
fn junit_shape_and_hostile_strings() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_report(dir.path(), &["ws@8.23.0"], &mixed_cases());
    let gates = judge_all(&report, &expectations(), &Policy::default());
    let xml = junit::render(&report, &gates).unwrap();

    // Counts: 1.1.2, 6.4.4 (unexpected success), 7.1.5, 7.1.6, 9.1.1 fail; 12.1.1 is skipped.
    assert!(
        xml.contains("<testsuites name=\"wsspec\" tests=\"9\" failures=\"5\" errors=\"0\""),
        "{xml}"
    );
    assert!(xml.contains("<testsuite name=\"ws@8.23.0 · 7 Close Handling\" tests=\"2\" skipped=\"0\" errors=\"0\" failures=\"2\" time=\"1.501\">"), "{xml}");
    assert!(xml.contains("<property name=\"policy\" value=\"failed,unclean,wrong-code\"/>"));
    assert!(xml.contains("classname=\"7 Close Handling\""));
    assert!(
        xml.contains("<failure message=\"expected close 1002, got 1000\" type=\"WRONG CODE\">"),
        "{xml}"
    );
    assert!(xml.contains("type=\"UNEXPECTED SUCCESS\""));
    assert!(
        !xml.contains("type=\"FAILED BY CLIENT\""),
        "behavior FAILED is named first"
    );
    assert!(xml
        .contains("<failure message=\"behavior FAILED; close FAILED BY CLIENT\" type=\"FAILED\">"));
    assert!(xml.contains("<skipped message=\"UNIMPLEMENTED: The peer did not accept permessage-deflate. (known divergence, expectation #2: no permessage-deflate)\"/>"), "{xml}");
    assert!(
        xml.contains("Known divergence (expectation #1): fails fast only at the end of a message")
    );
    assert!(xml.contains("INFORMATIONAL / INFORMATIONAL: Pong received"));
    assert!(
        xml.contains("Per-case JSON: ws_8_23_0_case_9_1_1.json is missing"),
        "{xml}"
    );

    // Hostile close reason: escaped, the control character made visible, no raw markup.
    assert!(!xml.contains("<script>"), "{xml}");
    assert!(!xml.contains("]]>"), "{xml}");
    assert!(!xml.contains('\u{1}') && !xml.contains('\u{ffff}'));
    assert!(
        xml.contains(
            "reason &quot;bye\\u0001]]&gt;&lt;script&gt;alert(1)&lt;/script&gt;|`x`\\u{ffff}&quot;"
        ),
        "{xml}"
    );

    // The wire log of 7.1.6 (30 entries) is shown whole; of its 30 frames none is dropped.
    assert!(xml.contains("Wire log (30 entries):"));
    // quick-junit can read its own output back: the file is well-formed.
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(parsed.tests, 9);
    let skipped: usize = parsed.test_suites.iter().map(|s| s.skipped).sum();
    assert_eq!(skipped, 1);
}

#[test]
fn long_wire_logs_are_cut_in_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = mixed_cases();
    for c in &mut cases {
        if c.id == "7.1.6" {
            c.wirelog_frames = 100;
        }
    }
    let report = write_report(dir.path(), &["ws"], &cases);
    let gates = judge_all(&report, &expectations(), &Policy::default());
    let xml = junit::render(&report, &gates).unwrap();
    assert!(
        xml.contains("Wire log (first and last 20 of 100 entries):"),
        "{xml}"
    );
    assert!(xml.contains("… 60 entries omitted …"));
    assert!(xml.contains("msg 18") && xml.contains("msg 98"));
    assert!(!xml.contains("msg 50"), "the middle is omitted");
}

#[test]
fn several_agents_get_their_own_suites_and_unique_classnames() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_report(dir.path(), &["a", "b"], &mixed_cases());
    let gates = judge_all(&report, &expectations(), &Policy::default());
    let xml = junit::render(&report, &gates).unwrap();
    assert!(xml.contains("<testsuite name=\"a · 1 Framing\""));
    assert!(xml.contains("<testsuite name=\"b · 1 Framing\""));
    assert!(xml.contains("classname=\"b · 1 Framing\""));
    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(parsed.tests, 18);
}
