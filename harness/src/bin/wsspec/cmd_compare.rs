//! `wsspec diff` and `wsspec compare`: reports side by side.

use std::path::PathBuf;
use std::process::ExitCode;

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
}

/// Print regressions and improvements; exit 1 on a regression.
pub fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("diff {args:?} is not implemented yet")
}

/// Print the servers × cases matrix and write compare.html.
pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("compare {args:?} is not implemented yet")
}
