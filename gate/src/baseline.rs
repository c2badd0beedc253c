//! `wsspec baseline DIR > FILE`: an expectations file that accepts a report as it is.
//!
//! Every case whose behavior or behaviorClose is neither OK nor INFORMATIONAL (NON-STRICT,
//! FAILED, UNIMPLEMENTED, WRONG CODE, UNCLEAN, …), and every case the policy fails, gets an
//! entry naming its exact verdict pair. Consecutive cases with the same pair share an entry,
//! and a whole category or subcategory collapses to one glob (`12.*`) when every case of
//! that prefix — in the catalogue and in the report — is in the report with that same pair.
//! Each reason is a `TODO` placeholder for the user to replace; it parses, on purpose.
//! When the report holds several agents, one must be chosen and its entries carry
//! `agent = "<that agent>"`, so the file judges the other agents by the policy alone.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use wsspec_cases::{catalogue, CloseVerdict, Verdict};
use wsspec_reports::IndexEntry;

use crate::outcome::{ordered, plain};
use crate::policy::Policy;
use crate::report::LoadedReport;

/// The reason every generated entry carries until the user writes the real one.
pub const TODO_REASON: &str = "TODO: why this verdict is expected";

/// Why no baseline could be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// The report holds no agent at all.
    #[error("{} holds no results; nothing to baseline", dir.display())]
    Empty {
        /// The report directory.
        dir: PathBuf,
    },
    /// No agent was chosen and the report holds several.
    #[error("{} holds several agents ({}); choose one of them", dir.display(), quoted(agents))]
    SeveralAgents {
        /// The report directory.
        dir: PathBuf,
        /// The agents it holds.
        agents: Vec<String>,
    },
    /// The chosen agent is not in the report.
    #[error("agent {:?} is not in {}; it holds: {}", plain(agent), dir.display(), quoted(agents))]
    UnknownAgent {
        /// The report directory.
        dir: PathBuf,
        /// The agent asked for.
        agent: String,
        /// The agents it holds.
        agents: Vec<String>,
    },
}

fn quoted(agents: &[String]) -> String {
    agents
        .iter()
        .map(|a| format!("{:?}", plain(a)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The TOML expectations file accepting `agent`'s results (the only agent when `None`).
pub fn render(
    report: &LoadedReport,
    agent: Option<&str>,
    policy: &Policy,
) -> Result<String, BaselineError> {
    let agents: Vec<String> = report.agents().map(String::from).collect();
    let (agent, entries) = match agent {
        Some(a) => report
            .index
            .get_key_value(a)
            .ok_or_else(|| BaselineError::UnknownAgent {
                dir: report.dir.clone(),
                agent: a.to_string(),
                agents: agents.clone(),
            })?,
        None => match agents.len() {
            0 => {
                return Err(BaselineError::Empty {
                    dir: report.dir.clone(),
                })
            }
            1 => report
                .index
                .iter()
                .next()
                .ok_or_else(|| BaselineError::Empty {
                    dir: report.dir.clone(),
                })?,
            _ => {
                return Err(BaselineError::SeveralAgents {
                    dir: report.dir.clone(),
                    agents,
                })
            }
        },
    };
    // In a report of several agents the entries name theirs, so the file judges the whole
    // report; with one agent they stay agent-free (an agent renamed by a version bump still
    // matches).
    let several = report.index.len() > 1;
    let groups = groups(entries, policy);
    let cases: usize = groups.iter().map(|g| g.cases).sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Expectations for {}, written by `wsspec baseline` from {}.",
        plain(agent),
        plain(&report.dir.display().to_string())
    );
    let _ = writeln!(
        out,
        "# {cases} of {} case{} need an expectation ({} entr{}). Replace each TODO with the reason",
        entries.len(),
        if entries.len() == 1 { "" } else { "s" },
        groups.len(),
        if groups.len() == 1 { "y" } else { "ies" },
    );
    out.push_str(
        "# the verdict is expected; the gate fails when a verdict changes, for better or worse.\n",
    );
    for g in &groups {
        out.push('\n');
        if g.globs.iter().any(|p| p.contains('*')) {
            let _ = writeln!(
                out,
                "# {} case{}",
                g.cases,
                if g.cases == 1 { "" } else { "s" }
            );
        }
        out.push_str("[[expect]]\n");
        out.push_str(&cases_line(&g.globs));
        let _ = writeln!(out, "behavior = {}", toml_string(g.pair.0.as_str()));
        let _ = writeln!(out, "behaviorClose = {}", toml_string(g.pair.1.as_str()));
        if several {
            let _ = writeln!(out, "agent = {}", toml_string(agent));
        }
        let _ = writeln!(out, "reason = {}", toml_string(TODO_REASON));
    }
    Ok(out)
}

/// One `[[expect]]` entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    globs: Vec<String>,
    pair: (Verdict, CloseVerdict),
    cases: usize,
}

/// Whether a case needs an entry: a verdict beyond OK/INFORMATIONAL, or a policy failure.
fn needs_entry(e: &IndexEntry, policy: &Policy) -> bool {
    let quiet_behavior = matches!(e.behavior, Verdict::Ok | Verdict::Informational);
    let quiet_close = matches!(
        e.behavior_close,
        CloseVerdict::Ok | CloseVerdict::Informational
    );
    !(quiet_behavior && quiet_close && policy.violations(e.behavior, e.behavior_close).is_empty())
}

fn groups(entries: &std::collections::BTreeMap<String, IndexEntry>, policy: &Policy) -> Vec<Group> {
    let pair = |e: &IndexEntry| (e.behavior, e.behavior_close);
    // Every id a glob could reach: the catalogue's and the report's.
    let universe: BTreeSet<&str> = catalogue()
        .iter()
        .map(|c| c.id.as_str())
        .chain(entries.keys().map(String::as_str))
        .collect();
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let mut items: Vec<(String, (Verdict, CloseVerdict), usize)> = Vec::new();
    for (id, e) in ordered(entries) {
        if covered.contains(id) || !needs_entry(e, policy) {
            continue;
        }
        let want = pair(e);
        let parts: Vec<&str> = id.split('.').collect();
        let mut item = None;
        for k in 1..parts.len() {
            let prefix = format!("{}.", parts[..k].join("."));
            let members: Vec<&str> = universe
                .iter()
                .copied()
                .filter(|m| m.starts_with(&prefix))
                .collect();
            let uniform = members
                .iter()
                .all(|m| entries.get(*m).is_some_and(|x| pair(x) == want));
            if uniform {
                covered.extend(members.iter().copied());
                item = Some((format!("{prefix}*"), want, members.len()));
                break;
            }
        }
        items.push(item.unwrap_or_else(|| (id.to_string(), want, 1)));
        covered.insert(id);
    }
    let mut out: Vec<Group> = Vec::new();
    for (glob, want, n) in items {
        match out.last_mut() {
            Some(g) if g.pair == want => {
                g.globs.push(glob);
                g.cases += n;
            }
            _ => out.push(Group {
                globs: vec![glob],
                pair: want,
                cases: n,
            }),
        }
    }
    out
}

/// `cases = [...]`, wrapped when long.
fn cases_line(globs: &[String]) -> String {
    let quoted: Vec<String> = globs.iter().map(|g| toml_string(g)).collect();
    let one_line = format!("cases = [{}]\n", quoted.join(", "));
    if one_line.len() <= 100 {
        return one_line;
    }
    let mut out = String::from("cases = [\n");
    let mut line = String::new();
    for q in quoted {
        if !line.is_empty() && line.len() + q.len() + 2 > 92 {
            let _ = writeln!(out, "  {}", line.trim_end());
            line.clear();
        }
        line.push_str(&q);
        line.push_str(", ");
    }
    if !line.is_empty() {
        let _ = writeln!(out, "  {}", line.trim_end());
    }
    out.push_str("]\n");
    out
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::Path;

    use crate::expect::{Expectations, Format};
    use crate::outcome::{GateReport, Outcome};
    use crate::test_support::entry;

    /// Every catalogue case of the given categories, OK unless `verdict` says otherwise.
    fn report_of(
        categories: &[u32],
        verdict: impl Fn(&str) -> (Verdict, CloseVerdict),
    ) -> LoadedReport {
        let cases: BTreeMap<String, IndexEntry> = catalogue()
            .iter()
            .filter(|c| categories.contains(&c.category.number))
            .map(|c| {
                let (b, cl) = verdict(&c.id);
                (c.id.clone(), entry(b, cl, 1, None))
            })
            .collect();
        LoadedReport {
            dir: "reports/servers".into(),
            index: BTreeMap::from([("ws@8.23.0".to_string(), cases)]),
        }
    }

    fn ids_with(prefix: &str) -> Vec<&'static str> {
        catalogue()
            .iter()
            .map(|c| c.id.as_str())
            .filter(|id| id.starts_with(prefix))
            .collect()
    }

    fn round_trip(report: &LoadedReport, policy: &Policy) -> (String, GateReport) {
        let text = render(report, None, policy).unwrap();
        let x = Expectations::parse(&text, Format::Toml, Path::new("baseline.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let (agent, entries) = report.index.iter().next().unwrap();
        (text, GateReport::judge(agent, entries, &x, policy))
    }

    #[test]
    fn whole_categories_collapse_to_one_glob() {
        let report = report_of(&[6, 12, 13], |id| {
            if id.starts_with("12.") || id.starts_with("13.") {
                (Verdict::Unimplemented, CloseVerdict::Unimplemented)
            } else if id == "6.4.3" || id == "6.4.4" {
                (Verdict::NonStrict, CloseVerdict::Ok)
            } else {
                (Verdict::Ok, CloseVerdict::Ok)
            }
        });
        let (text, gate) = round_trip(&report, &Policy::default());
        assert!(text.contains("cases = [\"6.4.3\", \"6.4.4\"]\nbehavior = \"NON-STRICT\"\nbehaviorClose = \"OK\"\n"), "{text}");
        assert!(text.contains("cases = [\"12.*\", \"13.*\"]\nbehavior = \"UNIMPLEMENTED\"\nbehaviorClose = \"UNIMPLEMENTED\"\n"), "{text}");
        assert_eq!(text.matches("[[expect]]").count(), 2, "{text}");
        assert!(text.starts_with("# Expectations for ws@8.23.0, written by `wsspec baseline` from reports/servers.\n"), "{text}");
        assert!(gate.passed(), "{}", gate.render_text());
        let n_compression = ids_with("12.").len() + ids_with("13.").len();
        assert_eq!(gate.counts().known_divergence, n_compression + 2);
        assert!(gate.unmatched.is_empty());
        assert!(gate
            .cases
            .iter()
            .all(|c| matches!(c.outcome, Outcome::Pass | Outcome::KnownDivergence { .. })));
    }

    #[test]
    fn a_missing_case_stops_the_collapse_at_the_level_it_breaks() {
        let all_12 = ids_with("12.");
        let missing = all_12[all_12.len() - 1];
        let sub_of_missing: String = missing.rsplit_once('.').unwrap().0.to_string();
        let mut report = report_of(&[12], |_| {
            (Verdict::Unimplemented, CloseVerdict::Unimplemented)
        });
        report.index.values_mut().next().unwrap().remove(missing);
        let (text, gate) = round_trip(&report, &Policy::default());
        assert!(
            !text.contains("\"12.*\""),
            "12.* would claim the missing {missing}: {text}"
        );
        assert!(text.contains("\"12.1.*\""), "{text}");
        assert!(!text.contains(&format!("\"{sub_of_missing}.*\"")), "{text}");
        assert!(text.contains(&format!("\"{sub_of_missing}.1\"")), "{text}");
        assert!(gate.passed(), "{}", gate.render_text());
        assert_eq!(gate.counts().known_divergence, all_12.len() - 1);
    }

    #[test]
    fn a_different_pair_inside_a_prefix_is_listed_by_id() {
        let report = report_of(&[7], |id| match id {
            "7.1.5" => (Verdict::Failed, CloseVerdict::WrongCode),
            "7.1.6" => (Verdict::Failed, CloseVerdict::WrongCode),
            "7.9.1" => (Verdict::Ok, CloseVerdict::WrongCode),
            "7.1.1" => (Verdict::Informational, CloseVerdict::Informational),
            _ => (Verdict::Ok, CloseVerdict::Ok),
        });
        let (text, gate) = round_trip(&report, &Policy::default());
        assert!(text.contains("cases = [\"7.1.5\", \"7.1.6\"]\nbehavior = \"FAILED\"\nbehaviorClose = \"WRONG CODE\"\n"), "{text}");
        assert!(
            text.contains(
                "cases = [\"7.9.1\"]\nbehavior = \"OK\"\nbehaviorClose = \"WRONG CODE\"\n"
            ),
            "{text}"
        );
        assert!(
            !text.contains("7.1.1"),
            "INFORMATIONAL-only cases need no entry: {text}"
        );
        assert!(gate.passed(), "{}", gate.render_text());
        assert_eq!(gate.counts().known_divergence, 3);
    }

    #[test]
    fn a_policy_that_fails_informational_gets_entries_for_them() {
        let report = report_of(&[2], |id| {
            if id == "2.1" {
                (Verdict::Informational, CloseVerdict::Ok)
            } else {
                (Verdict::Ok, CloseVerdict::Ok)
            }
        });
        let strict = Policy::parse("failed,informational").unwrap();
        let (text, gate) = round_trip(&report, &strict);
        assert!(text.contains("\"2.1\""), "{text}");
        assert!(gate.passed(), "{}", gate.render_text());
        let (text, _) = round_trip(&report, &Policy::default());
        assert!(!text.contains("[[expect]]"), "{text}");
        assert!(
            text.contains("# 0 of 11 cases need an expectation (0 entries)."),
            "{text}"
        );
    }

    #[test]
    fn agents_must_be_chosen_when_several() {
        let mut report = report_of(&[1], |_| (Verdict::Ok, CloseVerdict::Ok));
        let cases = report.index.values().next().unwrap().clone();
        report.index.insert("faye".into(), cases);
        let e = render(&report, None, &Policy::default()).unwrap_err();
        assert!(matches!(e, BaselineError::SeveralAgents { ref agents, .. } if agents.len() == 2));
        assert!(e.to_string().contains("\"faye\", \"ws@8.23.0\""), "{e}");
        let text = render(&report, Some("faye"), &Policy::default()).unwrap();
        assert!(!text.contains("[[expect]]"), "{text}");
        // Entries of a multi-agent baseline name their agent, so the others are unaffected.
        report.index.get_mut("faye").unwrap().insert(
            "1.1.1".into(),
            entry(Verdict::Failed, CloseVerdict::Ok, 1, None),
        );
        let text = render(&report, Some("faye"), &Policy::default()).unwrap();
        assert!(text.contains("agent = \"faye\"\n"), "{text}");
        let x = Expectations::parse(&text, Format::Toml, Path::new("b.toml")).unwrap();
        let gates = crate::outcome::judge_all(&report, &x, &Policy::default());
        assert!(gates.iter().all(GateReport::passed));
        assert!(gates.iter().all(|g| g.unmatched.is_empty()));
        assert_eq!(gates[0].agent, "faye");
        assert_eq!(gates[0].counts().known_divergence, 1);
        assert_eq!(gates[1].counts().known_divergence, 0);
        let e = render(&report, Some("nope"), &Policy::default()).unwrap_err();
        assert!(
            e.to_string().contains("\"nope\" is not in reports/servers"),
            "{e}"
        );
        let empty = LoadedReport {
            dir: "d".into(),
            index: BTreeMap::new(),
        };
        assert!(matches!(
            render(&empty, None, &Policy::default()),
            Err(BaselineError::Empty { .. })
        ));
    }

    #[test]
    fn hostile_ids_and_agents_stay_valid_toml() {
        let report = LoadedReport {
            dir: "d\nx".into(),
            index: BTreeMap::from([(
                "evil\"\n[[expect]]".to_string(),
                BTreeMap::from([(
                    "1.\"\\\u{1}".to_string(),
                    entry(Verdict::Failed, CloseVerdict::Ok, 1, None),
                )]),
            )]),
        };
        let text = render(&report, None, &Policy::default()).unwrap();
        let x = Expectations::parse(&text, Format::Toml, Path::new("b.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(x.entries().len(), 1, "{text}");
        assert_eq!(x.entries()[0].cases, ["1.\"\\\u{1}"]);
    }

    #[test]
    fn long_lists_wrap() {
        let globs: Vec<String> = (1..=30).map(|i| format!("9.9.{i}")).collect();
        let line = cases_line(&globs);
        assert!(line.lines().all(|l| l.len() <= 100), "{line}");
        assert!(line.starts_with("cases = [\n") && line.ends_with("]\n"));
        let parsed: toml::Table = toml::from_str(&line).unwrap();
        assert_eq!(parsed["cases"].as_array().unwrap().len(), 30);
    }
}
