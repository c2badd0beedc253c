//! `wsspec fuzz` (the network fuzzer), `wsspec replay` (re-run one finding) and
//! `client --cases-dir` (findings as suite cases).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use wsspec::engine::Target;
use wsspec::netfuzz::casefile::CaseFile;
use wsspec::netfuzz::run::{check_loopback, classify, FuzzConfig, Runner};
use wsspec::netfuzz::Timing;
use wsspec_cases::{Case, Dialect, Patterns};

use crate::tls_args;

/// `wsspec fuzz`.
#[derive(clap::Args, Debug)]
pub struct FuzzArgs {
    /// The server under test (127.0.0.0/8, ::1 or localhost only), e.g. ws://127.0.0.1:9001.
    #[arg(
        long,
        required_unless_present_any = ["listen", "emit"],
        conflicts_with = "listen"
    )]
    url: Option<String>,
    /// Fuzz clients instead: listen here (loopback only, e.g. 127.0.0.1:9001; port 0 picks
    /// one, printed as `LISTENING <port>`) and serve --max-sequences generated cases (default
    /// 100) by Autobahn's client convention (/getCaseCount, /runCase?case=N&agent=A,
    /// /updateReports), until every client ran them all or --duration passes.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// How long to start new sequences (e.g. 60s, 5m; at most a day). Confirming and
    /// minimizing a finding adds to it.
    #[arg(long, default_value = "60s", value_parser = wsspec::readiness::parse_duration)]
    duration: Duration,
    /// Seed of the run (default: from the clock; printed). Sequence i depends only on
    /// (seed, i).
    #[arg(long)]
    seed: Option<u64>,
    /// Sequences run at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Output directory: findings/<hash>.json (one per distinct symptom), summary.json.
    #[arg(long, default_value = "./reports/fuzz")]
    out: PathBuf,
    /// Stop after this many sequences.
    #[arg(long)]
    max_sequences: Option<u64>,
    /// Milliseconds the server gets to send its echoes and pongs when several orders are
    /// acceptable, before the harness closes (grows with the payload size; confirming
    /// re-runs use four times as much).
    #[arg(long, default_value_t = 150)]
    settle_ms: u64,
    /// Stop once this many distinct findings are on file.
    #[arg(long, value_name = "N")]
    stop_after: Option<usize>,
    /// Most re-runs spent minimizing one finding.
    #[arg(long, default_value_t = 200)]
    minimize_runs: usize,
    /// No progress line.
    #[arg(long)]
    quiet: bool,
    /// Print sequence number N of --seed as a case file and exit (runs nothing).
    #[arg(long, value_name = "N")]
    emit: Option<u64>,
    #[command(flatten)]
    tls: tls_args::ClientTlsArgs,
}

/// `wsspec replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// The case file (a finding of `wsspec fuzz`, or hand-written).
    file: PathBuf,
    /// The server to run it against (loopback only).
    #[arg(long)]
    url: String,
    #[command(flatten)]
    tls: tls_args::ClientTlsArgs,
}

/// A loopback target from a URL, or a setup error.
fn loopback_target(url: &str) -> anyhow::Result<Target> {
    let target = Target::parse(url)?;
    check_loopback(&target)?;
    Ok(target)
}

/// Run the fuzzer. Exit 0: no finding; 1: findings (listed); 2: setup error.
pub async fn fuzz(args: FuzzArgs) -> anyhow::Result<ExitCode> {
    if let Some(index) = args.emit {
        let seed = args.seed.unwrap_or(0);
        let seq = wsspec::netfuzz::run::sequence_for(seed, index);
        let mut file = CaseFile::new(&format!("fuzz.s{seed}.{index}"), seq, Timing::default());
        file.seed = Some(seed);
        file.sequence_index = Some(index);
        let path = args.out.join(format!("s{seed}-{index}.json"));
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        file.save(&path)?;
        say!("{}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(listen) = args.listen.clone() {
        return fuzz_clients(&listen, args).await;
    }
    let Some(url) = args.url else {
        anyhow::bail!("give --url (a server to fuzz) or --listen (for clients to fuzz)");
    };
    let target = loopback_target(&url)?;
    let tls = args.tls.client_tls(&target)?;
    let seed = args.seed.unwrap_or_else(clock_seed);
    let mut config = FuzzConfig::new(target, args.out.clone());
    config.tls = tls;
    config.duration = args.duration;
    config.seed = seed;
    config.jobs = args.jobs.clamp(1, 64);
    config.max_sequences = args.max_sequences;
    config.timing = Timing {
        settle_ms: args.settle_ms.clamp(10, 5000),
    };
    config.minimize_runs = args.minimize_runs;
    config.stop_after = args.stop_after;
    config.progress = !args.quiet;
    let stop = config.stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.store(true, Ordering::Relaxed);
        }
    });
    eprintln!(
        "wsspec fuzz: {url} for {:.0?}, seed {seed}, {} at a time; findings in {}",
        args.duration,
        config.jobs,
        args.out.join("findings").display()
    );
    let report = wsspec::netfuzz::fuzz(config).await?;
    say!(
        "{} sequences in {:.1} s ({:.1}/s), {} distinct reactions, {} findings ({} duplicates, {} unconfirmed), seed {}",
        report.sequences,
        report.elapsed_ms as f64 / 1000.0,
        report.rate,
        report.reactions,
        report.findings.len(),
        report.duplicates,
        report.unconfirmed,
        report.seed
    );
    for f in &report.findings {
        say!(
            "  {} ({} actions, minimized from {}; found after {:.1} s): {}",
            f.path.display(),
            f.actions,
            f.original_actions,
            f.found_after_ms as f64 / 1000.0,
            f.symptom.describe()
        );
    }
    if let Some(gone) = &report.server_gone {
        say!("the server is gone: {gone}");
    }
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `wsspec fuzz --listen`: serve generated cases to clients, then judge what they did.
async fn fuzz_clients(listen: &str, args: FuzzArgs) -> anyhow::Result<ExitCode> {
    use std::net::ToSocketAddrs;
    use wsspec::netfuzz::listen::{fuzz_clients, ListenConfig};
    let loopback = listen.to_socket_addrs().is_ok_and(|addrs| {
        let addrs: Vec<_> = addrs.collect();
        !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
    });
    if !loopback {
        anyhow::bail!(
            "refusing to listen on {listen}: only 127.0.0.0/8 and ::1 addresses are allowed (or a name that resolves only to them, like localhost)"
        );
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let seed = args.seed.unwrap_or_else(clock_seed);
    let config = ListenConfig {
        seed,
        sequences: args.max_sequences.unwrap_or(100).clamp(1, 100_000),
        out: args.out.clone(),
        timing: Timing {
            settle_ms: args.settle_ms.clamp(10, 5000),
        },
        duration: args.duration,
        stop: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    };
    let stop = config.stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.store(true, Ordering::Relaxed);
        }
    });
    say!("LISTENING {}", addr.port());
    eprintln!(
        "wsspec fuzz: {} cases for clients on ws://{addr} (seed {seed}; Autobahn's client convention); waiting at most {:.0?}",
        config.sequences, args.duration
    );
    let report = fuzz_clients(listener, config).await?;
    say!(
        "{} cases, clients {:?}, {} findings ({} duplicates), seed {}",
        report.cases,
        report.agents,
        report.findings.len(),
        report.duplicates,
        report.seed
    );
    for f in &report.findings {
        say!(
            "  {} ({}, case {}, {} actions): {}",
            f.path.display(),
            f.agent,
            f.case,
            f.actions,
            f.symptom.describe()
        );
    }
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A seed from the clock, for runs that give none.
fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Re-run a case file. Exit 1 if it still shows a finding, 0 if not, 2 on a setup error.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let target = loopback_target(&args.url)?;
    let tls = args.tls.client_tls(&target)?;
    let file = CaseFile::load(&args.file)?;
    if file.peer == wsspec::netfuzz::PeerRole::Client {
        anyhow::bail!(
            "{} tests a client (wsspec fuzz --listen): replay runs server cases only",
            args.file.display()
        );
    }
    let modeled = file.to_case(&args.file)?;
    let runner = Runner::new(target, tls);
    let ran = runner.run_modeled(modeled).await;
    let r = &ran.result;
    say!("{}: {}", r.id, r.description);
    say!(
        "behavior {} ({}); close {} ({})",
        r.behavior.as_str(),
        r.result,
        r.behavior_close.as_str(),
        r.result_close
    );
    if ran.unreachable {
        say!(
            "the server is unreachable: {}",
            r.was_not_clean_reason.as_deref().unwrap_or("?")
        );
        return Ok(ExitCode::from(1));
    }
    match classify(r, &ran.modeled.meta) {
        Some(symptom) => {
            let same = file.symptom.as_ref() == Some(&symptom);
            say!(
                "still fails: {}{}",
                symptom.describe(),
                match (&file.symptom, same) {
                    (Some(_), true) => " (the recorded symptom)",
                    (Some(_), false) => " (not the recorded symptom)",
                    (None, _) => "",
                }
            );
            Ok(ExitCode::from(1))
        }
        None => {
            say!("passes: no finding");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The case files in `dir` as suite cases, filtered by the case patterns.
pub fn load_cases_dir(
    dir: &Path,
    include: &Patterns,
    exclude: &Patterns,
) -> anyhow::Result<Vec<&'static Case>> {
    let files = CaseFile::load_dir(dir)
        .with_context(|| format!("cannot read the case files in {}", dir.display()))?;
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for (path, file) in files {
        if file.peer == wsspec::netfuzz::PeerRole::Client {
            eprintln!(
                "wsspec: {} tests a client; skipped (client runs test servers)",
                path.display()
            );
            continue;
        }
        let case = file.to_case(&path)?.case;
        if !ids.insert(case.id.clone()) {
            anyhow::bail!("{}: case id {} is used twice", path.display(), case.id);
        }
        if (include.is_empty() || include.matches(&case.id)) && !exclude.matches(&case.id) {
            // The runner takes `&'static Case`, as the catalogue is static. Loaded cases
            // live as long as the process does, so leaking each once is the simplest owner.
            out.push(&*Box::leak(Box::new(case)));
        }
    }
    Ok(out)
}

/// `client`'s selection: the catalogue cases the patterns pick, plus the case files of
/// `--cases-dir` (for RFC 6455 framing only; hixie drafts skip them).
pub fn select_with_dir(
    include: &Patterns,
    exclude: &Patterns,
    draft: Dialect,
    dir: Option<&Path>,
) -> anyhow::Result<Vec<&'static Case>> {
    let Some(dir) = dir else {
        return crate::client_cmd::select_cases(include, exclude, draft);
    };
    let mut files = load_cases_dir(dir, include, exclude)?;
    if draft.is_hixie() && !files.is_empty() {
        eprintln!(
            "wsspec: draft {}: the {} case files of {} need RFC 6455 framing and are skipped",
            draft.name(),
            files.len(),
            dir.display()
        );
        files.clear();
    }
    crate::client_cmd::check_patterns(include, exclude)?;
    let mut cases = match crate::client_cmd::select_cases(include, exclude, draft) {
        Ok(cases) => cases,
        // The patterns are valid (checked above), so the catalogue just has no match:
        // fine when case files do.
        Err(_) if !files.is_empty() => Vec::new(),
        Err(e) => return Err(e),
    };
    eprintln!("wsspec: {} case files from {}", files.len(), dir.display());
    cases.extend(files);
    Ok(cases)
}
