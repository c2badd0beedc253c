//! The gate: every case of a report judged against the expectations and the policy.
//!
//! Per case:
//! - no expectation covers it: **pass** when the policy finds nothing, else **unexpected
//!   failure**;
//! - an expectation covers it and the verdicts are the expected ones: **known divergence**;
//! - an expectation covers it, the verdicts differ and pass the policy: **unexpected
//!   success**. The expectation is no longer needed, and this *fails* the gate (as
//!   tungstenite's golden-file diff does), so the file stays honest;
//! - an expectation covers it, the verdicts differ and break the policy: **unexpected
//!   failure** (a different failure than the one expected).
//!
//! Expectation globs that match no case of the run are reported as warnings.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use wsspec_cases::{catalogue, id_key, CloseVerdict, Verdict};
use wsspec_reports::IndexEntry;

use crate::expect::{glob_matches, Expectation, Expectations};
use crate::policy::{FailOn, Policy};
use crate::report::LoadedReport;

/// The expectation that covered a case, copied out of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Its 1-based entry number in the file.
    pub number: usize,
    /// Its line in the file, when known.
    pub line: Option<usize>,
    /// The expected behavior verdict.
    pub behavior: Verdict,
    /// The expected close verdict (`None`: any).
    pub behavior_close: Option<CloseVerdict>,
    /// Why the file expects it.
    pub reason: String,
}

impl Expected {
    fn from_entry(number: usize, e: &Expectation) -> Self {
        Expected {
            number,
            line: e.line,
            behavior: e.behavior,
            behavior_close: e.behavior_close,
            reason: e.reason.clone(),
        }
    }

    /// `NON-STRICT / OK`, or `NON-STRICT / any`.
    pub fn verdicts_text(&self) -> String {
        format!(
            "{} / {}",
            self.behavior.as_str(),
            self.behavior_close.map_or("any", CloseVerdict::as_str)
        )
    }

    /// `expectation #2` or `expectation #2 (line 7)`.
    pub fn label(&self) -> String {
        match self.line {
            Some(l) => format!("expectation #{} (line {l})", self.number),
            None => format!("expectation #{}", self.number),
        }
    }
}

/// How one case came out of the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No expectation, and the policy finds nothing.
    Pass,
    /// The verdicts are the ones an expectation names.
    KnownDivergence {
        /// The expectation's entry number.
        number: usize,
        /// Its reason.
        reason: String,
    },
    /// The verdicts break the policy and no expectation names them.
    UnexpectedFailure {
        /// The policy words broken.
        violations: Vec<FailOn>,
        /// The expectation that covered the case with other verdicts, if any.
        expected: Option<Expected>,
    },
    /// An expectation names a divergence the case no longer shows.
    UnexpectedSuccess {
        /// The expectation (with its reason).
        expected: Expected,
    },
}

impl Outcome {
    /// Whether the outcome fails the gate.
    pub fn is_offending(&self) -> bool {
        matches!(
            self,
            Outcome::UnexpectedFailure { .. } | Outcome::UnexpectedSuccess { .. }
        )
    }

    /// `pass`, `known divergence`, `unexpected failure` or `unexpected success`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::KnownDivergence { .. } => "known divergence",
            Outcome::UnexpectedFailure { .. } => "unexpected failure",
            Outcome::UnexpectedSuccess { .. } => "unexpected success",
        }
    }
}

/// One judged case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    /// The case id.
    pub id: String,
    /// Its index entry (verdicts, duration, report file).
    pub entry: IndexEntry,
    /// The judgement.
    pub outcome: Outcome,
}

impl CaseOutcome {
    /// `FAILED / WRONG CODE`.
    pub fn verdicts_text(&self) -> String {
        format!(
            "{} / {}",
            self.entry.behavior.as_str(),
            self.entry.behavior_close.as_str()
        )
    }

    /// Why the case offends, in one line (empty for cases that do not).
    pub fn why(&self) -> String {
        match &self.outcome {
            Outcome::Pass | Outcome::KnownDivergence { .. } => String::new(),
            Outcome::UnexpectedFailure {
                violations,
                expected,
            } => {
                let words: Vec<&str> = violations.iter().map(|w| w.as_str()).collect();
                let mut s = format!("unexpected failure (policy: {}", words.join(", "));
                if let Some(x) = expected {
                    let _ = write!(s, "; {} expects {}", x.label(), x.verdicts_text());
                }
                s.push(')');
                s
            }
            Outcome::UnexpectedSuccess { expected } => format!(
                "unexpected success ({} expects {}: {:?}); the divergence is gone, remove or \
                 update the expectation",
                expected.label(),
                expected.verdicts_text(),
                expected.reason
            ),
        }
    }
}

/// Outcome counts of one agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateCounts {
    /// Cases that pass.
    pub pass: usize,
    /// Cases matching their expectation.
    pub known_divergence: usize,
    /// Cases failing the policy unexpectedly.
    pub unexpected_failure: usize,
    /// Cases whose expected divergence is gone.
    pub unexpected_success: usize,
    /// All cases judged.
    pub total: usize,
}

/// The gate's judgement of one agent's cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateReport {
    /// The agent.
    pub agent: String,
    /// The policy applied.
    pub policy: Policy,
    /// Every case, in catalogue order (ids not in the catalogue last, in numeric order).
    pub cases: Vec<CaseOutcome>,
    /// Expectation globs (entry number, glob) that apply to this agent but match none of
    /// its cases: a warning, not a failure.
    pub unmatched: Vec<(usize, String)>,
    /// Expectations (entry number, agent glob) whose agent glob matches no agent of the
    /// report; filled by [`judge_all`]. A warning, not a failure.
    pub unmatched_agents: Vec<(usize, String)>,
}

impl GateReport {
    /// Judge one agent's index entries.
    pub fn judge(
        agent: &str,
        entries: &BTreeMap<String, IndexEntry>,
        expectations: &Expectations,
        policy: &Policy,
    ) -> GateReport {
        let cases = ordered(entries)
            .into_iter()
            .map(|(id, entry)| CaseOutcome {
                id: id.to_string(),
                entry: entry.clone(),
                outcome: judge_case(agent, id, entry, expectations, policy),
            })
            .collect();
        let mut unmatched = Vec::new();
        for (i, e) in expectations.entries().iter().enumerate() {
            if !e.applies_to(agent) {
                continue;
            }
            for glob in &e.cases {
                if !entries.keys().any(|id| glob_matches(glob, id)) {
                    unmatched.push((i + 1, glob.clone()));
                }
            }
        }
        GateReport {
            agent: agent.to_string(),
            policy: policy.clone(),
            cases,
            unmatched,
            unmatched_agents: Vec::new(),
        }
    }

    /// Whether the gate passed: no unexpected failure and no unexpected success.
    pub fn passed(&self) -> bool {
        self.offending().next().is_none()
    }

    /// The outcome counts.
    pub fn counts(&self) -> GateCounts {
        let mut c = GateCounts {
            total: self.cases.len(),
            ..GateCounts::default()
        };
        for case in &self.cases {
            match case.outcome {
                Outcome::Pass => c.pass += 1,
                Outcome::KnownDivergence { .. } => c.known_divergence += 1,
                Outcome::UnexpectedFailure { .. } => c.unexpected_failure += 1,
                Outcome::UnexpectedSuccess { .. } => c.unexpected_success += 1,
            }
        }
        c
    }

    /// The cases that fail the gate, in report order.
    pub fn offending(&self) -> impl Iterator<Item = &CaseOutcome> {
        self.cases.iter().filter(|c| c.outcome.is_offending())
    }

    /// The warnings, one line each (unmatched globs and agent globs). Many unmatched globs
    /// (a run of some categories with a whole server's file) make one line, not a screenful.
    pub fn warnings(&self) -> Vec<String> {
        const LISTED: usize = 8;
        let mut out: Vec<String> = if self.unmatched.len() <= 3 {
            self.unmatched
                .iter()
                .map(|(n, glob)| {
                    format!(
                        "warning: expectation #{n}: glob {:?} matches no case of {} in this run",
                        glob,
                        plain(&self.agent)
                    )
                })
                .collect()
        } else {
            let shown: Vec<String> = self
                .unmatched
                .iter()
                .take(LISTED)
                .map(|(n, glob)| format!("{glob:?} (#{n})"))
                .collect();
            let more = self.unmatched.len().saturating_sub(LISTED);
            vec![format!(
                "warning: {} expectation globs match no case of {} in this run: {}{}",
                self.unmatched.len(),
                plain(&self.agent),
                shown.join(", "),
                if more > 0 {
                    format!(", … and {more} more")
                } else {
                    String::new()
                }
            )]
        };
        out.extend(self.unmatched_agents.iter().map(|(n, glob)| {
            format!("warning: expectation #{n}: agent glob {glob:?} matches no agent of the report")
        }));
        out
    }

    /// The terminal rendering: one line per offending case, the warnings, a summary line.
    pub fn render_text(&self) -> String {
        let offending: Vec<&CaseOutcome> = self.offending().collect();
        let id_width = offending
            .iter()
            .map(|c| plain(&c.id).chars().count())
            .max()
            .unwrap_or(0);
        let verdict_width = offending
            .iter()
            .map(|c| c.verdicts_text().len())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for c in &offending {
            let _ = writeln!(
                out,
                "{:<id_width$}  {:<verdict_width$}  — {}",
                plain(&c.id),
                c.verdicts_text(),
                c.why()
            );
        }
        for w in self.warnings() {
            out.push_str(&w);
            out.push('\n');
        }
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    /// `ws: gate FAILED: 1 unexpected failure, 0 unexpected successes; 290 pass, 5 known divergences, 296 cases (--fail-on …)`.
    pub fn summary_line(&self) -> String {
        let c = self.counts();
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        format!(
            "{}: gate {verdict}: {} unexpected failure{}, {} unexpected success{}; {} pass, {} known divergence{}, {} case{} (--fail-on {})",
            plain(&self.agent),
            c.unexpected_failure,
            plural(c.unexpected_failure, "", "s"),
            c.unexpected_success,
            plural(c.unexpected_success, "", "es"),
            c.pass,
            c.known_divergence,
            plural(c.known_divergence, "", "s"),
            c.total,
            plural(c.total, "", "s"),
            policy_text(&self.policy),
        )
    }
}

/// Judge every agent of a report (in agent order), with the agent-glob warnings filled in.
pub fn judge_all(
    report: &LoadedReport,
    expectations: &Expectations,
    policy: &Policy,
) -> Vec<GateReport> {
    let agents: Vec<&str> = report.agents().collect();
    let unmatched_agents = expectations.unmatched_agents(&agents);
    report
        .index
        .iter()
        .map(|(agent, entries)| {
            let mut g = GateReport::judge(agent, entries, expectations, policy);
            g.unmatched_agents = unmatched_agents.clone();
            g
        })
        .collect()
}

/// The policy as shown to people: the list, or `""` spelled out.
pub fn policy_text(policy: &Policy) -> String {
    if policy.is_empty() {
        "\"\" (nothing fails)".to_string()
    } else {
        policy.to_string()
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// A string from a report, made safe for a terminal: control characters escaped.
pub(crate) fn plain(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn judge_case(
    agent: &str,
    id: &str,
    entry: &IndexEntry,
    expectations: &Expectations,
    policy: &Policy,
) -> Outcome {
    let (behavior, close) = (entry.behavior, entry.behavior_close);
    let violations = policy.violations(behavior, close);
    let Some((number, e)) = expectations.lookup(agent, id) else {
        return if violations.is_empty() {
            Outcome::Pass
        } else {
            Outcome::UnexpectedFailure {
                violations,
                expected: None,
            }
        };
    };
    let expected = Expected::from_entry(number, e);
    if e.matches_verdicts(behavior, close) {
        Outcome::KnownDivergence {
            number,
            reason: e.reason.clone(),
        }
    } else if violations.is_empty() {
        Outcome::UnexpectedSuccess { expected }
    } else {
        Outcome::UnexpectedFailure {
            violations,
            expected: Some(expected),
        }
    }
}

/// The entries in catalogue order; ids the catalogue does not know come last, in numeric order.
pub(crate) fn ordered(entries: &BTreeMap<String, IndexEntry>) -> Vec<(&str, &IndexEntry)> {
    let position: HashMap<&str, usize> = catalogue()
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut rows: Vec<(&str, &IndexEntry)> =
        entries.iter().map(|(id, e)| (id.as_str(), e)).collect();
    rows.sort_by(|(a, _), (b, _)| {
        let key = |id: &str| (position.get(id).copied().unwrap_or(usize::MAX), id_key(id));
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    use crate::expect::Format;
    use crate::test_support::entry;

    fn index(rows: &[(&str, Verdict, CloseVerdict)]) -> BTreeMap<String, IndexEntry> {
        rows.iter()
            .map(|(id, b, c)| (id.to_string(), entry(*b, *c, 2, Some(1000))))
            .collect()
    }

    fn expectations(toml: &str) -> Expectations {
        Expectations::parse(toml, Format::Toml, Path::new("e.toml")).unwrap()
    }

    fn outcome<'a>(g: &'a GateReport, id: &str) -> &'a Outcome {
        &g.cases.iter().find(|c| c.id == id).unwrap().outcome
    }

    #[test]
    fn without_expectations_the_policy_decides() {
        let idx = index(&[
            ("1.1.1", Verdict::Ok, CloseVerdict::Ok),
            ("6.4.3", Verdict::NonStrict, CloseVerdict::Ok),
            ("7.1.5", Verdict::Ok, CloseVerdict::WrongCode),
        ]);
        let g = GateReport::judge("ws", &idx, &Expectations::empty(), &Policy::default());
        assert_eq!(outcome(&g, "1.1.1"), &Outcome::Pass);
        assert_eq!(
            outcome(&g, "6.4.3"),
            &Outcome::Pass,
            "non-strict is not in the default policy"
        );
        assert_eq!(
            outcome(&g, "7.1.5"),
            &Outcome::UnexpectedFailure {
                violations: vec![FailOn::WrongCode],
                expected: None
            }
        );
        assert!(!g.passed());
        let strict = GateReport::judge(
            "ws",
            &idx,
            &Expectations::empty(),
            &Policy::parse("non-strict").unwrap(),
        );
        assert!(outcome(&strict, "6.4.3").is_offending());
        assert_eq!(outcome(&strict, "7.1.5"), &Outcome::Pass);
    }

    #[test]
    fn the_four_outcomes() {
        let idx = index(&[
            ("6.4.3", Verdict::NonStrict, CloseVerdict::Ok),
            ("6.4.4", Verdict::Ok, CloseVerdict::Ok),
            ("6.4.5", Verdict::Failed, CloseVerdict::Ok),
            ("7.1.1", Verdict::Ok, CloseVerdict::Ok),
        ]);
        let x = expectations(
            "[[expect]]\ncases = \"6.4.*\"\nbehavior = \"NON-STRICT\"\nbehaviorClose = \"OK\"\nreason = \"fails fast late\"\n",
        );
        let g = GateReport::judge("ws", &idx, &x, &Policy::default());
        assert_eq!(
            outcome(&g, "6.4.3"),
            &Outcome::KnownDivergence {
                number: 1,
                reason: "fails fast late".into()
            }
        );
        let Outcome::UnexpectedSuccess { expected } = outcome(&g, "6.4.4") else {
            panic!("6.4.4 should be an unexpected success");
        };
        assert_eq!((expected.number, expected.line), (1, Some(1)));
        let Outcome::UnexpectedFailure {
            violations,
            expected,
        } = outcome(&g, "6.4.5")
        else {
            panic!("6.4.5 should be an unexpected failure");
        };
        assert_eq!(violations, &vec![FailOn::Failed]);
        assert_eq!(expected.as_ref().map(|e| e.number), Some(1));
        assert_eq!(outcome(&g, "7.1.1"), &Outcome::Pass);
        assert_eq!(
            g.counts(),
            GateCounts {
                pass: 1,
                known_divergence: 1,
                unexpected_failure: 1,
                unexpected_success: 1,
                total: 4
            }
        );
        let offending: Vec<&str> = g.offending().map(|c| c.id.as_str()).collect();
        assert_eq!(offending, ["6.4.4", "6.4.5"]);
        assert!(!g.passed());
    }

    #[test]
    fn an_expected_failure_passes_the_gate_and_any_close_matches_when_absent() {
        let idx = index(&[
            ("7.1.5", Verdict::Failed, CloseVerdict::WrongCode),
            ("7.1.6", Verdict::Failed, CloseVerdict::Unclean),
        ]);
        let x = expectations(
            "[[expect]]\ncases = [\"7.1.5\", \"7.1.6\"]\nbehavior = \"FAILED\"\nreason = \"echoes 1002\"\n",
        );
        let g = GateReport::judge("websockets", &idx, &x, &Policy::default());
        assert!(g.passed(), "{}", g.render_text());
        assert_eq!(g.counts().known_divergence, 2);
        assert!(g.unmatched.is_empty());
    }

    #[test]
    fn unmatched_globs_warn_without_failing() {
        let idx = index(&[("1.1.1", Verdict::Ok, CloseVerdict::Ok)]);
        let x = expectations(
            "[[expect]]\ncases = [\"1.1.1\", \"12.*\"]\nbehavior = \"OK\"\nreason = \"r\"\n\
             [[expect]]\ncases = \"13.*\"\nagent = \"faye\"\nbehavior = \"UNIMPLEMENTED\"\nreason = \"r\"\n",
        );
        let g = GateReport::judge("ws", &idx, &x, &Policy::default());
        assert!(g.passed());
        assert_eq!(
            g.unmatched,
            vec![(1, "12.*".to_string())],
            "faye's entry does not apply to ws"
        );
        let text = g.render_text();
        assert!(
            text.contains("warning: expectation #1: glob \"12.*\" matches no case of ws"),
            "{text}"
        );
    }

    #[test]
    fn catalogue_order_then_unknown_ids() {
        let idx = index(&[
            ("10.1.1", Verdict::Ok, CloseVerdict::Ok),
            ("9.1.1", Verdict::Ok, CloseVerdict::Ok),
            ("99.10", Verdict::Ok, CloseVerdict::Ok),
            ("99.9", Verdict::Ok, CloseVerdict::Ok),
            ("1.1.2", Verdict::Ok, CloseVerdict::Ok),
        ]);
        let g = GateReport::judge("ws", &idx, &Expectations::empty(), &Policy::default());
        let ids: Vec<&str> = g.cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["1.1.2", "9.1.1", "10.1.1", "99.9", "99.10"]);
    }

    #[test]
    fn render_text_lists_offending_cases_and_a_summary() {
        let idx = index(&[
            ("1.1.3", Verdict::Failed, CloseVerdict::Ok),
            ("1.1.4", Verdict::Ok, CloseVerdict::Ok),
            ("7.13.1", Verdict::Ok, CloseVerdict::WrongCode),
        ]);
        let g = GateReport::judge(
            "node\u{1b}[31mws",
            &idx,
            &Expectations::empty(),
            &Policy::default(),
        );
        let text = g.render_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "1.1.3   FAILED / OK      — unexpected failure (policy: failed)"
        );
        assert_eq!(
            lines[1],
            "7.13.1  OK / WRONG CODE  — unexpected failure (policy: wrong-code)"
        );
        assert_eq!(
            lines[2],
            "node\\u{1b}[31mws: gate FAILED: 2 unexpected failures, 0 unexpected successes; 1 pass, \
             0 known divergences, 3 cases (--fail-on failed,unclean,wrong-code)"
        );
        assert_eq!(lines.len(), 3);
        assert!(!text.contains('\u{1b}'), "control characters are escaped");
    }

    #[test]
    fn judge_all_covers_every_agent_and_flags_unknown_agent_globs() {
        let mut report = LoadedReport {
            dir: "r".into(),
            index: Default::default(),
        };
        report.index.insert(
            "a".into(),
            index(&[("1.1.1", Verdict::Ok, CloseVerdict::Ok)]),
        );
        report.index.insert(
            "b".into(),
            index(&[("1.1.1", Verdict::Failed, CloseVerdict::Ok)]),
        );
        let x = expectations(
            "[[expect]]\ncases = \"1.1.1\"\nagent = \"zz*\"\nbehavior = \"FAILED\"\nreason = \"r\"\n",
        );
        let gates = judge_all(&report, &x, &Policy::default());
        assert_eq!(gates.len(), 2);
        assert!(gates[0].passed());
        assert!(!gates[1].passed());
        assert_eq!(gates[1].unmatched_agents, vec![(1, "zz*".to_string())]);
        assert!(gates[1]
            .render_text()
            .contains("agent glob \"zz*\" matches no agent"));
    }
}
