//! `wsspec diff OLD NEW`: what changed between two reports of the same server(s).
//!
//! Each case's pair of verdicts is graded on one [`Severity`] scale, so "got worse" has a
//! single meaning across `behavior` and `behaviorClose`:
//!
//! | severity        | `behavior`          | `behaviorClose`                |
//! |-----------------|---------------------|--------------------------------|
//! | `Pass`          | OK, INFORMATIONAL   | OK, INFORMATIONAL              |
//! | `NonStrict`     | NON-STRICT          | FAILED BY CLIENT               |
//! | `Unimplemented` | UNIMPLEMENTED       | UNIMPLEMENTED                  |
//! | `Wrong`         | —                   | WRONG CODE, UNCLEAN            |
//! | `Failed`        | FAILED              | FAILED                         |
//!
//! A case's severity is the worse of its two verdicts. Between the old and the new report a
//! case is a *regression* when its severity rose, an *improvement* when it fell, and
//! *changed* when the verdicts or the peer's close code differ at the same severity.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use wsspec_cases::{id_key, CloseVerdict, Verdict};
use wsspec_reports::IndexEntry;

use crate::report::LoadedReport;

/// How bad a verdict pair is; the derived order is the grading (`Pass` is best).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// OK or INFORMATIONAL.
    Pass,
    /// Conformant but lenient (NON-STRICT), or wsspec had to drop TCP (FAILED BY CLIENT).
    NonStrict,
    /// The peer does not implement the feature.
    Unimplemented,
    /// The closing handshake went wrong: WRONG CODE or UNCLEAN.
    Wrong,
    /// A MUST was broken (FAILED).
    Failed,
}

impl Severity {
    /// The grade of a `behavior` verdict.
    pub fn of_behavior(v: Verdict) -> Self {
        match v {
            Verdict::Ok | Verdict::Informational => Severity::Pass,
            Verdict::NonStrict => Severity::NonStrict,
            Verdict::Unimplemented => Severity::Unimplemented,
            Verdict::Failed => Severity::Failed,
        }
    }

    /// The grade of a `behaviorClose` verdict.
    pub fn of_close(v: CloseVerdict) -> Self {
        match v {
            CloseVerdict::Ok | CloseVerdict::Informational => Severity::Pass,
            CloseVerdict::FailedByClient => Severity::NonStrict,
            CloseVerdict::Unimplemented => Severity::Unimplemented,
            CloseVerdict::WrongCode | CloseVerdict::Unclean => Severity::Wrong,
            CloseVerdict::Failed => Severity::Failed,
        }
    }

    /// The grade of a case: the worse of its two verdicts.
    pub fn of(behavior: Verdict, close: CloseVerdict) -> Self {
        Self::of_behavior(behavior).max(Self::of_close(close))
    }

    /// The grade of an index entry.
    pub fn of_entry(e: &IndexEntry) -> Self {
        Self::of(e.behavior, e.behavior_close)
    }
}

/// What a report says about one case, as far as the diff cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// `behavior`.
    pub behavior: Verdict,
    /// `behaviorClose`.
    pub behavior_close: CloseVerdict,
    /// `remoteCloseCode`.
    pub remote_close_code: Option<u16>,
}

impl From<&IndexEntry> for Seen {
    fn from(e: &IndexEntry) -> Self {
        Seen {
            behavior: e.behavior,
            behavior_close: e.behavior_close,
            remote_close_code: e.remote_close_code,
        }
    }
}

impl Seen {
    /// This case's grade.
    pub fn severity(&self) -> Severity {
        Severity::of(self.behavior, self.behavior_close)
    }
}

impl fmt::Display for Seen {
    /// `OK/OK`, `FAILED/UNCLEAN`: Autobahn's spelling, behavior first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.behavior.as_str(),
            self.behavior_close.as_str()
        )
    }
}

/// How a case moved between the two reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// Its severity rose.
    Regression,
    /// Its severity fell.
    Improvement,
    /// Different verdicts or close code, same severity.
    Changed,
    /// Only the new report has it.
    Added,
    /// Only the old report has it.
    Removed,
}

/// One case that is not the same in both reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseChange {
    /// The case id.
    pub id: String,
    /// How it moved.
    pub kind: ChangeKind,
    /// The old report's verdicts (`None` when added).
    pub old: Option<Seen>,
    /// The new report's verdicts (`None` when removed).
    pub new: Option<Seen>,
}

impl fmt::Display for CaseChange {
    /// `1.1.3  OK/OK → FAILED/OK`, plus the close codes when only they differ.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: Option<Seen>| s.map_or_else(|| "(not run)".to_string(), |s| s.to_string());
        write!(f, "{}  {} → {}", self.id, side(self.old), side(self.new))?;
        if let (Some(o), Some(n)) = (self.old, self.new) {
            if o.remote_close_code != n.remote_close_code {
                let code = |c: Option<u16>| c.map_or_else(|| "none".to_string(), |c| c.to_string());
                write!(
                    f,
                    "  (close code {} → {})",
                    code(o.remote_close_code),
                    code(n.remote_close_code)
                )?;
            }
        }
        Ok(())
    }
}

/// The diff of one agent of the old report against one agent of the new report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDiff {
    /// The agent in the old report.
    pub old_agent: String,
    /// The agent in the new report (the same name unless both reports hold one agent).
    pub new_agent: String,
    /// Every case that differs, in catalogue order.
    pub changes: Vec<CaseChange>,
    /// Cases identical in both.
    pub unchanged: usize,
}

impl AgentDiff {
    /// The changes of one kind, in catalogue order.
    pub fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &CaseChange> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }

    /// How many changes are of `kind`.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.of_kind(kind).count()
    }
}

/// The whole diff: each paired agent, plus the agents only one side has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Paired agents, in the old report's agent order.
    pub pairs: Vec<AgentDiff>,
    /// Agents only the old report holds.
    pub only_old: Vec<String>,
    /// Agents only the new report holds.
    pub only_new: Vec<String>,
}

/// Why two reports cannot be diffed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// No agent of one report can be paired with an agent of the other.
    #[error(
        "the reports share no agent (old: {}; new: {}); a diff pairs agents by name, \
         or the only agent of each report",
        list(old),
        list(new)
    )]
    NoCommonAgent {
        /// The old report's agents.
        old: Vec<String>,
        /// The new report's agents.
        new: Vec<String>,
    },
}

fn list(agents: &[String]) -> String {
    if agents.is_empty() {
        "none".into()
    } else {
        agents.join(", ")
    }
}

/// Compare one agent's cases, old against new.
pub fn diff_agent(
    old_agent: &str,
    old: &BTreeMap<String, IndexEntry>,
    new_agent: &str,
    new: &BTreeMap<String, IndexEntry>,
) -> AgentDiff {
    let mut ids: Vec<&String> = old.keys().chain(new.keys()).collect();
    ids.sort_by(|a, b| id_key(a).cmp(&id_key(b)).then_with(|| a.cmp(b)));
    ids.dedup();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    for id in ids {
        let o = old.get(id).map(Seen::from);
        let n = new.get(id).map(Seen::from);
        let kind = match (o, n) {
            (Some(o), Some(n)) if o == n => {
                unchanged += 1;
                continue;
            }
            (Some(o), Some(n)) => match n.severity().cmp(&o.severity()) {
                std::cmp::Ordering::Greater => ChangeKind::Regression,
                std::cmp::Ordering::Less => ChangeKind::Improvement,
                std::cmp::Ordering::Equal => ChangeKind::Changed,
            },
            (Some(_), None) => ChangeKind::Removed,
            (None, Some(_)) => ChangeKind::Added,
            // Every id came from one of the two maps.
            (None, None) => continue,
        };
        changes.push(CaseChange {
            id: id.clone(),
            kind,
            old: o,
            new: n,
        });
    }
    AgentDiff {
        old_agent: old_agent.to_string(),
        new_agent: new_agent.to_string(),
        changes,
        unchanged,
    }
}

/// Pair the agents of two reports and diff each pair: agents pair by name, and when each
/// report holds exactly one agent they pair whatever their names (`ws@8.1` vs `ws@8.2`).
pub fn diff_reports(old: &LoadedReport, new: &LoadedReport) -> Result<Diff, DiffError> {
    let mut diff = Diff {
        pairs: Vec::new(),
        only_old: Vec::new(),
        only_new: Vec::new(),
    };
    if let ([(oa, oc)], [(na, nc)]) = (
        old.index.iter().collect::<Vec<_>>().as_slice(),
        new.index.iter().collect::<Vec<_>>().as_slice(),
    ) {
        diff.pairs.push(diff_agent(oa, oc, na, nc));
        return Ok(diff);
    }
    for (agent, cases) in &old.index {
        match new.index.get(agent) {
            Some(new_cases) => diff.pairs.push(diff_agent(agent, cases, agent, new_cases)),
            None => diff.only_old.push(agent.clone()),
        }
    }
    diff.only_new = new
        .index
        .keys()
        .filter(|a| !old.index.contains_key(*a))
        .cloned()
        .collect();
    if diff.pairs.is_empty() {
        return Err(DiffError::NoCommonAgent {
            old: old.index.keys().cloned().collect(),
            new: new.index.keys().cloned().collect(),
        });
    }
    Ok(diff)
}

/// Most added or removed ids listed by name; the rest are counted.
const MAX_LISTED_IDS: usize = 20;

impl Diff {
    /// Whether any case got worse.
    pub fn has_regressions(&self) -> bool {
        self.pairs
            .iter()
            .any(|p| p.count(ChangeKind::Regression) > 0)
    }

    /// The text report: per agent pair a header, regressions, improvements, same-severity
    /// changes, added and removed ids, then the counts.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for (i, pair) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if pair.old_agent == pair.new_agent {
                let _ = writeln!(out, "== {}", pair.old_agent);
            } else {
                let _ = writeln!(out, "== {} → {}", pair.old_agent, pair.new_agent);
            }
            for (kind, title) in [
                (ChangeKind::Regression, "Regressions"),
                (ChangeKind::Improvement, "Improvements"),
                (ChangeKind::Changed, "Changed at the same severity"),
            ] {
                let n = pair.count(kind);
                if n == 0 {
                    continue;
                }
                let _ = writeln!(out, "{title} ({n}):");
                for c in pair.of_kind(kind) {
                    let _ = writeln!(out, "  {c}");
                }
            }
            for (kind, title) in [
                (ChangeKind::Added, "Added"),
                (ChangeKind::Removed, "Removed"),
            ] {
                let ids: Vec<&str> = pair.of_kind(kind).map(|c| c.id.as_str()).collect();
                if ids.is_empty() {
                    continue;
                }
                let shown = ids.len().min(MAX_LISTED_IDS);
                let _ = write!(out, "{title} ({}): {}", ids.len(), ids[..shown].join(", "));
                if ids.len() > shown {
                    let _ = write!(out, " … and {} more", ids.len() - shown);
                }
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "{} regressions, {} improvements, {} changed, {} added, {} removed, {} unchanged",
                pair.count(ChangeKind::Regression),
                pair.count(ChangeKind::Improvement),
                pair.count(ChangeKind::Changed),
                pair.count(ChangeKind::Added),
                pair.count(ChangeKind::Removed),
                pair.unchanged
            );
        }
        if !self.only_old.is_empty() {
            let _ = writeln!(
                out,
                "\nOnly in the old report (not compared): {}",
                self.only_old.join(", ")
            );
        }
        if !self.only_new.is_empty() {
            let _ = writeln!(
                out,
                "\nOnly in the new report (not compared): {}",
                self.only_new.join(", ")
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::{e, ok, report};

    #[test]
    fn severity_order_is_documented_order() {
        use CloseVerdict as C;
        use Verdict as V;
        assert_eq!(Severity::of(V::Ok, C::Ok), Severity::Pass);
        assert_eq!(
            Severity::of(V::Informational, C::Informational),
            Severity::Pass
        );
        assert_eq!(Severity::of(V::NonStrict, C::Ok), Severity::NonStrict);
        assert_eq!(Severity::of(V::Ok, C::FailedByClient), Severity::NonStrict);
        assert_eq!(
            Severity::of(V::Unimplemented, C::Unimplemented),
            Severity::Unimplemented
        );
        assert_eq!(Severity::of(V::Ok, C::WrongCode), Severity::Wrong);
        assert_eq!(Severity::of(V::NonStrict, C::Unclean), Severity::Wrong);
        assert_eq!(Severity::of(V::Failed, C::Ok), Severity::Failed);
        assert_eq!(Severity::of(V::Ok, C::Failed), Severity::Failed);
        assert!(Severity::Pass < Severity::NonStrict);
        assert!(Severity::NonStrict < Severity::Unimplemented);
        assert!(Severity::Unimplemented < Severity::Wrong);
        assert!(Severity::Wrong < Severity::Failed);
    }

    #[test]
    fn classifies_every_kind_of_change() {
        let old = report(
            "/r",
            &[(
                "ws",
                &[
                    ("1.1.1", ok()),
                    ("1.1.2", ok()),
                    ("1.1.3", ok()),
                    ("2.1", e(Verdict::Failed, CloseVerdict::Ok, Some(1000))),
                    ("7.1.1", ok()),
                    ("7.1.2", e(Verdict::Ok, CloseVerdict::WrongCode, Some(1000))),
                    ("9.1.1", ok()),
                ],
            )],
        );
        let new = report(
            "/r",
            &[(
                "ws",
                &[
                    ("1.1.1", ok()),
                    ("1.1.2", ok()),
                    ("1.1.3", e(Verdict::Failed, CloseVerdict::Ok, Some(1000))),
                    ("2.1", ok()),
                    ("7.1.1", e(Verdict::Ok, CloseVerdict::Ok, Some(1001))),
                    ("7.1.2", e(Verdict::Ok, CloseVerdict::Unclean, None)),
                    ("10.1.1", ok()),
                ],
            )],
        );
        let d = diff_reports(&old, &new).unwrap();
        assert!(d.has_regressions());
        let p = &d.pairs[0];
        let kinds: Vec<(&str, ChangeKind)> =
            p.changes.iter().map(|c| (c.id.as_str(), c.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("1.1.3", ChangeKind::Regression),
                ("2.1", ChangeKind::Improvement),
                ("7.1.1", ChangeKind::Changed),
                ("7.1.2", ChangeKind::Changed),
                ("9.1.1", ChangeKind::Removed),
                ("10.1.1", ChangeKind::Added),
            ]
        );
        assert_eq!(p.unchanged, 2);
        let text = d.render_text();
        let expected = "\
== ws
Regressions (1):
  1.1.3  OK/OK → FAILED/OK
Improvements (1):
  2.1  FAILED/OK → OK/OK
Changed at the same severity (2):
  7.1.1  OK/OK → OK/OK  (close code 1000 → 1001)
  7.1.2  OK/WRONG CODE → OK/UNCLEAN  (close code 1000 → none)
Added (1): 10.1.1
Removed (1): 9.1.1
1 regressions, 1 improvements, 2 changed, 1 added, 1 removed, 2 unchanged
";
        assert_eq!(text, expected);
    }

    #[test]
    fn identical_reports_have_no_changes() {
        let r = report("/r", &[("a", &[("1.1.1", ok())]), ("b", &[("2.1", ok())])]);
        let d = diff_reports(&r, &r).unwrap();
        assert!(!d.has_regressions());
        assert_eq!(d.pairs.len(), 2);
        assert!(d.pairs.iter().all(|p| p.changes.is_empty()));
        assert!(d.render_text().contains("0 regressions"));
    }

    #[test]
    fn single_agents_pair_whatever_their_names() {
        let old = report("/r", &[("ws@8.1", &[("1.1.1", ok())])]);
        let new = report(
            "/r",
            &[(
                "ws@8.2",
                &[("1.1.1", e(Verdict::NonStrict, CloseVerdict::Ok, Some(1000)))],
            )],
        );
        let d = diff_reports(&old, &new).unwrap();
        assert_eq!(d.pairs[0].old_agent, "ws@8.1");
        assert_eq!(d.pairs[0].new_agent, "ws@8.2");
        assert!(d.has_regressions());
        assert!(d.render_text().starts_with("== ws@8.1 → ws@8.2\n"));
    }

    #[test]
    fn several_agents_pair_by_name() {
        let old = report(
            "/r",
            &[("a", &[("1.1.1", ok())]), ("b", &[("1.1.1", ok())])],
        );
        let new = report(
            "/r",
            &[("b", &[("1.1.1", ok())]), ("c", &[("1.1.1", ok())])],
        );
        let d = diff_reports(&old, &new).unwrap();
        assert_eq!(d.pairs.len(), 1);
        assert_eq!(d.pairs[0].old_agent, "b");
        assert_eq!(d.only_old, vec!["a".to_string()]);
        assert_eq!(d.only_new, vec!["c".to_string()]);
        let text = d.render_text();
        assert!(
            text.contains("Only in the old report (not compared): a"),
            "{text}"
        );
        assert!(
            text.contains("Only in the new report (not compared): c"),
            "{text}"
        );
    }

    #[test]
    fn no_common_agent_is_an_error() {
        let old = report("/r", &[("a", &[]), ("b", &[])]);
        let new = report("/r", &[("c", &[]), ("d", &[])]);
        let err = diff_reports(&old, &new).unwrap_err();
        assert_eq!(
            err,
            DiffError::NoCommonAgent {
                old: vec!["a".into(), "b".into()],
                new: vec!["c".into(), "d".into()],
            }
        );
        assert!(err.to_string().contains("old: a, b; new: c, d"));
        let empty = report("/r", &[]);
        assert!(diff_reports(&empty, &new).is_err());
    }

    #[test]
    fn long_added_lists_are_bounded() {
        let ids: Vec<String> = (1..=25).map(|n| format!("5.{n}")).collect();
        let cases: Vec<(&str, IndexEntry)> = ids.iter().map(|id| (id.as_str(), ok())).collect();
        let old = report("/r", &[("a", &[])]);
        let new = report("/r", &[("a", &cases)]);
        let text = diff_reports(&old, &new).unwrap().render_text();
        assert!(text.contains("Added (25): 5.1, 5.2,"), "{text}");
        assert!(text.contains("5.20 … and 5 more"), "{text}");
    }
}
