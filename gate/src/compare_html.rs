//! `compare.html`: the [`Matrix`] as one self-contained page (inline CSS, no script): the
//! servers, a category × server table of pass rates, the browser-profile row, and the full
//! case matrix in Autobahn's colours, each cell linking to that case's report page.
//!
//! Every string that came from a report (agent names, case ids, directories) is escaped.

use std::fmt::Write as _;
use std::path::{Component, Path};

use wsspec_reports::case_html_name;
use wsspec_reports::html::{
    escape, page_with_css, verdict_class, verdict_label, MISSING_CLASS, TOOL,
};

use crate::compare::{relative_path, talks, Class, Matrix, Tally};

/// Styles of this page only; the Autobahn colours come from the shared sheet.
const CSS: &str = "\
table.rates td.rate{color:#fff;text-align:center;min-width:7em}
table.rates td.rate small{display:block;font-size:.8em;opacity:.9}
#case_matrix thead th{position:sticky;top:0;background:#003;color:#fff;text-align:center}
#case_matrix td.cell{min-width:9em;white-space:nowrap}
#case_matrix td.cell small{margin-left:.5em;font-size:.8em;opacity:.9}
#case_matrix tr.differs td.case_id{border-left:4px solid #c60}
#only_diff:checked ~ #case_matrix tr.same{display:none}
label.filter{margin-left:.3em}
";

/// CSS class of a cell class: the shared sheet's Autobahn colours.
pub fn class_css(class: Class) -> &'static str {
    match class {
        Class::Pass => "case_ok",
        Class::Info => "case_info",
        Class::NonStrict => "case_non_strict",
        Class::Unimplemented => "case_unimplemented",
        Class::Failed => "case_failed",
        Class::Missing => MISSING_CLASS,
    }
}

/// Render `compare.html` for `matrix`, to be written at `out_file` (links to the reports
/// are relative to its directory); `generated` is the UTC time printed in the header.
pub fn render_compare(matrix: &Matrix, out_file: &Path, generated: &str) -> String {
    let out_dir = out_file.parent().unwrap_or(Path::new("."));
    // Where each column's report directory is, seen from compare.html, as a URL prefix.
    let bases: Vec<String> = matrix
        .columns
        .iter()
        .map(|c| url_dir(&relative_path(out_dir, &c.dir)))
        .collect();

    let mut body = String::with_capacity(32 * 1024 + matrix.rows.len() * 256);
    body.push_str("<h1 id=\"top\">WebSocket server comparison</h1>\n");
    let _ = writeln!(
        body,
        "<p>Generated {} UTC by {}: {} servers, {} cases.</p>",
        escape(generated),
        escape(TOOL),
        matrix.columns.len(),
        matrix.rows.len()
    );
    servers(&mut body, matrix, &bases);
    legend(&mut body);
    rates(&mut body, matrix);
    browsers(&mut body, matrix);
    cases(&mut body, matrix, &bases);
    page_with_css("wsspec server comparison", CSS, &body, None)
}

fn servers(out: &mut String, m: &Matrix, bases: &[String]) {
    out.push_str(
        "<h2>Servers</h2>\n<table class=\"servers\" id=\"servers\">\n\
<tr><th>Server</th><th>Agent</th><th>Report</th></tr>\n",
    );
    for (c, base) in m.columns.iter().zip(bases) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td><a href=\"{}index.html\">{}</a></td></tr>",
            escape(&c.label),
            escape(&c.agent),
            escape(base),
            escape(&c.dir.display().to_string())
        );
    }
    out.push_str("</table>\n");
}

fn legend(out: &mut String) {
    out.push_str("<h2>Legend</h2>\n<table class=\"legend\">\n");
    for (class, text) in [
        (
            Class::Pass,
            "OK in both the behaviour and the closing handshake.",
        ),
        (
            Class::NonStrict,
            "Conformant but lenient (NON-STRICT), or wsspec had to drop the TCP connection.",
        ),
        (
            Class::Failed,
            "A requirement was broken: FAILED, or a WRONG CODE or UNCLEAN close.",
        ),
        (
            Class::Info,
            "The protocol leaves this behaviour open: recorded, not judged; counts as a pass.",
        ),
        (
            Class::Unimplemented,
            "The server does not support the optional feature.",
        ),
        (
            Class::Missing,
            "The server's report has no result for the case.",
        ),
    ] {
        let _ = writeln!(
            out,
            "<tr><td class=\"{}\">{}</td><td>{text}</td></tr>",
            class_css(class),
            class.label()
        );
    }
    out.push_str("</table>\n");
}

fn header(out: &mut String, first: &str, m: &Matrix) {
    let _ = write!(out, "<tr><th>{first}</th>");
    for c in &m.columns {
        let _ = write!(out, "<th class=\"server\">{}</th>", escape(&c.label));
    }
    out.push_str("</tr>\n");
}

/// How green a pass-rate cell is, in 0.0..=1.0 over the cases the server ran: passes count
/// whole, NON-STRICT and UNIMPLEMENTED half (conformant, or a feature left out), failures
/// nothing. `None` when the server ran none of the category.
fn score(t: &Tally) -> Option<f64> {
    let ran = t.cases - t.missing;
    (ran > 0).then(|| (t.pass as f64 + 0.5 * (t.non_strict + t.unimplemented) as f64) / ran as f64)
}

/// A pass-rate cell, red to green by [`score`].
fn rate_cell(out: &mut String, t: &Tally) {
    let Some(rate) = score(t) else {
        let _ = write!(
            out,
            "<td class=\"rate {MISSING_CLASS}\">0/{}<small>not run</small></td>",
            t.cases
        );
        return;
    };
    let hue = (rate * 120.0).round();
    let mut details = Vec::new();
    for (n, what) in [
        (t.non_strict, "non-strict"),
        (t.unimplemented, "unimpl."),
        (t.failed, "failed"),
        (t.missing, "missing"),
    ] {
        if n > 0 {
            details.push(format!("{n} {what}"));
        }
    }
    let _ = write!(
        out,
        "<td class=\"rate\" style=\"background:hsl({hue},65%,34%)\">{}/{}",
        t.pass, t.cases
    );
    if !details.is_empty() {
        let _ = write!(out, "<small>{}</small>", details.join(", "));
    }
    out.push_str("</td>");
}

fn rates(out: &mut String, m: &Matrix) {
    out.push_str(
        "<h2>Pass rates</h2>\n<p>A pass is OK or INFORMATIONAL in both <code>behavior</code> \
and <code>behaviorClose</code>. The colour goes from green (every case run passes) to red \
(every case fails); non-strict and unimplemented cases count half.</p>\n<table class=\"rates\" id=\"pass_rates\">\n",
    );
    header(out, "Category", m);
    for cat in &m.categories {
        let _ = write!(
            out,
            "<tr><td><a href=\"#cat_{}\">{} {}</a></td>",
            cat.number,
            cat.number,
            escape(&cat.title)
        );
        for t in &cat.tallies {
            rate_cell(out, t);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("<tr class=\"total\"><td>All</td>");
    for t in m.totals() {
        rate_cell(out, &t);
    }
    out.push_str("</tr>\n</table>\n");
}

fn browsers(out: &mut String, m: &Matrix) {
    if m.browsers.is_empty() {
        return;
    }
    out.push_str(
        "<h2>Browser compatibility</h2>\n<p>Whether each server talks to the opening handshake \
of each browser generation (category 18).</p>\n\
<table class=\"browsers\" id=\"browser_compatibility\">\n",
    );
    header(out, "Browser generation", m);
    for b in &m.browsers {
        let _ = write!(
            out,
            "<tr><td>{} ({})</td>",
            escape(&b.profile),
            escape(&b.id)
        );
        for v in &b.cells {
            match v {
                Some(v) => {
                    let text = if talks(*v) {
                        "talks"
                    } else {
                        verdict_label(*v)
                    };
                    let _ = write!(out, "<td class=\"{}\">{text}</td>", verdict_class(*v));
                }
                None => {
                    let _ = write!(out, "<td class=\"{MISSING_CLASS}\">Missing</td>");
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn cases(out: &mut String, m: &Matrix, bases: &[String]) {
    let differing = m.disagreements().count();
    let _ = writeln!(
        out,
        "<h2>Cases</h2>\n<p>{} cases; the servers disagree on {differing} \
(marked at the left).</p>",
        m.rows.len()
    );
    // A checkbox and a sibling selector filter the rows without any script.
    out.push_str(
        "<input type=\"checkbox\" id=\"only_diff\"><label class=\"filter\" for=\"only_diff\">\
Show only the cases where the servers disagree</label>\n<table id=\"case_matrix\">\n<thead>",
    );
    header(out, "Case", m);
    out.push_str("</thead>\n<tbody>\n");
    let width = m.columns.len() + 1;
    let mut category = None;
    for row in &m.rows {
        if category != Some(row.category) {
            category = Some(row.category);
            let title = m
                .categories
                .iter()
                .find(|c| c.number == row.category)
                .map_or("", |c| c.title.as_str());
            let _ = writeln!(
                out,
                "<tr class=\"case_category_row\" id=\"cat_{}\"><td colspan=\"{width}\">{} {}</td></tr>",
                row.category,
                row.category,
                escape(title)
            );
        }
        let kind = if row.disagrees() { "differs" } else { "same" };
        let title = m
            .descriptions
            .get(&row.id)
            .map(|d| format!(" title=\"{}\"", escape(d)))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr class=\"{kind}\"><td class=\"case_id\"{title}>{}</td>",
            escape(&row.id)
        );
        for ((cell, column), base) in row.cells.iter().zip(&m.columns).zip(bases) {
            let class = Class::of(cell.as_ref());
            let Some(e) = cell else {
                let _ = write!(out, "<td class=\"cell {}\">Missing</td>", class_css(class));
                continue;
            };
            let label = class.label();
            // An id unfit for a file name has no page to link to.
            let text = match case_html_name(&column.agent, &row.id) {
                Ok(name) => format!(
                    "<a href=\"{}\">{label}</a>",
                    escape(&format!("{base}{}", url_segment(&name)))
                ),
                Err(_) => label.to_string(),
            };
            // The close code the server sent; an unimplemented case has nothing to say here.
            let close = match (e.remote_close_code, class) {
                (Some(code), _) => format!("<small>{code}</small>"),
                (None, Class::Unimplemented) => String::new(),
                (None, _) => "<small>no code</small>".to_string(),
            };
            let _ = write!(
                out,
                "<td class=\"cell {}\" title=\"{} / {}\">{text}{close}</td>",
                class_css(class),
                e.behavior.as_str(),
                e.behavior_close.as_str()
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n<p><a href=\"#top\">Up</a></p>\n");
}

/// A relative directory as a URL prefix ending in `/` (empty for the same directory), each
/// segment percent-encoded.
fn url_dir(rel: &Path) -> String {
    let mut url = String::new();
    for c in rel.components() {
        match c {
            Component::ParentDir => url.push_str("../"),
            Component::CurDir => {}
            Component::Normal(s) => {
                url.push_str(&url_segment(&s.to_string_lossy()));
                url.push('/');
            }
            // `relative_path` yields only the above; an absolute remainder has no URL form here.
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    url
}

/// Percent-encode one path segment (RFC 3986 unreserved characters kept).
fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::{catalogue, reports};
    use crate::test_support::{ok, report};

    fn render() -> String {
        let m = Matrix::build_with(&reports(), &catalogue());
        render_compare(
            &m,
            Path::new("/r/out/compare.html"),
            "2026-01-01T00:00:00.000Z",
        )
        .replace(TOOL, "wsspec VERSION")
    }

    #[test]
    fn snapshot_compare_page() {
        insta::assert_snapshot!(render());
    }

    #[test]
    fn links_are_relative_to_the_page() {
        let html = render();
        assert!(html.contains("<a href=\"../a/node_ws_case_1_1_1.html\">Pass</a>"));
        assert!(html.contains("<a href=\"../b/faye_case_1_1_2.html\">Fail</a>"));
        assert!(html.contains("<a href=\"../a/index.html\">/r/a</a>"));
    }

    #[test]
    fn report_strings_are_escaped() {
        let evil = "<script>alert(1)</script>\"><img onerror=x>";
        let m = Matrix::build_with(
            &[report(
                "/r/<dir> x",
                &[(evil, &[("1.1.1", ok()), ("<b>9", ok())])],
            )],
            &catalogue(),
        );
        let html = render_compare(&m, Path::new("/r/compare.html"), "<now>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<dir>"));
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img onerror=x&gt;")
        );
        assert!(html.contains("&lt;b&gt;9"));
        assert!(html.contains("&lt;now&gt;"));
        // The directory is percent-encoded in links.
        assert!(html.contains("href=\"%3Cdir%3E%20x/index.html\""), "{html}");
    }

    #[test]
    fn self_contained() {
        let html = render();
        for needle in ["src=", "<link", "href=\"http", "@import", "url(", "<script"] {
            assert!(!html.contains(needle), "{needle}");
        }
    }

    #[test]
    fn url_encoding() {
        assert_eq!(url_segment("a b#?%ä"), "a%20b%23%3F%25%C3%A4");
        assert_eq!(url_dir(Path::new("../x y/z")), "../x%20y/z/");
        assert_eq!(url_dir(Path::new("")), "");
    }
}
