//! The `wsspec` command line.
//!
//! `main.rs` declares the commands and dispatches; each larger command lives in its own
//! module: `gate_cli` (expectations, policy, JUnit, baselines), `spec_run` (Autobahn spec
//! files), `cmd_compare` (`diff` and `compare`), `tls_args` (wss:// and TLS listeners).

/// `println!` that ignores a closed stdout (`wsspec list | head`): a reader that went away
/// must not panic the harness, nor stop a run before its reports and gate are written.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod client_cmd;
mod cmd_compare;
mod fuzz_cmd;
mod gate_cli;
mod spec_run;
mod tls_args;

use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use wsspec::engine::{Limits, Target};
use wsspec_cases::{select, Dialect, Patterns};
use wsspec_reports::{rows_for, summary_table, ReportDir};

use client_cmd::TargetRun;
use gate_cli::{Gate, GateArgs};

/// WebSocket conformance test suite: Autobahn-numbered cases, Autobahn-compatible reports.
#[derive(Parser)]
#[command(name = "wsspec", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Test a WebSocket server: wsspec is the client.
    Client {
        /// The server under test, ws://host:port[/path] or wss://host:port[/path] (TLS;
        /// see --ca and --insecure).
        #[arg(long)]
        url: String,
        /// Agent name for the reports (default: the server's `Server` header).
        #[arg(long)]
        agent: Option<String>,
        #[command(flatten)]
        selection: Selection,
        /// Report directory.
        #[arg(long, default_value = "./reports/servers")]
        out: PathBuf,
        /// Poll the server's port until it accepts, for at most this long (e.g. 30s),
        /// instead of failing at once when it is not up yet.
        #[arg(long, value_parser = wsspec::readiness::parse_duration)]
        wait: Option<Duration>,
        #[command(flatten)]
        gate: GateArgs,
        #[command(flatten)]
        tls: tls_args::ClientTlsArgs,
    },
    /// Run an Autobahn spec file unchanged: fuzzingclient.json tests every server it lists,
    /// fuzzingserver.json starts server mode. Exit 0: gate passed; 1: gate failed; 2: setup error.
    Run(spec_run::RunArgs),
    /// Print an expectations file (TOML) for a report's non-OK cases, reasons left to fill.
    Baseline {
        /// The report directory.
        dir: PathBuf,
        /// The agent, when the report holds several.
        #[arg(long)]
        agent: Option<String>,
        /// The policy the baseline is for (see `client --fail-on`).
        #[arg(long, value_name = "LIST", default_value = "failed,unclean,wrong-code")]
        fail_on: String,
    },
    /// Test WebSocket clients and browsers: wsspec is the server (Autobahn's fuzzingserver
    /// URL protocol: /getCaseCount, /runCase?case=N&agent=A, /updateReports, ...; a plain
    /// GET / serves a browser test page).
    Server {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9001")]
        listen: String,
        /// Cases to offer (Autobahn patterns: `*` wildcard, comma-separated, e.g. `1.*,7.1.*`).
        #[arg(long, default_value = "*")]
        cases: String,
        /// Cases to leave out (same syntax).
        #[arg(long, default_value = "")]
        exclude: String,
        /// Report directory.
        #[arg(long, default_value = "./reports/clients")]
        out: PathBuf,
        #[command(flatten)]
        gate: GateArgs,
        #[command(flatten)]
        tls: tls_args::ServerTlsArgs,
    },
    /// Run the built-in reference echo server.
    Echo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9001")]
        listen: String,
        #[command(flatten)]
        tls: tls_args::ServerTlsArgs,
        /// Testing aid: inject one deliberate defect into the server (`--fault list` names
        /// them), for checking that tests and fuzzers catch it.
        #[arg(long, value_name = "NAME")]
        fault: Option<String>,
    },
    /// Run the whole catalogue against the built-in reference server.
    Demo {
        #[command(flatten)]
        selection: Selection,
        /// Report directory.
        #[arg(long, default_value = "./reports/demo")]
        out: PathBuf,
    },
    /// Print regressions and improvements between two reports (exit 1 on a regression).
    Diff(cmd_compare::DiffArgs),
    /// One matrix of servers × cases from several reports, in the terminal and as compare.html.
    Compare(cmd_compare::CompareArgs),
    /// Fuzz a server (--url) or clients (--listen), loopback only: generated action
    /// sequences judged by a model of RFC 6455; each distinct finding becomes a case file
    /// (minimized for servers). Exit 0: no finding; 1: findings; 2: setup error.
    Fuzz(fuzz_cmd::FuzzArgs),
    /// Re-run a fuzz case file. Exit 1 if it still shows a finding, 0 if not.
    Replay(fuzz_cmd::ReplayArgs),
    /// Print the catalogue: id, category, description.
    List {
        /// Case patterns (Autobahn syntax: `*` wildcard, comma-separated).
        #[arg(long, default_value = "*")]
        cases: String,
    },
}

#[derive(clap::Args)]
struct Selection {
    /// Cases to run (Autobahn patterns: `*` wildcard, comma-separated, e.g. `1.*,7.1.*`).
    #[arg(long, default_value = "*")]
    cases: String,
    /// Cases to leave out (same syntax).
    #[arg(long, default_value = "")]
    exclude: String,
    /// Cases run at once (default: number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Dialect of the opening handshake for categories 1-10: 75, 76 (hixie), 7, 8 (hybi), 13.
    /// Hixie framing cannot carry categories 1-10, so with 75/76 only the cases that pick
    /// their own dialect (14 and up) run. A server that refuses the dialect: UNIMPLEMENTED.
    #[arg(long, default_value = "13", value_parser = parse_draft)]
    draft: Dialect,
    /// Also run the fuzz case files (`wsspec fuzz` findings, *.json) in this directory and
    /// its findings/ subdirectory; the case patterns apply to their ids (fuzz.<hash>) too.
    #[arg(long, value_name = "DIR")]
    cases_dir: Option<PathBuf>,
}

fn parse_draft(s: &str) -> Result<Dialect, String> {
    match s {
        "75" => Ok(Dialect::Hixie75),
        "76" | "0" => Ok(Dialect::Hixie76),
        "7" => Ok(Dialect::Hybi07),
        "8" => Ok(Dialect::Hybi10),
        "13" => Ok(Dialect::Rfc6455),
        other => Err(format!("unknown draft {other:?} (use 75, 76, 7, 8 or 13)")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wsspec: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wsspec: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List { cases } => {
            let selected = select(&Patterns::parse(&cases), &Patterns::parse(""));
            if selected.is_empty() {
                anyhow::bail!("no case matched {cases:?}");
            }
            for c in selected {
                say!(
                    "{}\t{} {}\t{}\t{}",
                    c.id,
                    c.category.number,
                    c.category.title,
                    c.spec,
                    c.description
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff(args) => cmd_compare::diff(args),
        Command::Fuzz(args) => fuzz_cmd::fuzz(args).await,
        Command::Replay(args) => fuzz_cmd::replay(args).await,
        Command::Run(args) => spec_run::run(args).await,
        Command::Baseline {
            dir,
            agent,
            fail_on,
        } => gate_cli::baseline(&dir, agent.as_deref(), &fail_on),
        Command::Compare(args) => cmd_compare::compare(args),
        Command::Echo { listen, tls, fault } => {
            use wsspec::echo::Fault;
            let fault = match fault.as_deref() {
                None => None,
                Some("list") => {
                    for f in Fault::ALL {
                        say!("{}\t{}", f.name(), f.defect());
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                Some(name) => Some(Fault::parse(name).with_context(|| {
                    format!("unknown fault {name:?} (`wsspec echo --fault list` names them)")
                })?),
            };
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            let listener = tls.echo_listener(listener)?;
            say!("LISTENING {}", addr.port());
            let (ws, _) = tls_args::schemes(&listener);
            eprintln!("wsspec reference echo server on {ws}://{addr}");
            if let Some(f) = fault {
                eprintln!("wsspec echo: FAULT INJECTED, {f}: {}", f.defect());
            }
            let config = wsspec::echo::EchoConfig {
                fault,
                ..Default::default()
            };
            wsspec::echo::serve(listener, config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Server {
            listen,
            cases,
            exclude,
            out,
            gate,
            tls,
        } => {
            serve_clients(ServeArgs {
                listen,
                cases: Patterns::parse(&cases),
                exclude: Patterns::parse(&exclude),
                out,
                gate: Some(gate.prepare()?),
                tls,
                last_category: None,
                skip_for_agent: None,
            })
            .await
        }
        Command::Client {
            url,
            agent,
            selection,
            out,
            wait,
            gate,
            tls,
        } => {
            let target = Target::parse(&url)?;
            let gate = gate.prepare()?;
            let tls = tls.client_tls(&target)?;
            run_against(target, agent, selection, out, wait, Some(gate), tls).await
        }
        Command::Demo { selection, out } => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .context("cannot start the reference server")?;
            let addr = listener.local_addr()?;
            tokio::spawn(wsspec::echo::serve(
                listener,
                wsspec::echo::EchoConfig::default(),
            ));
            let target = Target::parse(&format!("ws://{addr}"))?;
            eprintln!("wsspec demo: reference server on ws://{addr}");
            run_against(
                target,
                Some("wsspec-echo".into()),
                selection,
                out,
                None,
                None,
                None,
            )
            .await
        }
    }
}

/// What `serve_clients` needs: from the `server` flags or a fuzzingserver spec.
pub struct ServeArgs {
    /// `host:port` to listen on.
    pub listen: String,
    /// Cases offered.
    pub cases: Patterns,
    /// Cases left out.
    pub exclude: Patterns,
    /// Report directory.
    pub out: PathBuf,
    /// The gate applied when a client stops the server; `None` only reports.
    pub gate: Option<Gate>,
    /// TLS for the listener (`--tls-cert`/`--tls-key`, `--tls-self-signed`).
    pub tls: tls_args::ServerTlsArgs,
    /// Offer only categories up to this one (a spec file without `--extended`: 13).
    pub last_category: Option<u32>,
    /// A spec's `exclude-agent-cases`.
    pub skip_for_agent: Option<wsspec::server::AgentFilter>,
}

/// Server mode: serve the cases until a client stops the server (or Ctrl-C).
pub async fn serve_clients(args: ServeArgs) -> anyhow::Result<ExitCode> {
    use wsspec::server::{server_cases, Server, ServerConfig, Stopped};
    let ServeArgs {
        listen,
        cases: include,
        exclude,
        out,
        gate,
        tls,
        last_category,
        skip_for_agent,
    } = args;
    client_cmd::check_patterns(&include, &exclude)?;
    let mut selected = server_cases(&include, &exclude);
    if let Some(last) = last_category {
        selected.retain(|c| c.category.number <= last);
    }
    if selected.is_empty() {
        let list = |p: &Patterns| p.texts().collect::<Vec<_>>().join(",");
        anyhow::bail!(
            "no case matched cases {:?} minus {:?} among the cases that run with wsspec as the server",
            list(&include),
            list(&exclude)
        );
    }
    let count = selected.len();
    let report_dir = ReportDir::create(&out)?;
    let server = Server::new(ServerConfig {
        cases: selected.clone(),
        out: report_dir,
        limits: Limits::default(),
        skip_for_agent,
    })?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let listener = tls.server_listener(listener, &out)?;
    let (ws, http) = tls_args::schemes(&listener);
    say!("LISTENING {}", addr.port());
    eprintln!(
        "wsspec server: {count} cases for any client on {ws}://{addr} (browser page: {http}://{addr}/); reports in {}",
        out.display()
    );
    let stopped = server
        .run(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    let catalogue: Vec<wsspec_cases::Case> = selected.iter().map(|c| (*c).clone()).collect();
    let results: Vec<_> = server.results().into_iter().collect();
    for (agent, entries) in &results {
        say!("{agent}:");
        say!("{}", summary_table(&rows_for(&catalogue, entries)));
    }
    match stopped {
        Stopped::Interrupted => {
            eprintln!("wsspec server: interrupted; the reports hold every case that finished");
            Ok(ExitCode::from(130))
        }
        Stopped::StopRequested => match gate {
            Some(gate) if !results.is_empty() => gate.judge(&out, &results),
            _ => Ok(ExitCode::SUCCESS),
        },
    }
}

async fn run_against(
    target: Target,
    agent: Option<String>,
    selection: Selection,
    out: PathBuf,
    wait: Option<Duration>,
    gate: Option<Gate>,
    tls: Option<wsspec::tls::ClientTls>,
) -> anyhow::Result<ExitCode> {
    let cases = fuzz_cmd::select_with_dir(
        &Patterns::parse(&selection.cases),
        &Patterns::parse(&selection.exclude),
        selection.draft,
        selection.cases_dir.as_deref(),
    )?;
    let demo = gate.is_none();
    let out_dir = ReportDir::create(&out)?;
    let finished = client_cmd::run_target(
        out_dir,
        TargetRun {
            target,
            agent,
            cases,
            jobs: client_cmd::jobs(selection.jobs),
            limits: Limits::default(),
            draft: selection.draft,
            wait,
            skip_for_agent: &|_, _| false,
            tls,
        },
    )
    .await?;
    if finished.interrupted {
        eprintln!("wsspec: interrupted; the report holds the cases that finished");
        return Ok(ExitCode::from(130));
    }
    match gate {
        Some(gate) => gate.judge(&out, &[(finished.agent, finished.entries)]),
        None if demo => {
            let bad = finished
                .entries
                .values()
                .filter(|e| {
                    !matches!(
                        e.behavior,
                        wsspec_cases::Verdict::Ok | wsspec_cases::Verdict::Informational
                    )
                })
                .count();
            if bad > 0 {
                eprintln!("wsspec demo: {bad} cases were not OK against the reference server");
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        None => Ok(ExitCode::SUCCESS),
    }
}
