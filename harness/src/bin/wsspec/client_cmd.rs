//! Running the catalogue against one server under test (`client`, `demo`, and each server
//! of a fuzzingclient spec), with the readiness wait and the end-of-run summary.

use std::collections::BTreeMap;
use std::time::Duration;

use wsspec::engine::{Limits, Target};
use wsspec::runner::{self, RunConfig};
use wsspec_cases::{select, Case, Dialect, Opening, Patterns};
use wsspec_reports::{rows_for, summary_table, IndexEntry, ReportDir};

/// One server to test.
pub struct TargetRun<'a> {
    /// Where it listens.
    pub target: Target,
    /// The agent name; `None` takes the server's `Server` header, as Autobahn does.
    pub agent: Option<String>,
    /// The cases, before per-agent exclusions.
    pub cases: Vec<&'static Case>,
    /// Cases run at once.
    pub jobs: usize,
    /// Harness timeouts and limits.
    pub limits: Limits,
    /// The dialect of categories 1-10.
    pub draft: Dialect,
    /// Poll the port this long for the server to come up (`--wait`).
    pub wait: Option<Duration>,
    /// `exclude-agent-cases`: whether (agent, case id) is left out.
    pub skip_for_agent: &'a dyn Fn(&str, &str) -> bool,
    /// How a wss:// target is verified (`None`: the built-in roots).
    pub tls: Option<wsspec::tls::ClientTls>,
}

/// What one server's run produced.
pub struct Finished {
    /// The agent the results are filed under.
    pub agent: String,
    /// The finished cases' index entries.
    pub entries: BTreeMap<String, IndexEntry>,
    /// Whether Ctrl-C cut the run short.
    pub interrupted: bool,
}

/// `--jobs`, defaulting to the number of cores.
pub fn jobs(requested: Option<usize>) -> usize {
    requested
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1)
}

/// Refuse patterns whose regular expression does not compile; warn about loose ones.
pub fn check_patterns(include: &Patterns, exclude: &Patterns) -> anyhow::Result<()> {
    if let Some((pattern, problem)) = include
        .invalid()
        .into_iter()
        .chain(exclude.invalid())
        .next()
    {
        anyhow::bail!("case pattern {pattern:?} is not valid: {problem}");
    }
    for loose in include.loose() {
        eprintln!("wsspec: warning: pattern {loose:?} also matches longer ids (e.g. 1* matches 10.x); use 1.* for one category");
    }
    Ok(())
}

/// The client-mode cases `include` minus `exclude` selects for `draft`; none is an error.
pub fn select_cases(
    include: &Patterns,
    exclude: &Patterns,
    draft: Dialect,
) -> anyhow::Result<Vec<&'static Case>> {
    check_patterns(include, exclude)?;
    let mut cases = select(include, exclude);
    // Category 20 tests clients: it only runs in server mode.
    cases.retain(|c| !c.tests_clients_only());
    if draft.is_hixie() {
        let before = cases.len();
        cases.retain(|c| c.opening != Opening::default());
        if cases.len() < before {
            eprintln!(
                "wsspec: draft {}: {} cases of categories 1-10 need RFC 6455 framing and are skipped",
                draft.name(),
                before - cases.len()
            );
        }
    }
    if cases.is_empty() {
        let list = |p: &Patterns| p.texts().collect::<Vec<_>>().join(",");
        anyhow::bail!(
            "no case matched cases {:?} minus {:?}",
            list(include),
            list(exclude)
        );
    }
    Ok(cases)
}

/// Wait for the server if asked, probe it, run its cases into `out` and print the summary.
pub async fn run_target(out: ReportDir, run: TargetRun<'_>) -> anyhow::Result<Finished> {
    let addr = run.target.connect_addr();
    if let Some(wait) = run.wait {
        wsspec::readiness::wait_for_port(&addr, wait).await?;
    }
    let server = runner::probe(&run.target, run.tls.as_ref(), &run.limits).await?;
    let agent = run
        .agent
        .or(server)
        .unwrap_or_else(|| "UnknownServer".to_string());
    let mut cases = run.cases;
    let before = cases.len();
    cases.retain(|c| !(run.skip_for_agent)(&agent, &c.id));
    if cases.len() < before {
        eprintln!(
            "wsspec: exclude-agent-cases leaves out {} cases for agent {agent:?}",
            before - cases.len()
        );
    }
    if cases.is_empty() {
        anyhow::bail!("no case is left to run for agent {agent:?}");
    }
    let out_path = out.path().to_path_buf();
    eprintln!(
        "wsspec: {} cases against {addr} as agent {agent:?}, {} at a time",
        cases.len(),
        run.jobs
    );
    let outcome = runner::run(
        RunConfig {
            target: run.target,
            agent: agent.clone(),
            cases: cases.clone(),
            jobs: run.jobs,
            out,
            limits: run.limits,
            draft: run.draft,
            tls: run.tls,
        },
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    )
    .await?;
    let catalogue: Vec<Case> = cases.iter().map(|c| (*c).clone()).collect();
    say!("{}", summary_table(&rows_for(&catalogue, &outcome.entries)));
    say!(
        "{} of {} cases in {:.2} s; reports in {}",
        outcome.entries.len(),
        cases.len(),
        outcome.elapsed.as_secs_f64(),
        out_path.display()
    );
    Ok(Finished {
        agent,
        entries: outcome.entries,
        interrupted: outcome.interrupted,
    })
}
