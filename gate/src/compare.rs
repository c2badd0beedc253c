//! `wsspec compare DIR…`: one servers × cases matrix from several reports, with per-category
//! pass rates, the browser-profile compatibility row, and the cases the servers disagree on.
//!
//! A cell *passes* when both `behavior` and `behaviorClose` are OK or INFORMATIONAL; the
//! other cells are graded with [`Severity`] (see [`crate::diff`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use wsspec_cases::{id_key, Case, CloseVerdict, Verdict, CATEGORIES};
use wsspec_reports::html::TOOL;
use wsspec_reports::IndexEntry;

use crate::diff::Severity;
use crate::report::LoadedReport;

/// One server of the matrix: an agent of one report directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The agent name in its report.
    pub agent: String,
    /// What the matrix calls it: the agent, plus its directory when two reports hold
    /// agents of the same name.
    pub label: String,
    /// The report directory it came from.
    pub dir: PathBuf,
}

/// How a cell is shown: Autobahn's legend (Pass / Non-Strict / Fail / Info / Missing), plus
/// Unimplemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// OK in both verdicts.
    Pass,
    /// A pass with an INFORMATIONAL verdict: the spec leaves the behaviour open.
    Info,
    /// NON-STRICT, or FAILED BY CLIENT.
    NonStrict,
    /// UNIMPLEMENTED.
    Unimplemented,
    /// FAILED, WRONG CODE or UNCLEAN.
    Failed,
    /// The server has no result for the case.
    Missing,
}

impl Class {
    /// The class of a cell.
    pub fn of(entry: Option<&IndexEntry>) -> Self {
        let Some(e) = entry else {
            return Class::Missing;
        };
        match Severity::of_entry(e) {
            Severity::Pass
                if e.behavior == Verdict::Informational
                    || e.behavior_close == CloseVerdict::Informational =>
            {
                Class::Info
            }
            Severity::Pass => Class::Pass,
            Severity::NonStrict => Class::NonStrict,
            Severity::Unimplemented => Class::Unimplemented,
            Severity::Wrong | Severity::Failed => Class::Failed,
        }
    }

    /// Whether the class counts towards the pass rate.
    pub fn passes(self) -> bool {
        matches!(self, Class::Pass | Class::Info)
    }

    /// The legend's word for it.
    pub fn label(self) -> &'static str {
        match self {
            Class::Pass => "Pass",
            Class::Info => "Info",
            Class::NonStrict => "Non-Strict",
            Class::Unimplemented => "Unimplemented",
            Class::Failed => "Fail",
            Class::Missing => "Missing",
        }
    }
}

/// One case across the servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The case id.
    pub id: String,
    /// Its category number (the first part of the id when the catalogue does not know it).
    pub category: u32,
    /// One cell per column; `None` when that server has no result for the case.
    pub cells: Vec<Option<IndexEntry>>,
}

impl Row {
    /// Whether the servers that ran the case (at least two) gave different verdicts.
    /// Close codes alone do not count: 1000 and 1001 are both fine answers to most cases.
    pub fn disagrees(&self) -> bool {
        let mut present = self
            .cells
            .iter()
            .flatten()
            .map(|e| (e.behavior, e.behavior_close));
        match present.next() {
            Some(first) => present.any(|v| v != first),
            None => false,
        }
    }
}

/// How one server did in one category.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases of the category in the matrix (the pass rate's denominator).
    pub cases: usize,
    /// Cells that pass (Pass or Info).
    pub pass: usize,
    /// Non-Strict cells.
    pub non_strict: usize,
    /// Unimplemented cells.
    pub unimplemented: usize,
    /// Failed cells (FAILED, WRONG CODE, UNCLEAN).
    pub failed: usize,
    /// Cases this server has no result for.
    pub missing: usize,
}

impl Tally {
    fn add(&mut self, class: Class) {
        self.cases += 1;
        match class {
            Class::Pass | Class::Info => self.pass += 1,
            Class::NonStrict => self.non_strict += 1,
            Class::Unimplemented => self.unimplemented += 1,
            Class::Failed => self.failed += 1,
            Class::Missing => self.missing += 1,
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.cases += other.cases;
        self.pass += other.pass;
        self.non_strict += other.non_strict;
        self.unimplemented += other.unimplemented;
        self.failed += other.failed;
        self.missing += other.missing;
    }

    /// The pass rate in 0.0..=1.0 over the cases the server ran; `None` when it ran none.
    pub fn rate(&self) -> Option<f64> {
        let ran = self.cases - self.missing;
        (ran > 0).then(|| self.pass as f64 / ran as f64)
    }

    /// `14/16`, then the non-passing counts: `1ns 1u 1f 2m`.
    pub fn text(&self) -> String {
        let mut s = format!("{}/{}", self.pass, self.cases);
        for (n, tag) in [
            (self.non_strict, "ns"),
            (self.unimplemented, "u"),
            (self.failed, "f"),
            (self.missing, "m"),
        ] {
            if n > 0 {
                let _ = write!(s, " {n}{tag}");
            }
        }
        s
    }
}

/// Pass rates of one category, per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRow {
    /// Category number.
    pub number: u32,
    /// Category title.
    pub title: String,
    /// One tally per column.
    pub tallies: Vec<Tally>,
}

/// Whether each server talks to one browser generation (a category-18 profile case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserRow {
    /// The profile case's id.
    pub id: String,
    /// The browser generation, e.g. "Firefox 6".
    pub profile: String,
    /// One `behavior` per column; `None` when the server did not run the case.
    pub cells: Vec<Option<Verdict>>,
}

/// Whether a browser-profile verdict means the browser gets a working connection: the
/// exchange happened, possibly leniently or in a way the spec leaves open.
pub fn talks(v: Verdict) -> bool {
    matches!(v, Verdict::Ok | Verdict::NonStrict | Verdict::Informational)
}

/// The servers × cases matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// The servers, in the order of the reports given, agents sorted within a report.
    pub columns: Vec<Column>,
    /// Every case any report holds, in catalogue (numeric id) order.
    pub rows: Vec<Row>,
    /// Pass rates per category present, in category order.
    pub categories: Vec<CategoryRow>,
    /// The browser-profile compatibility rows, for the profile cases any report holds.
    pub browsers: Vec<BrowserRow>,
    /// Case descriptions by id, for the cases the catalogue knows.
    pub descriptions: BTreeMap<String, String>,
}

impl Matrix {
    /// The matrix of `reports` over wsspec's catalogue.
    pub fn build(reports: &[LoadedReport]) -> Matrix {
        Self::build_with(reports, wsspec_cases::catalogue())
    }

    /// The matrix of `reports`, with categories, profiles and descriptions from `catalogue`.
    pub fn build_with(reports: &[LoadedReport], catalogue: &[Case]) -> Matrix {
        let columns = columns(reports);
        let known: BTreeMap<&str, &Case> = catalogue.iter().map(|c| (c.id.as_str(), c)).collect();

        let mut ids: Vec<&String> = reports
            .iter()
            .flat_map(|r| r.index.values())
            .flat_map(|cases| cases.keys())
            .collect();
        ids.sort_by(|a, b| id_key(a).cmp(&id_key(b)).then_with(|| a.cmp(b)));
        ids.dedup();

        let entries: Vec<&BTreeMap<String, IndexEntry>> =
            reports.iter().flat_map(|r| r.index.values()).collect();
        let rows: Vec<Row> = ids
            .iter()
            .map(|id| Row {
                id: (*id).clone(),
                category: known
                    .get(id.as_str())
                    .map(|c| c.category.number)
                    .unwrap_or_else(|| first_part(id)),
                cells: entries
                    .iter()
                    .map(|cases| cases.get(*id).cloned())
                    .collect(),
            })
            .collect();

        let mut by_category: BTreeMap<u32, Vec<Tally>> = BTreeMap::new();
        for row in &rows {
            let tallies = by_category
                .entry(row.category)
                .or_insert_with(|| vec![Tally::default(); columns.len()]);
            for (tally, cell) in tallies.iter_mut().zip(&row.cells) {
                tally.add(Class::of(cell.as_ref()));
            }
        }
        let categories = by_category
            .into_iter()
            .map(|(number, tallies)| CategoryRow {
                number,
                title: category_title(number, catalogue),
                tallies,
            })
            .collect();

        let browsers = rows
            .iter()
            .filter_map(|row| {
                let profile = known.get(row.id.as_str())?.profile?;
                Some(BrowserRow {
                    id: row.id.clone(),
                    profile: profile.to_string(),
                    cells: row
                        .cells
                        .iter()
                        .map(|c| c.as_ref().map(|e| e.behavior))
                        .collect(),
                })
            })
            .collect();

        let descriptions = rows
            .iter()
            .filter_map(|r| {
                known
                    .get(r.id.as_str())
                    .map(|c| (r.id.clone(), c.description.clone()))
            })
            .collect();

        Matrix {
            columns,
            rows,
            categories,
            browsers,
            descriptions,
        }
    }

    /// The whole-matrix tally of each column.
    pub fn totals(&self) -> Vec<Tally> {
        let mut totals = vec![Tally::default(); self.columns.len()];
        for cat in &self.categories {
            for (t, c) in totals.iter_mut().zip(&cat.tallies) {
                t.merge(c);
            }
        }
        totals
    }

    /// The rows the servers disagree on (see [`Row::disagrees`]).
    pub fn disagreements(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.disagrees())
    }

    /// The terminal rendering: the servers, a category × server table of pass rates, the
    /// browser-profile row, then at most `max_disagreements` cases the servers disagree on.
    pub fn render_text(&self, max_disagreements: usize) -> String {
        let mut out = String::new();
        let labels: Vec<String> = self.columns.iter().map(|c| term(&c.label)).collect();

        out.push_str("Servers:\n");
        let wide = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        for (c, label) in self.columns.iter().zip(&labels) {
            let pad = wide - label.chars().count();
            let _ = writeln!(
                out,
                "  {label}{}  {}",
                " ".repeat(pad),
                term(&c.dir.display().to_string())
            );
        }

        out.push('\n');
        let totals = self.totals();
        let mut table: Vec<Vec<String>> = Vec::new();
        let mut head = vec!["Category".to_string()];
        head.extend(labels.iter().cloned());
        table.push(head);
        for cat in &self.categories {
            let mut line = vec![format!("{:>2}  {}", cat.number, cat.title)];
            line.extend(cat.tallies.iter().map(Tally::text));
            table.push(line);
        }
        let mut all = vec!["    All".to_string()];
        all.extend(totals.iter().map(Tally::text));
        table.push(all);
        push_table(&mut out, &table);
        out.push_str(
            "Passed/cases: OK or INFORMATIONAL in both behavior and behaviorClose.\n\
             ns = NON-STRICT or FAILED BY CLIENT, u = UNIMPLEMENTED, \
             f = FAILED, WRONG CODE or UNCLEAN, m = missing.\n",
        );

        if !self.browsers.is_empty() {
            out.push('\n');
            let mut table = Vec::new();
            let mut head = vec!["Browser profile".to_string()];
            head.extend(labels.iter().cloned());
            table.push(head);
            let id_width = self.browsers.iter().map(|b| b.id.len()).max().unwrap_or(0);
            for b in &self.browsers {
                let mut line = vec![format!("{:<id_width$}  {}", term(&b.id), b.profile)];
                line.extend(b.cells.iter().map(|v| match v {
                    Some(v) if talks(*v) => "talks".to_string(),
                    Some(v) => v.as_str().to_string(),
                    None => "-".to_string(),
                }));
                table.push(line);
            }
            push_table(&mut out, &table);
        }

        let disagreeing: Vec<&Row> = self.disagreements().collect();
        out.push('\n');
        if disagreeing.is_empty() {
            out.push_str("The servers agree on every case they all ran.\n");
            return out;
        }
        let _ = writeln!(
            out,
            "Cases where the servers disagree ({}):",
            disagreeing.len()
        );
        let mut table = Vec::new();
        let mut head = vec!["Case".to_string()];
        head.extend(labels.iter().cloned());
        table.push(head);
        for row in disagreeing.iter().take(max_disagreements) {
            let mut line = vec![term(&row.id)];
            line.extend(row.cells.iter().map(|c| cell_text(c.as_ref())));
            table.push(line);
        }
        push_table(&mut out, &table);
        if disagreeing.len() > max_disagreements {
            let _ = writeln!(out, "… and {} more", disagreeing.len() - max_disagreements);
        }
        out
    }

    /// The matrix as JSON shaped like quic-interop-runner's result export (`servers`,
    /// `tests {id: {name, desc}}`, `results[server][{abbr, result}]` with `succeeded`,
    /// `failed` or `unsupported`), plus Autobahn's verdicts per result and the category
    /// tallies. Missing results are left out.
    pub fn to_json(&self) -> Value {
        let servers: Vec<&str> = self.columns.iter().map(|c| c.label.as_str()).collect();
        let mut tests = Map::new();
        for row in &self.rows {
            tests.insert(
                row.id.clone(),
                json!({
                    "name": row.id,
                    "desc": self.descriptions.get(&row.id).map_or("", String::as_str),
                }),
            );
        }
        let results: Vec<Value> = (0..self.columns.len())
            .map(|col| {
                let cells: Vec<Value> = self
                    .rows
                    .iter()
                    .filter_map(|row| {
                        let e = row.cells.get(col)?.as_ref()?;
                        let result = match Class::of(Some(e)) {
                            Class::Pass | Class::Info => "succeeded",
                            Class::Unimplemented => "unsupported",
                            _ => "failed",
                        };
                        Some(json!({
                            "abbr": row.id,
                            "result": result,
                            "behavior": e.behavior.as_str(),
                            "behaviorClose": e.behavior_close.as_str(),
                            "remoteCloseCode": e.remote_close_code,
                        }))
                    })
                    .collect();
                Value::Array(cells)
            })
            .collect();
        let categories: Vec<Value> = self
            .categories
            .iter()
            .map(|cat| {
                json!({
                    "number": cat.number,
                    "title": cat.title,
                    "tallies": cat.tallies.iter().map(tally_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "tool": TOOL,
            "servers": servers,
            "agents": self.columns.iter().map(|c| json!({
                "label": c.label,
                "agent": c.agent,
                "dir": c.dir.display().to_string(),
            })).collect::<Vec<_>>(),
            "tests": tests,
            "results": results,
            "categories": categories,
        })
    }
}

fn tally_json(t: &Tally) -> Value {
    json!({
        "cases": t.cases,
        "pass": t.pass,
        "nonStrict": t.non_strict,
        "unimplemented": t.unimplemented,
        "failed": t.failed,
        "missing": t.missing,
    })
}

/// One column per agent of every report; an agent name that occurs in more than one report
/// gets its directory added, so every label is unique.
fn columns(reports: &[LoadedReport]) -> Vec<Column> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for r in reports {
        for agent in r.index.keys() {
            *seen.entry(agent).or_default() += 1;
        }
    }
    let mut columns: Vec<Column> = Vec::new();
    for r in reports {
        for agent in r.index.keys() {
            let label = if seen.get(agent.as_str()).copied().unwrap_or(0) > 1 {
                let dir = r
                    .dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| r.dir.display().to_string());
                format!("{agent} [{dir}]")
            } else {
                agent.clone()
            };
            columns.push(Column {
                agent: agent.clone(),
                label,
                dir: r.dir.clone(),
            });
        }
    }
    // Two directories with the same last component (or one directory given twice): fall back
    // to the full path, then to a number.
    for i in 0..columns.len() {
        if columns[..i].iter().any(|c| c.label == columns[i].label) {
            let c = &columns[i];
            columns[i].label = format!("{} [{}]", c.agent, c.dir.display());
        }
        let mut n = 2;
        let base = columns[i].label.clone();
        while columns[..i].iter().any(|c| c.label == columns[i].label) {
            columns[i].label = format!("{base} #{n}");
            n += 1;
        }
    }
    columns
}

fn first_part(id: &str) -> u32 {
    id.split('.')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(u32::MAX)
}

fn category_title(number: u32, catalogue: &[Case]) -> String {
    catalogue
        .iter()
        .find(|c| c.category.number == number)
        .map(|c| c.category.title)
        .or_else(|| {
            CATEGORIES
                .iter()
                .find(|c| c.number == number)
                .map(|c| c.title)
        })
        .unwrap_or("Other")
        .to_string()
}

/// `OK 1000`, `FAILED/UNCLEAN`, `OK/WRONG CODE 1002`, `-` for missing: a disagreement
/// cell, the close verdict shown unless it is OK or repeats the behaviour.
fn cell_text(entry: Option<&IndexEntry>) -> String {
    let Some(e) = entry else {
        return "-".into();
    };
    let mut s = e.behavior.as_str().to_string();
    if e.behavior_close != CloseVerdict::Ok && e.behavior_close.as_str() != e.behavior.as_str() {
        let _ = write!(s, "/{}", e.behavior_close.as_str());
    }
    if let Some(code) = e.remote_close_code {
        let _ = write!(s, " {code}");
    }
    s
}

/// Report strings may hold anything; keep control characters away from the terminal.
fn term(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Left-aligned columns separated by two spaces, the first row underlined.
fn push_table(out: &mut String, table: &[Vec<String>]) {
    let width = table.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..width)
        .map(|i| {
            table
                .iter()
                .filter_map(|r| r.get(i))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (n, row) in table.iter().enumerate() {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let pad = widths[i].saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat(' ').take(pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if n == 0 {
            let total = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
            out.extend(std::iter::repeat('-').take(total));
            out.push('\n');
        }
    }
}

/// Where `to` is seen from the directory `from`, as a relative path (both made absolute
/// against the current directory first; symlinks are not resolved).
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from), abs(to));
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..from.len() {
        rel.push("..");
    }
    for c in &to[common..] {
        rel.push(c);
    }
    rel
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use wsspec_cases::Category;

    use crate::test_support::{e, ok, report};

    pub(crate) fn case(id: &str, number: u32, title: &'static str) -> Case {
        Case::new(
            id,
            Category { number, title },
            &format!("Send <case {id}>."),
            "Echo.",
        )
    }

    /// A small catalogue: two framing cases, one close case, two browser profiles.
    pub(crate) fn catalogue() -> Vec<Case> {
        let mut chrome = case("18.1", 18, "Browser Profiles");
        chrome.profile = Some("Chrome 4–5");
        let mut firefox = case("18.2", 18, "Browser Profiles");
        firefox.profile = Some("Firefox <6>");
        vec![
            case("1.1.1", 1, "Framing"),
            case("1.1.2", 1, "Framing"),
            case("7.1.1", 7, "Close Handling"),
            chrome,
            firefox,
        ]
    }

    /// Three servers in two directories, covering every class.
    pub(crate) fn reports() -> Vec<LoadedReport> {
        vec![
            report(
                "/r/a",
                &[
                    (
                        "node-ws",
                        &[
                            ("1.1.1", ok()),
                            ("1.1.2", ok()),
                            ("7.1.1", ok()),
                            (
                                "18.1",
                                e(Verdict::Unimplemented, CloseVerdict::Unimplemented, None),
                            ),
                            ("18.2", ok()),
                        ],
                    ),
                    (
                        "py-websockets",
                        &[
                            ("1.1.1", ok()),
                            ("1.1.2", e(Verdict::NonStrict, CloseVerdict::Ok, Some(1000))),
                            ("7.1.1", e(Verdict::Ok, CloseVerdict::WrongCode, Some(1002))),
                            (
                                "18.2",
                                e(Verdict::Informational, CloseVerdict::Ok, Some(1000)),
                            ),
                        ],
                    ),
                ],
            ),
            report(
                "/r/b",
                &[(
                    "faye",
                    &[
                        ("1.1.1", ok()),
                        ("1.1.2", e(Verdict::Failed, CloseVerdict::Unclean, None)),
                        ("7.1.1", ok()),
                        ("18.1", ok()),
                        ("18.2", ok()),
                        ("99.1", ok()),
                    ],
                )],
            ),
        ]
    }

    #[test]
    fn classes() {
        assert_eq!(Class::of(None), Class::Missing);
        assert_eq!(Class::of(Some(&ok())), Class::Pass);
        let info = e(Verdict::Informational, CloseVerdict::Ok, None);
        assert_eq!(Class::of(Some(&info)), Class::Info);
        let close_info = e(Verdict::Ok, CloseVerdict::Informational, None);
        assert_eq!(Class::of(Some(&close_info)), Class::Info);
        let drop = e(Verdict::Ok, CloseVerdict::FailedByClient, None);
        assert_eq!(Class::of(Some(&drop)), Class::NonStrict);
        let wrong = e(Verdict::Ok, CloseVerdict::WrongCode, Some(1002));
        assert_eq!(Class::of(Some(&wrong)), Class::Failed);
        let unimpl = e(Verdict::Unimplemented, CloseVerdict::Unimplemented, None);
        assert_eq!(Class::of(Some(&unimpl)), Class::Unimplemented);
        assert!(Class::Info.passes() && !Class::NonStrict.passes());
    }

    #[test]
    fn builds_rows_categories_and_browsers() {
        let m = Matrix::build_with(&reports(), &catalogue());
        let labels: Vec<&str> = m.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["node-ws", "py-websockets", "faye"]);
        let ids: Vec<&str> = m.rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["1.1.1", "1.1.2", "7.1.1", "18.1", "18.2", "99.1"]);

        let framing = &m.categories[0];
        assert_eq!((framing.number, framing.title.as_str()), (1, "Framing"));
        assert_eq!(framing.tallies[0].text(), "2/2");
        assert_eq!(framing.tallies[1].text(), "1/2 1ns");
        assert_eq!(framing.tallies[2].text(), "1/2 1f");
        let other = m.categories.last().unwrap();
        assert_eq!((other.number, other.title.as_str()), (99, "Other"));
        assert_eq!(other.tallies[0].text(), "0/1 1m");
        assert_eq!(other.tallies[0].rate(), None);
        assert_eq!(m.totals()[1].text(), "2/6 1ns 1f 2m");

        assert_eq!(m.browsers.len(), 2);
        assert_eq!(m.browsers[0].profile, "Chrome 4–5");
        assert_eq!(
            m.browsers[0].cells,
            vec![Some(Verdict::Unimplemented), None, Some(Verdict::Ok)]
        );

        let disagreeing: Vec<&str> = m.disagreements().map(|r| r.id.as_str()).collect();
        // 18.2: OK/OK vs INFORMATIONAL/OK; 99.1 ran on one server only.
        assert_eq!(disagreeing, ["1.1.2", "7.1.1", "18.1", "18.2"]);
    }

    #[test]
    fn same_agent_in_two_dirs_is_told_apart() {
        let m = Matrix::build_with(
            &[
                report("/x/before", &[("ws", &[("1.1.1", ok())])]),
                report("/y/after", &[("ws", &[("1.1.1", ok())])]),
                report("/z/after", &[("ws", &[("1.1.1", ok())])]),
                report("/z/after", &[("ws", &[("1.1.1", ok())])]),
            ],
            &catalogue(),
        );
        let labels: Vec<&str> = m.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "ws [before]",
                "ws [after]",
                "ws [/z/after]",
                "ws [/z/after] #2"
            ]
        );
    }

    #[test]
    fn terminal_rendering() {
        let m = Matrix::build_with(&reports(), &catalogue());
        insta::assert_snapshot!(m.render_text(3));
    }

    #[test]
    fn agreement_is_said() {
        let r = report(
            "/r",
            &[("a", &[("1.1.1", ok())]), ("b", &[("1.1.1", ok())])],
        );
        let text = Matrix::build_with(&[r], &catalogue()).render_text(10);
        assert!(text.contains("The servers agree on every case they all ran."));
    }

    #[test]
    fn control_characters_stay_out_of_the_terminal() {
        let r = report("/r", &[("evil\x1b[31m\n", &[("1.1.1", ok())])]);
        let text = Matrix::build_with(&[r], &catalogue()).render_text(10);
        assert!(!text.contains('\x1b'));
        assert!(text.contains("evil?[31m?"));
    }

    #[test]
    fn cell_texts() {
        assert_eq!(cell_text(None), "-");
        assert_eq!(cell_text(Some(&ok())), "OK 1000");
        assert_eq!(
            cell_text(Some(&e(Verdict::Failed, CloseVerdict::Unclean, None))),
            "FAILED/UNCLEAN"
        );
        assert_eq!(
            cell_text(Some(&e(
                Verdict::Unimplemented,
                CloseVerdict::Unimplemented,
                None
            ))),
            "UNIMPLEMENTED"
        );
        assert_eq!(
            cell_text(Some(&e(Verdict::Ok, CloseVerdict::Informational, None))),
            "OK/INFORMATIONAL"
        );
        assert_eq!(
            cell_text(Some(&e(Verdict::Ok, CloseVerdict::WrongCode, Some(1002)))),
            "OK/WRONG CODE 1002"
        );
    }

    #[test]
    fn json_export_is_shaped_like_quic_interop_runner() {
        let m = Matrix::build_with(&reports(), &catalogue());
        let j = m.to_json();
        assert_eq!(j["servers"], json!(["node-ws", "py-websockets", "faye"]));
        assert_eq!(j["tests"]["1.1.1"]["name"], "1.1.1");
        assert_eq!(j["tests"]["1.1.1"]["desc"], "Send <case 1.1.1>.");
        assert_eq!(j["tests"]["99.1"]["desc"], "");
        let ws = j["results"][0].as_array().unwrap();
        assert_eq!(ws.len(), 5);
        assert_eq!(ws[0]["abbr"], "1.1.1");
        assert_eq!(ws[0]["result"], "succeeded");
        assert_eq!(ws[3]["result"], "unsupported");
        let py = j["results"][1].as_array().unwrap();
        assert_eq!(py[2]["result"], "failed");
        assert_eq!(py[2]["behaviorClose"], "WRONG CODE");
        assert_eq!(j["categories"][0]["tallies"][1]["nonStrict"], 1);
    }

    #[test]
    fn relative_paths() {
        let rel = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b));
        assert_eq!(rel("/r/out", "/r/ws"), PathBuf::from("../ws"));
        assert_eq!(rel("/r", "/r/ws"), PathBuf::from("ws"));
        assert_eq!(rel("/r/ws", "/r/ws"), PathBuf::from(""));
        assert_eq!(rel("/a/b/c", "/d"), PathBuf::from("../../../d"));
    }
}
