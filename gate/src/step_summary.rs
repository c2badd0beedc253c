//! Markdown for `$GITHUB_STEP_SUMMARY`: per agent a heading, the verdict counts per category
//! (the table [`wsspec_reports::markdown_summary`] renders), the offending cases with why
//! they offend, the known-divergence count and the warnings.
//!
//! GitHub accepts at most 1 MiB per step, so the output is bounded: long lists end with
//! "… and N more". Strings from the report are escaped for Markdown and HTML.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use wsspec_cases::catalogue;
use wsspec_reports::{markdown_summary, rows_for, IndexEntry};

use crate::outcome::{plain, policy_text, GateReport};

/// The environment variable GitHub Actions points at the step summary file.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";
/// The largest summary rendered (GitHub's limit is 1 MiB per step).
pub const MAX_SUMMARY_BYTES: usize = 900 * 1024;
/// Offending cases listed per agent before "… and N more".
const MAX_ROWS: usize = 200;
/// Warnings listed per agent before "… and N more".
const MAX_WARNINGS: usize = 20;
/// Room kept for the closing lines once the budget is nearly spent.
const RESERVE: usize = 8 * 1024;

/// Why the step summary could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StepSummaryError {
    /// The summary file could not be opened or appended to.
    #[error("cannot append the step summary to {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The Markdown summary of the judged agents, at most [`MAX_SUMMARY_BYTES`] long.
pub fn render(gates: &[GateReport]) -> String {
    let mut out = String::new();
    for (i, gate) in gates.iter().enumerate() {
        if out.len() + RESERVE > MAX_SUMMARY_BYTES {
            let _ = writeln!(
                out,
                "… and {} more agents (summary size limit)",
                gates.len() - i
            );
            break;
        }
        render_agent(&mut out, gate);
    }
    out
}

/// Append the summary to `path` (the file GitHub reads).
pub fn append(path: &Path, gates: &[GateReport]) -> Result<(), StepSummaryError> {
    let text = render(gates);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| StepSummaryError::Write {
            path: path.into(),
            source,
        })
}

/// Append to `$GITHUB_STEP_SUMMARY` when it is set (and not empty); returns the file written.
pub fn append_if_requested(gates: &[GateReport]) -> Result<Option<PathBuf>, StepSummaryError> {
    match std::env::var_os(GITHUB_STEP_SUMMARY) {
        Some(p) if !p.is_empty() => {
            let path = PathBuf::from(p);
            append(&path, gates)?;
            Ok(Some(path))
        }
        _ => Ok(None),
    }
}

fn render_agent(out: &mut String, gate: &GateReport) {
    let c = gate.counts();
    let mark = if gate.passed() {
        "✅ passed"
    } else {
        "❌ failed"
    };
    let _ = writeln!(out, "## wsspec gate {mark}: {}\n", md(&gate.agent));
    let _ = writeln!(
        out,
        "**{}** unexpected failure{} · **{}** unexpected success{} · {} pass · {} known divergence{} · {} case{} · policy `--fail-on {}`\n",
        c.unexpected_failure,
        s(c.unexpected_failure),
        c.unexpected_success,
        if c.unexpected_success == 1 { "" } else { "es" },
        c.pass,
        c.known_divergence,
        s(c.known_divergence),
        c.total,
        s(c.total),
        policy_text(&gate.policy).replace('`', "'"),
    );
    let entries: BTreeMap<String, IndexEntry> = gate
        .cases
        .iter()
        .map(|c| (c.id.clone(), c.entry.clone()))
        .collect();
    out.push_str(&markdown_summary(&rows_for(catalogue(), &entries)));
    out.push('\n');

    let offending: Vec<_> = gate.offending().collect();
    if !offending.is_empty() {
        let _ = writeln!(out, "### Offending cases\n");
        out.push_str("| Case | Verdicts | Why |\n|:---|:---|:---|\n");
        for (i, case) in offending.iter().enumerate() {
            if i == MAX_ROWS || out.len() + RESERVE > MAX_SUMMARY_BYTES {
                let _ = writeln!(out, "\n… and {} more", offending.len() - i);
                break;
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                md(&case.id),
                case.verdicts_text(),
                md(&case.why())
            );
        }
        out.push('\n');
    }
    if c.known_divergence > 0 {
        let _ = writeln!(
            out,
            "{} known divergence{} matched the expectations file.\n",
            c.known_divergence,
            s(c.known_divergence)
        );
    }
    let warnings = gate.warnings();
    if !warnings.is_empty() {
        out.push_str("**Warnings**\n\n");
        for (i, w) in warnings.iter().enumerate() {
            if i == MAX_WARNINGS || out.len() + RESERVE > MAX_SUMMARY_BYTES {
                let _ = writeln!(out, "- … and {} more", warnings.len() - i);
                break;
            }
            let w = w.strip_prefix("warning: ").unwrap_or(w);
            let _ = writeln!(out, "- {}", md(w));
        }
        out.push('\n');
    }
}

fn s(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Text safe inside a Markdown table cell: markup, HTML and line breaks neutralised.
fn md(text: &str) -> String {
    let text = plain(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    use wsspec_cases::{CloseVerdict, Verdict};

    use crate::expect::{Expectations, Format};
    use crate::policy::Policy;
    use crate::test_support::entry;

    fn gate(agent: &str) -> GateReport {
        let idx: BTreeMap<String, IndexEntry> = [
            ("1.1.1", Verdict::Ok, CloseVerdict::Ok),
            ("1.1.2", Verdict::Failed, CloseVerdict::Ok),
            ("6.4.3", Verdict::NonStrict, CloseVerdict::Ok),
            ("6.4.4", Verdict::Ok, CloseVerdict::Ok),
            ("7.1.5", Verdict::Failed, CloseVerdict::WrongCode),
            (
                "12.1.1",
                Verdict::Unimplemented,
                CloseVerdict::Unimplemented,
            ),
        ]
        .iter()
        .map(|(id, b, c)| (id.to_string(), entry(*b, *c, 3, Some(1000))))
        .collect();
        let x = Expectations::parse(
            r#"
[[expect]]
cases = ["6.4.3", "6.4.4"]
behavior = "NON-STRICT"
reason = "fails fast | only <at the end> of a `message`"
[[expect]]
cases = ["12.*", "13.*"]
behavior = "UNIMPLEMENTED"
reason = "no permessage-deflate"
"#,
            Format::Toml,
            Path::new("ws.toml"),
        )
        .unwrap();
        GateReport::judge(agent, &idx, &x, &Policy::default())
    }

    #[test]
    fn snapshot_step_summary() {
        insta::assert_snapshot!(render(&[gate("ws@8.23.0 <img src=x> | `x`")]));
    }

    #[test]
    fn report_strings_cannot_inject_markup() {
        let text = render(&[gate("<script>alert(1)</script>|`a`\n# h")]);
        assert!(!text.contains("<script>"), "{text}");
        assert!(
            text.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\|\\`a\\`\\\\n\\# h"),
            "{text}"
        );
        assert!(
            text.contains("fails fast \\| only &lt;at the end&gt; of a \\`message\\`"),
            "{text}"
        );
    }

    #[test]
    fn size_is_bounded() {
        let mut g = gate("ws");
        let template = g
            .cases
            .iter()
            .find(|c| c.outcome.is_offending())
            .unwrap()
            .clone();
        g.cases = (0..5000)
            .map(|i| {
                let mut c = template.clone();
                c.id = format!("99.{i}.{}", "9".repeat(300));
                c
            })
            .collect();
        let gates: Vec<GateReport> = (0..20).map(|_| g.clone()).collect();
        let text = render(&gates);
        assert!(text.len() <= MAX_SUMMARY_BYTES, "{}", text.len());
        assert!(
            text.contains("… and 4800 more"),
            "rows are capped per agent"
        );
        assert!(text.contains("more agents (summary size limit)"));
    }

    #[test]
    fn append_adds_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.md");
        std::fs::write(&p, "before\n").unwrap();
        append(&p, &[gate("ws")]).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with("before\n## wsspec gate ❌ failed: ws\n"),
            "{text}"
        );
    }
}
