//! The `wsspec` command line.
//!
//! `main.rs` declares the commands and dispatches; each larger command lives in its own
//! module: `gate_cli` (expectations, policy, JUnit, baselines), `spec_run` (Autobahn spec
//! files), `cmd_compare` (`diff` and `compare`), `tls_args` (wss:// and TLS listeners).

mod cmd_compare;
mod gate_cli;
mod spec_run;
mod tls_args;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use wsspec::engine::{Limits, Target};
use wsspec::runner::{self, RunConfig};
use wsspec_cases::{select, Dialect, Opening, Patterns};
use wsspec_reports::{rows_for, summary_table, ReportDir};

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
        /// The server under test, ws://host:port[/path].
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
        #[command(flatten)]
        tls: tls_args::ClientTlsArgs,
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
        tls: tls_args::ServerTlsArgs,
    },
    /// Run the built-in reference echo server.
    Echo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9001")]
        listen: String,
        #[command(flatten)]
        tls: tls_args::ServerTlsArgs,
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
                println!(
                    "{}\t{} {}\t{}\t{}",
                    c.id, c.category.number, c.category.title, c.spec, c.description
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff(args) => cmd_compare::diff(args),
        Command::Compare(args) => cmd_compare::compare(args),
        Command::Echo { listen, tls: _ } => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            println!("LISTENING {}", addr.port());
            eprintln!("wsspec reference echo server on ws://{addr}");
            wsspec::echo::serve(listener, wsspec::echo::EchoConfig::default()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Server {
            listen,
            cases,
            exclude,
            out,
            tls: _,
        } => serve_clients(listen, cases, exclude, out).await,
        Command::Client {
            url,
            agent,
            selection,
            out,
            tls: _,
        } => {
            let target = Target::parse(&url)?;
            run_against(target, agent, selection, out, false).await
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
            run_against(target, Some("wsspec-echo".into()), selection, out, true).await
        }
    }
}

async fn serve_clients(
    listen: String,
    cases: String,
    exclude: String,
    out: PathBuf,
) -> anyhow::Result<ExitCode> {
    use wsspec::server::{server_cases, Server, ServerConfig, Stopped};
    let include = Patterns::parse(&cases);
    for loose in include.loose() {
        eprintln!("wsspec: warning: pattern {loose:?} also matches longer ids (e.g. 1* matches 10.x); use 1.* for one category");
    }
    let selected = server_cases(&include, &Patterns::parse(&exclude));
    if selected.is_empty() {
        anyhow::bail!(
            "no case matched --cases {cases:?} --exclude {exclude:?} among the cases that run with wsspec as the server (categories 1-10)"
        );
    }
    let count = selected.len();
    let report_dir = ReportDir::create(&out)?;
    let server = Server::new(ServerConfig {
        cases: selected.clone(),
        out: report_dir,
        limits: Limits::default(),
    })?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("LISTENING {}", addr.port());
    eprintln!(
        "wsspec server: {count} cases for any client on ws://{addr} (browser page: http://{addr}/); reports in {}",
        out.display()
    );
    let stopped = server
        .run(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    let catalogue: Vec<wsspec_cases::Case> = selected.iter().map(|c| (*c).clone()).collect();
    for (agent, entries) in server.results() {
        println!("{agent}:");
        println!("{}", summary_table(&rows_for(&catalogue, &entries)));
    }
    match stopped {
        Stopped::Interrupted => {
            eprintln!("wsspec server: interrupted; the reports hold every case that finished");
            Ok(ExitCode::from(130))
        }
        Stopped::StopRequested => Ok(ExitCode::SUCCESS),
    }
}

async fn run_against(
    target: Target,
    agent: Option<String>,
    selection: Selection,
    out: PathBuf,
    demo: bool,
) -> anyhow::Result<ExitCode> {
    let include = Patterns::parse(&selection.cases);
    for loose in include.loose() {
        eprintln!("wsspec: warning: pattern {loose:?} also matches longer ids (e.g. 1* matches 10.x); use 1.* for one category");
    }
    let mut cases = select(&include, &Patterns::parse(&selection.exclude));
    // Category 20 tests clients: it only runs in server mode.
    cases.retain(|c| !c.tests_clients_only());
    if selection.draft.is_hixie() {
        let before = cases.len();
        cases.retain(|c| c.opening != Opening::default());
        if cases.len() < before {
            eprintln!(
                "wsspec: --draft {}: {} cases of categories 1-10 need RFC 6455 framing and are skipped",
                selection.draft.name(),
                before - cases.len()
            );
        }
    }
    if cases.is_empty() {
        anyhow::bail!(
            "no case matched --cases {:?} --exclude {:?}",
            selection.cases,
            selection.exclude
        );
    }
    let limits = Limits::default();
    let out = ReportDir::create(&out)?;
    let server = runner::probe(&target, &limits).await?;
    let agent = agent
        .or(server)
        .unwrap_or_else(|| "UnknownServer".to_string());
    let out_path = out.path().to_path_buf();
    let jobs = selection
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    eprintln!(
        "wsspec: {} cases against {} as agent {agent:?}, {jobs} at a time",
        cases.len(),
        target.connect_addr()
    );
    let outcome = runner::run(
        RunConfig {
            target,
            agent,
            cases: cases.clone(),
            jobs,
            out,
            limits,
            draft: selection.draft,
        },
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    )
    .await?;
    let catalogue: Vec<wsspec_cases::Case> = cases.iter().map(|c| (*c).clone()).collect();
    let rows = rows_for(&catalogue, &outcome.entries);
    println!("{}", summary_table(&rows));
    println!(
        "{} of {} cases in {:.2} s; reports in {}",
        outcome.entries.len(),
        cases.len(),
        outcome.elapsed.as_secs_f64(),
        out_path.display()
    );
    if outcome.interrupted {
        eprintln!("wsspec: interrupted; the report holds the cases that finished");
        return Ok(ExitCode::from(130));
    }
    if demo {
        let bad = outcome
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
    }
    Ok(ExitCode::SUCCESS)
}
