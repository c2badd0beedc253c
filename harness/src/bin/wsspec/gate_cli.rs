//! Applies the gate (expectations, `--fail-on`) to a finished run.
