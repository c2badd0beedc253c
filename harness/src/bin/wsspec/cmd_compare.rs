//! `wsspec diff` and `wsspec compare`: reports side by side.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::Context;
use wsspec_gate::compare::Matrix;
use wsspec_gate::compare_html::render_compare;
use wsspec_gate::diff::diff_reports;
use wsspec_gate::LoadedReport;
use wsspec_reports::clock::iso_utc;
use wsspec_reports::files::atomic_write;

/// `wsspec diff OLD_DIR NEW_DIR`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The earlier report directory.
    pub old: PathBuf,
    /// The later report directory.
    pub new: PathBuf,
}

/// `wsspec compare DIR [DIR…]`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Report directories (each may hold several agents).
    pub dirs: Vec<PathBuf>,
    /// A fuzzingclient or fuzzingserver spec file: its `outdir` (every server the spec
    /// tested) is compared too.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Where to write the HTML matrix.
    #[arg(long, default_value = "./compare.html")]
    pub out: PathBuf,
    /// Also write the matrix as JSON (quic-interop-runner's result shape) to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// How many disagreeing cases the terminal lists before "… and N more".
    #[arg(long, default_value_t = 40)]
    pub max_disagreements: usize,
}

/// A report directory, with a one-line error when it is not one.
fn load(dir: &Path) -> anyhow::Result<LoadedReport> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a directory", dir.display());
    }
    Ok(LoadedReport::load(dir)?)
}

/// Write `path` whole or not at all (a temporary file renamed over it).
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // The report error names the temporary file and its cause already: one line, no chain.
    atomic_write(dir, name, bytes)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

/// Print regressions and improvements; exit 1 on a regression.
pub fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = load(&args.old)?;
    let new = load(&args.new)?;
    let diff = diff_reports(&old, &new)?;
    say!("{}", diff.render_text().trim_end_matches('\n'));
    Ok(if diff.has_regressions() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Print the servers × cases matrix and write compare.html.
pub fn compare(mut args: CompareArgs) -> anyhow::Result<ExitCode> {
    if let Some(spec) = &args.spec {
        let loaded = wsspec_gate::spec::load(spec)?;
        args.dirs.push(match loaded.spec {
            wsspec_gate::spec::Spec::Client(c) => c.outdir,
            wsspec_gate::spec::Spec::Server(s) => s.outdir,
        });
    }
    if args.dirs.is_empty() {
        anyhow::bail!("no report directories given: wsspec compare DIR [DIR…] or --spec FILE");
    }
    let reports = args
        .dirs
        .iter()
        .map(|d| load(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if reports.iter().all(|r| r.index.is_empty()) {
        anyhow::bail!("the reports hold no agents");
    }
    let matrix = Matrix::build(&reports);
    say!(
        "{}",
        matrix
            .render_text(args.max_disagreements)
            .trim_end_matches('\n')
    );

    let html = render_compare(&matrix, &args.out, &iso_utc(SystemTime::now()));
    write_file(&args.out, html.as_bytes())?;
    say!("\nWrote {}", args.out.display());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&matrix.to_json())?;
        write_file(path, json.as_bytes())?;
        say!("Wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
