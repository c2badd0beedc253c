//! `--junit FILE`: the gate's outcomes as JUnit XML, shaped for GitLab and the GitHub JUnit
//! actions (`mikepenz/action-junit-report`, `dorny/test-reporter`).
//!
//! - `<testsuites name="wsspec">`, one `<testsuite>` per agent and category, named
//!   `"<agent> · <number> <title>"`, with the properties `agent` and `policy`;
//! - `<testcase classname="<number> <title>" name="<id> <short title>" time="<seconds>">`
//!   (GitLab shows the classname as the suite; with several agents the classname carries
//!   the agent too, so names stay unique);
//! - an unexpected failure is `<failure type="<offending verdict>" message="expected close
//!   1002, got 1000">` whose text holds the description, the expectation, `result`,
//!   `resultClose`, expected vs received and a wire-log excerpt from the per-case JSON;
//! - an unexpected success is `<failure type="UNEXPECTED SUCCESS">` naming the expectation;
//! - an UNIMPLEMENTED behavior that does not fail the gate is `<skipped>`;
//! - known divergences and INFORMATIONAL or NON-STRICT observations pass, with the reason
//!   or the observation in `<system-out>`.
//!
//! Strings from the report (agent, case ids, close reasons, wire logs) are escaped by
//! quick-junit; characters XML 1.0 forbids are replaced by a visible `\u{..}` escape first.
//! The output validates against Jenkins' `junit-10.xsd` (see `gate/tests/junit_xsd.rs`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::Value;
use wsspec_cases::{catalogue, Case, CloseVerdict, Verdict, CATEGORIES};

use crate::outcome::{policy_text, CaseOutcome, Expected, GateReport, Outcome};
use crate::policy::FailOn;
use crate::report::LoadedReport;

/// The name of the `<testsuites>` element.
pub const REPORT_NAME: &str = "wsspec";
/// Wire-log entries shown from each end of the log.
const WIRELOG_EDGE: usize = 20;
/// Longest line kept from a report string in a failure text.
const MAX_LINE: usize = 300;
/// Longest failure or skip text.
const MAX_BODY: usize = 8 * 1024;
/// Longest `message` attribute.
const MAX_MESSAGE: usize = 400;
/// Longest short title.
const MAX_TITLE: usize = 80;

/// Why the JUnit file could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    /// quick-junit could not serialize the report.
    #[error("cannot serialize the JUnit report: {0}")]
    Serialize(String),
    /// The file could not be written.
    #[error("cannot write JUnit file {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The JUnit XML of the judged agents; case details are read from `report`'s case files.
pub fn render(report: &LoadedReport, gates: &[GateReport]) -> Result<String, JunitError> {
    let mut junit = Report::new(REPORT_NAME);
    let several = gates.len() > 1;
    let by_id: HashMap<&str, &Case> = catalogue().iter().map(|c| (c.id.as_str(), c)).collect();
    let mut total = Duration::ZERO;
    for gate in gates {
        let mut suites: Vec<(String, TestSuite, Duration)> = Vec::new();
        for case in &gate.cases {
            let known = by_id.get(case.id.as_str()).copied();
            let category = category_label(&case.id, known);
            let classname = if several {
                format!("{} · {category}", gate.agent)
            } else {
                category.clone()
            };
            let testcase = test_case(report, gate, case, known, &classname);
            let time = Duration::from_millis(case.entry.duration);
            let index = match suites.iter().position(|(c, _, _)| *c == category) {
                Some(i) => i,
                None => {
                    let mut suite =
                        TestSuite::new(xml_safe(&format!("{} · {category}", gate.agent)));
                    suite.add_property(Property::new("agent", xml_safe(&gate.agent)));
                    suite.add_property(Property::new("policy", policy_text(&gate.policy)));
                    suites.push((category.clone(), suite, Duration::ZERO));
                    suites.len() - 1
                }
            };
            let (_, suite, suite_time) = &mut suites[index];
            suite.add_test_case(testcase);
            *suite_time += time;
        }
        for (_, mut suite, time) in suites {
            suite.set_time(time);
            total += time;
            junit.add_test_suite(suite);
        }
    }
    junit.set_time(total);
    let xml = junit
        .to_string()
        .map_err(|e| JunitError::Serialize(e.to_string()))?;
    Ok(drop_root_skipped(xml))
}

/// Render and write the file (replacing it).
pub fn write(path: &Path, report: &LoadedReport, gates: &[GateReport]) -> Result<(), JunitError> {
    let xml = render(report, gates)?;
    std::fs::write(path, xml).map_err(|source| JunitError::Write {
        path: path.into(),
        source,
    })
}

/// A catalogue description as a short plain-text title: tags dropped, whitespace collapsed,
/// the first sentence, at most 80 characters.
pub fn short_title(description: &str) -> String {
    let mut text = String::with_capacity(description.len());
    let mut in_tag = false;
    for c in description.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if in_tag => {}
            c if c.is_whitespace() || c.is_control() => text.push(' '),
            c => text.push(c),
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end = text.len();
    for (i, _) in text.match_indices(". ") {
        let before = &text[..i];
        if before.ends_with("e.g") || before.ends_with("i.e") || before.ends_with("vs") {
            continue;
        }
        end = i;
        break;
    }
    let sentence = text[..end].trim_end_matches('.').trim();
    if sentence.chars().count() <= MAX_TITLE {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(MAX_TITLE - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > MAX_TITLE / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

/// `6 UTF-8 Handling`; ids the catalogue does not know use their first number.
fn category_label(id: &str, known: Option<&Case>) -> String {
    if let Some(c) = known {
        return format!("{} {}", c.category.number, c.category.title);
    }
    let number = id.split('.').next().and_then(|n| n.parse::<u32>().ok());
    match number {
        Some(n) => match CATEGORIES.iter().find(|c| c.number == n) {
            Some(c) => format!("{} {}", c.number, c.title),
            None => format!("{n} Other"),
        },
        None => "Other".to_string(),
    }
}

fn test_case(
    report: &LoadedReport,
    gate: &GateReport,
    case: &CaseOutcome,
    known: Option<&Case>,
    classname: &str,
) -> TestCase {
    let name = match known.map(|c| short_title(&c.description)) {
        Some(t) if !t.is_empty() => format!("{} {t}", case.id),
        _ => case.id.clone(),
    };
    let (behavior, close) = (case.entry.behavior, case.entry.behavior_close);
    let quiet = behavior == Verdict::Ok && close == CloseVerdict::Ok;
    // Plain passes need nothing from the case file.
    let json = if quiet && case.outcome == Outcome::Pass {
        CaseJson::Skipped
    } else {
        match report.case_json(&case.entry) {
            Ok(Some(v)) => CaseJson::Read(v),
            Ok(None) => CaseJson::Missing,
            Err(e) => CaseJson::Unreadable(e.to_string()),
        }
    };
    let details = Details {
        case,
        known,
        json: &json,
    };
    let status = match &case.outcome {
        Outcome::UnexpectedFailure {
            violations,
            expected,
        } => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type(failure_type(behavior, close, violations));
            s.set_message(xml_safe(&clip(
                &details.failure_message(violations, expected.as_ref()),
                MAX_MESSAGE,
            )));
            s.set_description(xml_safe(&details.body(gate, violations, expected.as_ref())));
            s
        }
        Outcome::UnexpectedSuccess { expected } => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_type("UNEXPECTED SUCCESS");
            s.set_message(xml_safe(&clip(
                &format!(
                    "{} expects {} ({}), got {}; the divergence is gone, remove or update the expectation",
                    expected.label(),
                    expected.verdicts_text(),
                    expected.reason,
                    case.verdicts_text()
                ),
                MAX_MESSAGE,
            )));
            s.set_description(xml_safe(&details.body(gate, &[], Some(expected))));
            s
        }
        _ if behavior == Verdict::Unimplemented => {
            let mut s = TestCaseStatus::skipped();
            let mut message = format!("UNIMPLEMENTED: {}", details.field("result"));
            if let Outcome::KnownDivergence { number, reason } = &case.outcome {
                let _ = write!(
                    message,
                    " (known divergence, expectation #{number}: {reason})"
                );
            }
            s.set_message(xml_safe(&clip(&message, MAX_MESSAGE)));
            s
        }
        _ => TestCaseStatus::success(),
    };
    let mut tc = TestCase::new(xml_safe(&name), status);
    tc.set_classname(xml_safe(classname));
    tc.set_time(Duration::from_millis(case.entry.duration));
    if let Some(out) = details.system_out() {
        tc.set_system_out(xml_safe(&out));
    }
    tc
}

/// The per-case JSON, as far as it could be read.
enum CaseJson {
    /// Not needed (a plain pass).
    Skipped,
    /// Read.
    Read(Value),
    /// The index names a file that is not there.
    Missing,
    /// The file could not be read or parsed.
    Unreadable(String),
}

/// What a failure, skip or system-out says about one case.
struct Details<'a> {
    case: &'a CaseOutcome,
    known: Option<&'a Case>,
    json: &'a CaseJson,
}

impl Details<'_> {
    fn value(&self, key: &str) -> Option<&Value> {
        match self.json {
            CaseJson::Read(v) => v.get(key),
            _ => None,
        }
    }

    /// A string field of the case JSON, one line, bounded (empty when absent).
    fn field(&self, key: &str) -> String {
        self.value(key)
            .and_then(Value::as_str)
            .map(|s| clip(&one_line(s), MAX_LINE))
            .unwrap_or_default()
    }

    fn description(&self) -> String {
        let from_json = self.field("description");
        if !from_json.is_empty() {
            return from_json;
        }
        self.known
            .map(|c| clip(&one_line(&c.description), MAX_LINE))
            .unwrap_or_default()
    }

    fn expectation(&self) -> String {
        let from_json = self.field("expectation");
        if !from_json.is_empty() {
            return from_json;
        }
        self.known
            .map(|c| clip(&one_line(&c.expectation), MAX_LINE))
            .unwrap_or_default()
    }

    /// `1000 or 1001` from `expectedClose.closeCode`.
    fn expected_codes(&self) -> Option<String> {
        let codes = self.value("expectedClose")?.get("closeCode")?.as_array()?;
        let codes: Vec<String> = codes.iter().map(compact).collect();
        (!codes.is_empty()).then(|| codes.join(" or "))
    }

    /// The peer's close code: the case JSON's, else the index's.
    fn remote_code(&self) -> String {
        match self.value("remoteCloseCode") {
            Some(Value::Null) => "none".to_string(),
            Some(v) => compact(v),
            None => self
                .case
                .entry
                .remote_close_code
                .map_or("none".to_string(), |c| c.to_string()),
        }
    }

    /// One clause per offending field: what was expected vs what was received.
    fn failure_message(&self, violations: &[FailOn], expected: Option<&Expected>) -> String {
        let (behavior, close) = (self.case.entry.behavior, self.case.entry.behavior_close);
        let mut parts = Vec::new();
        if FailOn::of_behavior(behavior).is_some_and(|w| violations.contains(&w)) {
            let result = self.field("result");
            parts.push(if result.is_empty() {
                format!("behavior {}", behavior.as_str())
            } else {
                format!("behavior {}: {result}", behavior.as_str())
            });
        }
        if FailOn::of_close(close).is_some_and(|w| violations.contains(&w)) {
            if close == CloseVerdict::WrongCode {
                let want = self
                    .expected_codes()
                    .unwrap_or_else(|| "another code".to_string());
                parts.push(format!("expected close {want}, got {}", self.remote_code()));
            } else {
                let result = self.field("resultClose");
                parts.push(if result.is_empty() {
                    format!("close {}", close.as_str())
                } else {
                    format!("close {}: {result}", close.as_str())
                });
            }
        }
        let parts: Vec<&str> = parts.iter().map(|p| p.trim_end_matches('.')).collect();
        let mut msg = parts.join("; ");
        if let Some(x) = expected {
            let _ = write!(msg, " ({} expects {})", x.label(), x.verdicts_text());
        }
        msg
    }

    /// The failure text: everything a reader needs without opening the report.
    fn body(
        &self,
        gate: &GateReport,
        violations: &[FailOn],
        expected: Option<&Expected>,
    ) -> String {
        let case = self.case;
        let mut b = String::new();
        let _ = writeln!(b, "Case {}: {}", case.id, self.description());
        let _ = writeln!(b, "Expectation: {}", self.expectation());
        let _ = writeln!(
            b,
            "Verdicts: behavior {}, behaviorClose {}",
            case.entry.behavior.as_str(),
            case.entry.behavior_close.as_str()
        );
        let broken: Vec<&str> = violations.iter().map(|w| w.as_str()).collect();
        if broken.is_empty() {
            let _ = writeln!(
                b,
                "Policy: --fail-on {} (passes)",
                policy_text(&gate.policy)
            );
        } else {
            let _ = writeln!(
                b,
                "Policy: --fail-on {} (broken: {})",
                policy_text(&gate.policy),
                broken.join(", ")
            );
        }
        if let Some(x) = expected {
            let _ = writeln!(
                b,
                "Expectations file: {} expects {}: {}",
                x.label(),
                x.verdicts_text(),
                clip(&one_line(&x.reason), MAX_LINE)
            );
        }
        match self.json {
            CaseJson::Read(_) => {}
            CaseJson::Skipped => {}
            CaseJson::Missing => {
                let _ = writeln!(b, "Per-case JSON: {} is missing", case.entry.reportfile);
            }
            CaseJson::Unreadable(e) => {
                let _ = writeln!(
                    b,
                    "Per-case JSON: unreadable: {}",
                    clip(&one_line(e), MAX_LINE)
                );
            }
        }
        if let CaseJson::Read(_) = self.json {
            let _ = writeln!(b, "result: {}", self.field("result"));
            let _ = writeln!(b, "resultClose: {}", self.field("resultClose"));
            let bounded = |key: &str| {
                self.value(key)
                    .map(|v| clip(&compact(v), MAX_LINE))
                    .unwrap_or_else(|| "(absent)".to_string())
            };
            let _ = writeln!(b, "Expected events: {}", bounded("expected"));
            let _ = writeln!(b, "Received events: {}", bounded("received"));
            let _ = writeln!(b, "Expected close: {}", bounded("expectedClose"));
            let reason = self
                .value("remoteCloseReason")
                .map_or("null".to_string(), |v| clip(&v.to_string(), MAX_LINE));
            let _ = writeln!(
                b,
                "Received close: code {}, reason {reason}, clean {}{}",
                self.remote_code(),
                self.value("wasClean").map_or("?".to_string(), compact),
                match self.field("wasNotCleanReason") {
                    r if r.is_empty() => String::new(),
                    r => format!(" ({r})"),
                }
            );
            b.push_str(&self.wirelog());
        }
        clip(&b, MAX_BODY)
    }

    /// The first and last entries of the wire log, one per line.
    fn wirelog(&self) -> String {
        let log = match self.value("wirelog").and_then(Value::as_array) {
            Some(log) if !log.is_empty() => log,
            _ => return "Wire log: (empty)\n".to_string(),
        };
        let mut out = String::new();
        let n = log.len();
        let line = |v: &Value| format!("  {}\n", clip(&compact(v), 200));
        if n <= 2 * WIRELOG_EDGE {
            let _ = writeln!(out, "Wire log ({n} entries):");
            log.iter().for_each(|v| out.push_str(&line(v)));
        } else {
            let _ = writeln!(
                out,
                "Wire log (first and last {WIRELOG_EDGE} of {n} entries):"
            );
            log[..WIRELOG_EDGE]
                .iter()
                .for_each(|v| out.push_str(&line(v)));
            let _ = writeln!(out, "  … {} entries omitted …", n - 2 * WIRELOG_EDGE);
            log[n - WIRELOG_EDGE..]
                .iter()
                .for_each(|v| out.push_str(&line(v)));
        }
        out
    }

    /// What a passing case reports: the known divergence's reason, or the observation.
    fn system_out(&self) -> Option<String> {
        let case = self.case;
        let (behavior, close) = (case.entry.behavior, case.entry.behavior_close);
        let observation = || {
            let mut s = format!("{}: {}", case.verdicts_text(), self.field("result"));
            let rc = self.field("resultClose");
            if !rc.is_empty() {
                let _ = write!(s, " / {rc}");
            }
            s
        };
        match &case.outcome {
            Outcome::KnownDivergence { number, reason } => Some(format!(
                "Known divergence (expectation #{number}): {}\n{}\n",
                clip(&one_line(reason), MAX_LINE),
                observation()
            )),
            Outcome::Pass if behavior != Verdict::Ok || close != CloseVerdict::Ok => {
                Some(format!("{}\n", observation()))
            }
            _ => None,
        }
    }
}

/// The `type` of a failure: the behavior verdict when it breaks the policy, else the close one.
fn failure_type(behavior: Verdict, close: CloseVerdict, violations: &[FailOn]) -> &'static str {
    match FailOn::of_behavior(behavior) {
        Some(w) if violations.contains(&w) => behavior.as_str(),
        _ => close.as_str(),
    }
}

/// Compact JSON, or the bare string for strings.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

fn one_line(s: &str) -> String {
    s.split(['\n', '\r']).collect::<Vec<_>>().join(" ⏎ ")
}

/// At most `max` bytes, cut at a character boundary, with a marker when cut.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(" … (cut)".len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} … (cut)", &s[..end])
}

/// Characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE, U+FFFF) shown as `\u{..}`.
///
/// quick-junit silently drops most of them (and ANSI sequences); an escape keeps them visible.
pub fn xml_safe(s: &str) -> String {
    let bad = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}');
    if !s.chars().any(bad) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if bad(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Jenkins' `junit-10.xsd` does not allow `skipped` on `<testsuites>`, which quick-junit
/// always writes; the per-suite counts keep it. The root tag holds only our fixed name and
/// counts, so this edit cannot touch report data.
fn drop_root_skipped(xml: String) -> String {
    let Some(start) = xml.find("<testsuites ") else {
        return xml;
    };
    let Some(len) = xml[start..].find('>') else {
        return xml;
    };
    let tag = &xml[start..start + len];
    let Some(at) = tag.find(" skipped=\"") else {
        return xml;
    };
    let value_start = at + " skipped=\"".len();
    let Some(value_len) = tag[value_start..].find('"') else {
        return xml;
    };
    let range = start + at..start + value_start + value_len + 1;
    let mut xml = xml;
    xml.replace_range(range, "");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_titles_are_one_plain_sentence() {
        assert_eq!(
            short_title("A text message; once it is echoed the harness closes."),
            "A text message; once it is echoed the harness closes"
        );
        assert_eq!(
            short_title("Send a <b>ping</b> frame, e.g. with\n payload. Then close."),
            "Send a ping frame, e.g. with payload"
        );
        let long = "word ".repeat(40);
        let t = short_title(&long);
        assert!(t.chars().count() <= MAX_TITLE, "{t}");
        assert!(t.ends_with('…'));
        assert!(!short_title(&"x".repeat(200)).is_empty());
    }

    #[test]
    fn catalogue_titles_are_short_and_unique_with_their_ids() {
        let mut seen = std::collections::HashSet::new();
        for c in catalogue() {
            let t = short_title(&c.description);
            assert!(t.chars().count() <= MAX_TITLE, "{}: {t}", c.id);
            assert!(!t.is_empty(), "{} has no title", c.id);
            assert!(seen.insert(format!("{} {t}", c.id)));
        }
    }

    #[test]
    fn invalid_xml_characters_become_visible_escapes() {
        assert_eq!(
            xml_safe("a\u{1}b\u{1b}[31m\u{ffff}"),
            "a\\u{1}b\\u{1b}[31m\\u{ffff}"
        );
        assert_eq!(xml_safe("tab\tnl\ncr\r ok"), "tab\tnl\ncr\r ok");
    }

    #[test]
    fn root_skipped_attribute_is_dropped_and_only_there() {
        let xml = "<?xml version=\"1.0\"?>\n<testsuites name=\"wsspec\" tests=\"2\" skipped=\"1\" failures=\"0\" errors=\"0\">\n<testsuite name=\"a\" tests=\"2\" skipped=\"1\" errors=\"0\" failures=\"0\"/>\n</testsuites>\n".to_string();
        let out = drop_root_skipped(xml);
        assert!(
            out.contains("<testsuites name=\"wsspec\" tests=\"2\" failures=\"0\" errors=\"0\">"),
            "{out}"
        );
        assert!(
            out.contains("<testsuite name=\"a\" tests=\"2\" skipped=\"1\""),
            "{out}"
        );
    }

    #[test]
    fn clip_respects_char_boundaries() {
        let s = "é".repeat(100);
        let c = clip(&s, 51);
        assert!(c.len() <= 51 + 2, "{}", c.len());
        assert!(c.ends_with("… (cut)"));
        assert_eq!(clip("short", 10), "short");
    }

    #[test]
    fn failure_type_prefers_the_behavior_verdict() {
        assert_eq!(
            failure_type(
                Verdict::Failed,
                CloseVerdict::WrongCode,
                &[FailOn::Failed, FailOn::WrongCode]
            ),
            "FAILED"
        );
        assert_eq!(
            failure_type(
                Verdict::NonStrict,
                CloseVerdict::WrongCode,
                &[FailOn::WrongCode]
            ),
            "WRONG CODE"
        );
        assert_eq!(
            failure_type(Verdict::Ok, CloseVerdict::FailedByClient, &[FailOn::Failed]),
            "FAILED BY CLIENT"
        );
    }
}
