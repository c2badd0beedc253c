//! Applies the gate (expectations, `--fail-on`) to a finished run: prints the offending
//! cases, writes JUnit XML and the GitHub step summary, and picks the exit code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use wsspec_gate::expect::Expectations;
use wsspec_gate::outcome::GateReport;
use wsspec_gate::policy::Policy;
use wsspec_gate::LoadedReport;
use wsspec_reports::IndexEntry;

/// Exit code of a run whose gate failed.
pub const GATE_FAILED: u8 = 1;

/// The gate's flags, shared by every command that runs cases.
#[derive(clap::Args, Debug, Clone)]
pub struct GateArgs {
    /// Expectations file (JSON or TOML): case-id globs with the verdict expected and the
    /// reason. A matching verdict passes; a different one fails (see docs/expectations.md).
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Verdicts that fail the gate, in behavior or behaviorClose: a comma list of
    /// failed, non-strict, unclean, wrong-code, informational, unimplemented (or "" for none).
    #[arg(long, value_name = "LIST", default_value = "failed,unclean,wrong-code")]
    pub fail_on: String,
    /// Write a JUnit XML report (one testsuite per category) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// The gate, read and checked before any case runs, so a bad file costs no test time.
pub struct Gate {
    expectations: Expectations,
    policy: Policy,
    junit: Option<PathBuf>,
}

impl GateArgs {
    /// Read the expectations and the policy; a problem is a setup error.
    pub fn prepare(&self) -> anyhow::Result<Gate> {
        let policy = Policy::parse(&self.fail_on).context("--fail-on")?;
        let expectations = match &self.expect {
            Some(path) => Expectations::load(path)?,
            None => Expectations::empty(),
        };
        if let Some(junit) = &self.junit {
            check_writable(junit)?;
        }
        Ok(Gate {
            expectations,
            policy,
            junit: self.junit.clone(),
        })
    }
}

/// Fail early, before the run, when the JUnit file cannot be written.
fn check_writable(path: &Path) -> anyhow::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create the directory of --junit {}", path.display()))?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write --junit {}", path.display()))?;
    Ok(())
}

impl Gate {
    /// Judge each agent's results of this run (read back from `out_dir` for the details),
    /// print the verdict of the gate, write the CI files; 0 when it passed, 1 when not.
    pub fn judge(
        &self,
        out_dir: &Path,
        runs: &[(String, BTreeMap<String, IndexEntry>)],
    ) -> anyhow::Result<ExitCode> {
        let agents: Vec<&str> = runs.iter().map(|(agent, _)| agent.as_str()).collect();
        let unmatched_agents = self.expectations.unmatched_agents(&agents);
        let reports: Vec<GateReport> = runs
            .iter()
            .enumerate()
            .map(|(i, (agent, entries))| {
                let mut report =
                    GateReport::judge(agent, entries, &self.expectations, &self.policy);
                // Said once, not once per agent.
                if i == 0 {
                    report.unmatched_agents = unmatched_agents.clone();
                }
                report
            })
            .collect();
        for report in &reports {
            eprint!("{}", report.render_text());
        }
        if let Some(path) = &self.junit {
            let report_dir = LoadedReport::load(out_dir)?;
            wsspec_gate::junit::write(path, &report_dir, &reports)?;
            eprintln!("wsspec: JUnit report in {}", path.display());
        }
        if let Some(path) = wsspec_gate::step_summary::append_if_requested(&reports)? {
            eprintln!("wsspec: step summary appended to {}", path.display());
        }
        if reports.iter().all(GateReport::passed) {
            eprintln!("wsspec: gate passed (fail-on: {})", self.policy);
            Ok(ExitCode::SUCCESS)
        } else {
            eprintln!("wsspec: gate FAILED (fail-on: {})", self.policy);
            Ok(ExitCode::from(GATE_FAILED))
        }
    }
}

/// `wsspec baseline DIR [--agent A]`: an expectations file for the report, on stdout.
pub fn baseline(dir: &Path, agent: Option<&str>, fail_on: &str) -> anyhow::Result<ExitCode> {
    let policy = Policy::parse(fail_on).context("--fail-on")?;
    let report = LoadedReport::load(dir)?;
    let text = wsspec_gate::baseline::render(&report, agent, &policy)?;
    say!("{}", text.trim_end_matches('\n'));
    Ok(ExitCode::SUCCESS)
}
