//! Verdict counts per category, as a plain-text table (terminal) or Markdown (CI summaries).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use wsspec_cases::{Case, CloseVerdict, Verdict};

use crate::result::IndexEntry;

/// Behaviour columns, in display order.
const BEHAVIOR_COLUMNS: [(Verdict, &str); 5] = [
    (Verdict::Ok, "OK"),
    (Verdict::NonStrict, "NON-STRICT"),
    (Verdict::Informational, "INFORMATIONAL"),
    (Verdict::Unimplemented, "UNIMPLEMENTED"),
    (Verdict::Failed, "FAILED"),
];

/// Close columns, in display order; the last column gathers the verdicts that are not
/// judged (INFORMATIONAL, UNIMPLEMENTED) so each row adds up to its case count.
const CLOSE_COLUMNS: [&str; 6] = [
    "OK",
    "WRONG CODE",
    "UNCLEAN",
    "FAILED BY CLIENT",
    "FAILED",
    "NOT JUDGED",
];

fn close_column(v: CloseVerdict) -> usize {
    match v {
        CloseVerdict::Ok => 0,
        CloseVerdict::WrongCode => 1,
        CloseVerdict::Unclean => 2,
        CloseVerdict::FailedByClient => 3,
        CloseVerdict::Failed => 4,
        CloseVerdict::Informational | CloseVerdict::Unimplemented => 5,
    }
}

#[derive(Default, Clone)]
struct Counts {
    cases: u64,
    behavior: [u64; 5],
    close: [u64; 6],
}

impl Counts {
    fn add(&mut self, e: &IndexEntry) {
        self.cases += 1;
        if let Some(i) = BEHAVIOR_COLUMNS.iter().position(|(v, _)| *v == e.behavior) {
            self.behavior[i] += 1;
        }
        self.close[close_column(e.behavior_close)] += 1;
    }

    fn cells(&self) -> Vec<String> {
        let mut v = vec![self.cases.to_string()];
        v.extend(self.behavior.iter().map(u64::to_string));
        v.extend(self.close.iter().map(u64::to_string));
        v
    }
}

/// Rows of (label, counts): one per category in number order, then the total.
fn tally(rows: &[(&Case, &IndexEntry)]) -> Vec<(String, Counts)> {
    let mut by_category: BTreeMap<u32, (String, Counts)> = BTreeMap::new();
    let mut total = Counts::default();
    for (case, entry) in rows {
        let (_, counts) = by_category.entry(case.category.number).or_insert_with(|| {
            (
                format!("{} {}", case.category.number, case.category.title),
                Counts::default(),
            )
        });
        counts.add(entry);
        total.add(entry);
    }
    let mut out: Vec<(String, Counts)> = by_category.into_values().collect();
    out.push(("Total".to_string(), total));
    out
}

/// Pair each catalogue case with its entry in `entries` (cases without a result are skipped).
pub fn rows_for<'a>(
    cases: &'a [Case],
    entries: &'a BTreeMap<String, IndexEntry>,
) -> Vec<(&'a Case, &'a IndexEntry)> {
    cases
        .iter()
        .filter_map(|c| entries.get(&c.id).map(|e| (c, e)))
        .collect()
}

/// A plain-text table of verdict counts per category, with a total row.
pub fn summary_table(rows: &[(&Case, &IndexEntry)]) -> String {
    let tally = tally(rows);
    let mut headers = vec!["Cases"];
    headers.extend(BEHAVIOR_COLUMNS.iter().map(|(_, h)| *h));
    headers.extend(CLOSE_COLUMNS);
    let label_width = tally
        .iter()
        .map(|(l, _)| l.chars().count())
        .chain(std::iter::once("Category".len()))
        .max()
        .unwrap_or(8);
    let widths: Vec<usize> = headers.iter().map(|h| h.len().max(5)).collect();
    // Group separators: after the label+Cases block and after the behaviour block.
    let sep_after = |i: usize| i == 0 || i == BEHAVIOR_COLUMNS.len();
    let line = |label: &str, cells: &[String]| {
        let mut s = format!("{label:<label_width$}");
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let _ = write!(s, "  {cell:>w$}");
            if sep_after(i) && i + 1 < cells.len() {
                s.push_str("  |");
            }
        }
        s.trim_end().to_string()
    };

    let header_cells: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let header = line("Category", &header_cells);
    // Group titles sit over their blocks, left-aligned at the block's first column.
    let behavior_at = header.find("|").map_or(0, |p| p + 1);
    let close_at = header[behavior_at..]
        .find('|')
        .map_or(behavior_at, |p| behavior_at + p + 1);
    let mut groups = " ".repeat(behavior_at + 2);
    groups.push_str("behavior");
    let pad = (close_at + 2).saturating_sub(groups.len());
    groups.push_str(&" ".repeat(pad));
    groups.push_str("behaviorClose");

    let mut out = String::new();
    out.push_str(&groups);
    out.push('\n');
    out.push_str(&header);
    out.push('\n');
    let rule = "-".repeat(header.len());
    out.push_str(&rule);
    out.push('\n');
    let last = tally.len().saturating_sub(1);
    for (i, (label, counts)) in tally.iter().enumerate() {
        if i == last {
            out.push_str(&rule);
            out.push('\n');
        }
        out.push_str(&line(label, &counts.cells()));
        out.push('\n');
    }
    out
}

/// The same counts as [`summary_table`], as a Markdown table (e.g. for CI step summaries).
pub fn markdown_summary(rows: &[(&Case, &IndexEntry)]) -> String {
    let tally = tally(rows);
    let mut out = String::from("| Category | Cases |");
    for (_, h) in BEHAVIOR_COLUMNS {
        let _ = write!(out, " {h} |");
    }
    for h in CLOSE_COLUMNS {
        let _ = write!(out, " Close: {h} |");
    }
    out.push_str("\n|:---|---:|");
    for _ in 0..BEHAVIOR_COLUMNS.len() + CLOSE_COLUMNS.len() {
        out.push_str("---:|");
    }
    out.push('\n');
    let last = tally.len().saturating_sub(1);
    for (i, (label, counts)) in tally.iter().enumerate() {
        let label = md_escape(label);
        let cells = counts.cells();
        if i == last {
            let _ = write!(out, "| **{label}** |");
            for c in cells {
                let _ = write!(out, " **{c}** |");
            }
        } else {
            let _ = write!(out, "| {label} |");
            for c in cells {
                let _ = write!(out, " {c} |");
            }
        }
        out.push('\n');
    }
    out
}

/// Characters that would end a cell or start markup in a Markdown table.
fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsspec_cases::Category;

    fn case(id: &str, number: u32, title: &'static str) -> Case {
        Case::new(id, Category { number, title }, "", "")
    }

    fn entry(behavior: Verdict, behavior_close: CloseVerdict) -> IndexEntry {
        IndexEntry {
            behavior,
            behavior_close,
            duration: 1,
            remote_close_code: None,
            reportfile: String::new(),
        }
    }

    fn fixture() -> (Vec<Case>, Vec<IndexEntry>) {
        let cases = vec![
            case("1.1.1", 1, "Framing"),
            case("1.1.2", 1, "Framing"),
            case("2.1", 2, "Pings/Pongs"),
            case("7.13.1", 7, "Close Handling"),
            case("7.9.1", 7, "Close Handling"),
            case("10.1.1", 10, "Misc"),
            case("12.1.1", 12, "WebSocket Compression (different payloads)"),
        ];
        let entries = vec![
            entry(Verdict::Ok, CloseVerdict::Ok),
            entry(Verdict::NonStrict, CloseVerdict::FailedByClient),
            entry(Verdict::Failed, CloseVerdict::Unclean),
            entry(Verdict::Informational, CloseVerdict::Informational),
            entry(Verdict::Failed, CloseVerdict::WrongCode),
            entry(Verdict::Ok, CloseVerdict::Failed),
            entry(Verdict::Unimplemented, CloseVerdict::Unimplemented),
        ];
        (cases, entries)
    }

    #[test]
    fn totals_add_up() {
        let (cases, entries) = fixture();
        let rows: Vec<(&Case, &IndexEntry)> = cases.iter().zip(&entries).collect();
        let t = tally(&rows);
        assert_eq!(t.len(), 6);
        let (label, total) = &t[5];
        assert_eq!(label, "Total");
        assert_eq!(total.cases, 7);
        assert_eq!(total.behavior, [2, 1, 1, 1, 2]);
        assert_eq!(total.close, [1, 1, 1, 1, 1, 2]);
        // Numeric category order: 10 after 7.
        assert_eq!(t[3].0, "10 Misc");
    }

    #[test]
    fn rows_for_skips_missing() {
        let (cases, entries) = fixture();
        let map = BTreeMap::from([("2.1".to_string(), entries[2].clone())]);
        let rows = rows_for(&cases, &map);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0.id, "2.1");
    }

    #[test]
    fn snapshot_summary_table() {
        let (cases, entries) = fixture();
        let rows: Vec<(&Case, &IndexEntry)> = cases.iter().zip(&entries).collect();
        insta::assert_snapshot!(summary_table(&rows));
    }

    #[test]
    fn snapshot_markdown_summary() {
        let (cases, entries) = fixture();
        let rows: Vec<(&Case, &IndexEntry)> = cases.iter().zip(&entries).collect();
        insta::assert_snapshot!(markdown_summary(&rows));
    }

    #[test]
    fn empty_summary_has_only_total() {
        let text = summary_table(&[]);
        assert!(text.lines().last().unwrap().starts_with("Total"));
        assert!(markdown_summary(&[]).contains("| **Total** | **0** |"));
    }
}
