//! `wsspec run --spec FILE`: Autobahn fuzzingclient/fuzzingserver spec files, unchanged.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use wsspec::engine::{Limits, Target};
use wsspec_gate::spec::{self, Spec};
use wsspec_reports::ReportDir;

use crate::client_cmd::{self, TargetRun};
use crate::gate_cli::GateArgs;

/// `wsspec run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// An Autobahn spec file: fuzzingclient.json (test the servers it lists) or
    /// fuzzingserver.json (serve the cases to clients).
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// Cases run at once per server (default: number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Poll each server's port until it accepts, for at most this long (e.g. 30s).
    #[arg(long, value_parser = wsspec::readiness::parse_duration)]
    pub wait: Option<Duration>,
    /// Also run wsspec's own categories (14 and up). Without it a spec file selects from
    /// Autobahn's categories 1-13 only, so a spec written for Autobahn runs the same cases.
    #[arg(long)]
    pub extended: bool,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub tls: crate::tls_args::ClientTlsArgs,
}

/// The last category of Autobahn's own catalogue; wsspec's categories follow it.
const LAST_AUTOBAHN_CATEGORY: u32 = 13;

/// Run a spec file; the exit code is the gate's.
pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let loaded = spec::load(&args.spec)?;
    for warning in &loaded.warnings {
        eprintln!("wsspec: warning: {}: {warning}", args.spec.display());
    }
    let gate = args.gate.prepare()?;
    match loaded.spec {
        Spec::Client(spec) => {
            // Every URL, TLS setting and case selection is checked before the first case
            // runs, so a bad second server is a setup error, not a half-done run.
            let mut plans = Vec::new();
            for server in &spec.servers {
                let target = Target::parse(&server.url)?;
                let tls = args.tls.client_tls(&target)?;
                let mut cases = client_cmd::select_cases(
                    &spec.selection.cases,
                    &spec.selection.exclude,
                    server.draft,
                )?;
                if !args.extended {
                    cases.retain(|c| c.category.number <= LAST_AUTOBAHN_CATEGORY);
                    if cases.is_empty() {
                        anyhow::bail!(
                            "no case of Autobahn's categories 1-13 matched the spec's cases \
                             (add --extended to run wsspec's own categories 14 and up)"
                        );
                    }
                }
                plans.push((server, target, tls, cases));
            }
            let mut runs = Vec::new();
            for (server, target, tls, cases) in plans {
                let out = ReportDir::create(&spec.outdir)?;
                let skip = |agent: &str, id: &str| spec.selection.excluded_for(agent, id);
                let finished = client_cmd::run_target(
                    out,
                    TargetRun {
                        target,
                        agent: server.agent.clone(),
                        cases,
                        jobs: client_cmd::jobs(args.jobs),
                        limits: limits_for(server),
                        draft: server.draft,
                        wait: args.wait,
                        skip_for_agent: &skip,
                        tls,
                    },
                )
                .await?;
                let interrupted = finished.interrupted;
                runs.push((finished.agent, finished.entries));
                if interrupted {
                    eprintln!("wsspec: interrupted; the report holds the cases that finished");
                    return Ok(ExitCode::from(130));
                }
            }
            gate.judge(&spec.outdir, &runs)
        }
        Spec::Server(spec) => {
            let target = Target::parse(&spec.url)?;
            let tls = match (target.tls, &spec.cert, &spec.key) {
                (true, Some(cert), Some(key)) => crate::tls_args::ServerTlsArgs {
                    tls_cert: Some(cert.clone()),
                    tls_key: Some(key.clone()),
                    tls_self_signed: false,
                },
                (true, _, _) => anyhow::bail!(
                    "{}: a wss:// url needs \"cert\" and \"key\" (PEM files)",
                    args.spec.display()
                ),
                (false, cert, _) => {
                    if cert.is_some() {
                        eprintln!(
                            "wsspec: warning: {}: \"cert\" and \"key\" are ignored for a ws:// url",
                            args.spec.display()
                        );
                    }
                    crate::tls_args::ServerTlsArgs::default()
                }
            };
            crate::serve_clients(crate::ServeArgs {
                listen: target.connect_addr(),
                cases: spec.selection.cases.clone(),
                exclude: spec.selection.exclude.clone(),
                out: spec.outdir.clone(),
                gate: Some(gate),
                tls,
                last_category: (!args.extended).then_some(LAST_AUTOBAHN_CATEGORY),
                skip_for_agent: if spec.selection.exclude_for_agent.is_empty() {
                    None
                } else {
                    let selection = spec.selection.clone();
                    Some(std::sync::Arc::new(move |agent: &str, id: &str| {
                        selection.excluded_for(agent, id)
                    }))
                },
            })
            .await
        }
    }
}

/// Autobahn's per-server timeouts, over wsspec's defaults.
fn limits_for(server: &spec::ServerUnderTest) -> Limits {
    let mut limits = Limits::default();
    if let Some(t) = server.open_handshake_timeout {
        limits.open_handshake = t;
    }
    if let Some(t) = server.close_handshake_timeout {
        limits.close_handshake = t;
    }
    if let Some(t) = server.server_drop_timeout {
        limits.server_drop = t;
    }
    if let Some(m) = server.max_message {
        limits.max_message = m;
    }
    limits
}
