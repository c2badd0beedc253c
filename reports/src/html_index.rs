//! `index.html`: the agent × case matrix over the whole catalogue, with legend and totals.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use wsspec_cases::{id_key, Case, CloseVerdict, Verdict};

use crate::files::case_html_name;
use crate::html::{close_class, escape, page, verdict_class, verdict_label, MISSING_CLASS, TOOL};
use crate::index::Index;
use crate::result::IndexEntry;
use crate::traffic::CompressionRatios;

/// Compression ratios by agent, then case id, for the cells of the cases that report them
/// (`reportCompressionRatio`); `index.json` does not carry them, the per-case files do.
pub type IndexRatios = BTreeMap<String, BTreeMap<String, CompressionRatios>>;

/// Hides or shows the close-code cells; spanning cells shrink so the grid stays aligned.
const TOGGLE_JS: &str =
    "function toggleClose(){var h=document.body.classList.toggle('hide-close');\
var s=document.querySelectorAll('.span2');for(var i=0;i<s.length;i++){s[i].colSpan=h?1:2;}}";

/// Verdict rows of the legend and the totals, in display order.
const VERDICT_ORDER: [Verdict; 5] = [
    Verdict::Ok,
    Verdict::NonStrict,
    Verdict::Failed,
    Verdict::Informational,
    Verdict::Unimplemented,
];

/// Render `index.html` for every agent in `index` over every case of `catalogue`
/// (`generated` is the UTC time printed in the header), without compression ratios.
pub fn render_index(index: &Index, catalogue: &[Case], generated: &str) -> String {
    render_index_with_ratios(index, catalogue, generated, &IndexRatios::new())
}

/// [`render_index`], with each case's ` [in/out]` compression ratios from `ratios` added
/// to its verdict cell, as Autobahn shows them for categories 12 and 13.
pub fn render_index_with_ratios(
    index: &Index,
    catalogue: &[Case],
    generated: &str,
    ratios: &IndexRatios,
) -> String {
    let mut cases: Vec<&Case> = catalogue.iter().collect();
    cases.sort_by_key(|c| c.id_key());
    // BTreeMap keys: agents come out sorted by name.
    let agents: Vec<(&String, &BTreeMap<String, IndexEntry>)> = index.iter().collect();

    let mut body = String::with_capacity(64 * 1024);
    body.push_str("<h1 id=\"top\">WebSocket conformance report</h1>\n");
    let _ = writeln!(
        body,
        "<p>Generated {} UTC by {}.</p>",
        escape(generated),
        escape(TOOL)
    );
    legend(&mut body);
    totals(&mut body, &agents, &cases);
    browsers(&mut body, &agents, &cases);
    body.push_str("<h2>Results</h2>\n<table id=\"agent_case_results\">\n");
    matrix(&mut body, &agents, &cases, ratios);
    others(&mut body, &agents, &cases, ratios);
    body.push_str("</table>\n");
    body.push_str(
        "<button id=\"toggle\" type=\"button\" onclick=\"toggleClose()\">Toggle close details</button>\n",
    );
    descriptions(&mut body, &cases);
    page("wsspec report", &body, Some(TOGGLE_JS))
}

fn legend(out: &mut String) {
    let rows: [(&str, &str, &str); 6] = [
        ("case_ok", "Pass", "The peer did what the protocol requires."),
        (
            "case_non_strict",
            "Non-Strict",
            "The peer is conformant but skipped a recommended (SHOULD) behaviour, or was lenient where it could have been strict.",
        ),
        ("case_failed", "Fail", "The peer broke a requirement (MUST) of the protocol."),
        (
            "case_info",
            "Info",
            "The protocol leaves this behaviour open; what the peer did is recorded but not judged.",
        ),
        (
            "case_unimplemented",
            "Unimplemented",
            "The peer does not support the optional feature this case exercises.",
        ),
        (
            MISSING_CLASS,
            "Missing",
            "No result for this agent: the case was excluded or has not run yet.",
        ),
    ];
    out.push_str("<h2>Legend</h2>\n<table class=\"legend\">\n");
    for (class, label, text) in rows {
        let _ = writeln!(
            out,
            "<tr><td class=\"{class}\">{label}</td><td>{text}</td></tr>"
        );
    }
    out.push_str(
        "<tr><td>Close cell</td><td>The second cell per agent is the close code the peer sent \
(\"Unclean\" when the connection ended without a clean closing handshake, \"Fail\" when the \
closing handshake went wrong, \"None\" when no code was sent). Its colour grades the closing \
handshake: <span class=\"case_ok\">&nbsp;as expected&nbsp;</span> \
<span class=\"case_almost\">&nbsp;wsspec had to drop TCP&nbsp;</span> \
<span class=\"case_non_strict\">&nbsp;unexpected code&nbsp;</span> \
<span class=\"case_failed\">&nbsp;unclean or failed&nbsp;</span> \
<span class=\"case_info\">&nbsp;not judged&nbsp;</span></td></tr>\n",
    );
    out.push_str("</table>\n");
}

fn totals(out: &mut String, agents: &[(&String, &BTreeMap<String, IndexEntry>)], cases: &[&Case]) {
    out.push_str("<h2>Totals</h2>\n<table class=\"totals\">\n<tr><th>Verdict</th>");
    for (agent, _) in agents {
        let _ = write!(out, "<th>{}</th>", escape(agent));
    }
    out.push_str("</tr>\n");
    for v in VERDICT_ORDER {
        let _ = write!(
            out,
            "<tr><td class=\"{}\">{}</td>",
            verdict_class(v),
            verdict_label(v)
        );
        for (_, entries) in agents {
            let n = entries.values().filter(|e| e.behavior == v).count();
            let _ = write!(out, "<td class=\"num\">{n}</td>");
        }
        out.push_str("</tr>\n");
    }
    let _ = write!(out, "<tr><td class=\"{MISSING_CLASS}\">Missing</td>");
    for (_, entries) in agents {
        let n = cases
            .iter()
            .filter(|c| !entries.contains_key(&c.id))
            .count();
        let _ = write!(out, "<td class=\"num\">{n}</td>");
    }
    out.push_str("</tr>\n<tr class=\"total\"><td>Results</td>");
    for (_, entries) in agents {
        let _ = write!(out, "<td class=\"num\">{}</td>", entries.len());
    }
    out.push_str("</tr>\n</table>\n");
}

/// Which browser generations can talk to each agent: one row per profile case
/// (category 18), the cell coloured by that case's verdict.
fn browsers(
    out: &mut String,
    agents: &[(&String, &BTreeMap<String, IndexEntry>)],
    cases: &[&Case],
) {
    let profiles: Vec<(&Case, &str)> = cases
        .iter()
        .filter_map(|c| c.profile.map(|p| (*c, p)))
        .collect();
    if profiles.is_empty() {
        return;
    }
    out.push_str(
        "<h2>Browser compatibility</h2>\n<table class=\"browsers\" id=\"browser_compatibility\">\n<tr><th>Browser generation</th>",
    );
    for (agent, _) in agents {
        let _ = write!(out, "<th>{}</th>", escape(agent));
    }
    out.push_str("</tr>\n");
    for (case, profile) in profiles {
        let _ = write!(
            out,
            "<tr><td><a href=\"#{}\">{}</a> ({})</td>",
            desc_anchor(&case.id),
            escape(profile),
            escape(&case.id)
        );
        for (_, entries) in agents {
            match entries.get(&case.id) {
                Some(e) => {
                    let talks = matches!(
                        e.behavior,
                        Verdict::Ok | Verdict::NonStrict | Verdict::Informational
                    );
                    let _ = write!(
                        out,
                        "<td class=\"{}\">{}</td>",
                        verdict_class(e.behavior),
                        if talks {
                            "talks"
                        } else {
                            verdict_label(e.behavior)
                        }
                    );
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

fn header_row(out: &mut String, title: &str, agents: &[(&String, &BTreeMap<String, IndexEntry>)]) {
    let _ = write!(
        out,
        "<tr class=\"case_category_row\"><td class=\"case_id\">{}</td>",
        escape(title)
    );
    for (agent, _) in agents {
        let _ = write!(
            out,
            "<td class=\"agent span2\" colspan=\"2\">{}</td>",
            escape(agent)
        );
    }
    out.push_str("</tr>\n");
}

fn matrix(
    out: &mut String,
    agents: &[(&String, &BTreeMap<String, IndexEntry>)],
    cases: &[&Case],
    ratios: &IndexRatios,
) {
    let width = 1 + 2 * agents.len();
    let mut category: Option<u32> = None;
    let mut subcategory: Option<&str> = None;
    for case in cases {
        let sub = case.subcategory.as_ref();
        let new_category = category != Some(case.category.number);
        let new_sub = sub.map(|s| s.id.as_str()) != subcategory;
        // The agent header repeats at every subcategory so it stays in view in long sections.
        if new_category || new_sub {
            header_row(
                out,
                &format!("{} {}", case.category.number, case.category.title),
                agents,
            );
            if let Some(s) = sub {
                let _ = writeln!(
                    out,
                    "<tr class=\"case_subcategory_row\"><td colspan=\"{width}\">{} {}</td></tr>",
                    escape(&s.id),
                    escape(&s.title)
                );
            }
        }
        category = Some(case.category.number);
        subcategory = sub.map(|s| s.id.as_str());

        let show_time = case.report_time || case.category.number == 9;
        let _ = write!(
            out,
            "<tr><td class=\"case_id\"><a href=\"#{}\">Case {}</a></td>",
            escape(&desc_anchor(&case.id)),
            escape(&case.id)
        );
        for (agent, entries) in agents {
            let detail = Detail {
                time: show_time,
                ratios: ratio_of(ratios, agent, &case.id),
            };
            cells(out, agent, &case.id, entries.get(&case.id), detail);
        }
        out.push_str("</tr>\n");
    }
}

/// Results whose ids the catalogue does not know (older runs, another tool's cases): shown
/// rather than hidden, since the index keeps them.
fn others(
    out: &mut String,
    agents: &[(&String, &BTreeMap<String, IndexEntry>)],
    cases: &[&Case],
    ratios: &IndexRatios,
) {
    let known: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let mut ids: Vec<&String> = agents
        .iter()
        .flat_map(|(_, entries)| entries.keys())
        .filter(|id| !known.contains(id.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return;
    }
    ids.sort_by_key(|id| id_key(id));
    header_row(out, "Cases outside this catalogue", agents);
    for id in ids {
        let _ = write!(out, "<tr><td class=\"case_id\">Case {}</td>", escape(id));
        for (agent, entries) in agents {
            let detail = Detail {
                time: false,
                ratios: ratio_of(ratios, agent, id),
            };
            cells(out, agent, id, entries.get(id), detail);
        }
        out.push_str("</tr>\n");
    }
}

/// What the verdict cell shows under the verdict.
#[derive(Clone, Copy)]
struct Detail {
    /// The duration in ms.
    time: bool,
    /// The compression ratios, ` [in/out]`.
    ratios: Option<CompressionRatios>,
}

fn ratio_of(ratios: &IndexRatios, agent: &str, id: &str) -> Option<CompressionRatios> {
    ratios.get(agent).and_then(|m| m.get(id)).copied()
}

/// Autobahn's `case_duration` text: `N ms`, then ` [in/out]` when the case reports
/// compression ratios; empty when neither applies.
fn detail_text(entry: &IndexEntry, detail: Detail) -> String {
    let mut text = String::new();
    if detail.time {
        let _ = write!(text, "{} ms", entry.duration);
    }
    if let Some(r) = detail.ratios {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&r.cell_text());
    }
    text
}

fn cells(out: &mut String, agent: &str, id: &str, entry: Option<&IndexEntry>, detail: Detail) {
    let Some(entry) = entry else {
        let _ = write!(
            out,
            "<td class=\"{MISSING_CLASS} span2\" colspan=\"2\">Missing</td>"
        );
        return;
    };
    let label = verdict_label(entry.behavior);
    // The HTML is named from agent and id like the JSON; an id unfit for a file name has none.
    let linked = match case_html_name(agent, id) {
        Ok(name) => format!("<a href=\"{}\">{label}</a>", escape(&name)),
        Err(_) => label.to_string(),
    };
    if entry.behavior == Verdict::Unimplemented {
        let _ = write!(
            out,
            "<td class=\"{} span2\" colspan=\"2\">{linked}</td>",
            verdict_class(entry.behavior)
        );
        return;
    }
    let _ = write!(
        out,
        "<td class=\"{}\">{linked}",
        verdict_class(entry.behavior)
    );
    let text = detail_text(entry, detail);
    if !text.is_empty() {
        let _ = write!(
            out,
            "<br><span class=\"case_duration\">{}</span>",
            escape(&text)
        );
    }
    out.push_str("</td>");
    let _ = write!(
        out,
        "<td class=\"close {}\">{}</td>",
        close_class(entry.behavior_close),
        close_text(entry)
    );
}

fn close_text(entry: &IndexEntry) -> String {
    match (entry.remote_close_code, entry.behavior_close) {
        (Some(code), _) => code.to_string(),
        (None, CloseVerdict::Unclean) => "Unclean".into(),
        (None, CloseVerdict::Failed | CloseVerdict::FailedByClient) => "Fail".into(),
        (None, _) => "None".into(),
    }
}

fn desc_anchor(id: &str) -> String {
    format!("case_desc_{}", id.replace('.', "_"))
}

fn descriptions(out: &mut String, cases: &[&Case]) {
    out.push_str("<h2>Case descriptions</h2>\n<div id=\"test_case_descriptions\">\n");
    for case in cases {
        let _ = writeln!(
            out,
            "<div class=\"case_desc\" id=\"{}\">\n<h2>Case {}</h2> <a href=\"#top\">Up</a>\n\
<div class=\"box\"><h3>Description</h3><div class=\"text\">{}</div></div>\n\
<div class=\"box\"><h3>Expectation</h3><div class=\"text\">{}</div></div>\n</div>",
            escape(&desc_anchor(&case.id)),
            escape(&case.id),
            escape(&case.description),
            escape(&case.expectation)
        );
    }
    out.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(agent: &str, id: &str, behavior: Verdict, close: CloseVerdict) -> IndexEntry {
        IndexEntry {
            behavior,
            behavior_close: close,
            duration: 7,
            remote_close_code: if close == CloseVerdict::Ok {
                Some(1000)
            } else {
                None
            },
            reportfile: crate::files::case_json_name(agent, id).unwrap(),
        }
    }

    #[test]
    fn matrix_shows_every_catalogue_case_and_escapes_agents() {
        let cat = wsspec_cases::catalogue();
        let evil = "<script>alert(1)</script>\"><img onerror=x>";
        let mut index = Index::new();
        let mut e = BTreeMap::new();
        if let Some(first) = cat.first() {
            e.insert(
                first.id.clone(),
                entry(evil, &first.id, Verdict::Ok, CloseVerdict::Ok),
            );
        }
        e.insert(
            "99.1".into(),
            entry(evil, "99.1", Verdict::Failed, CloseVerdict::Unclean),
        );
        index.insert(evil.to_string(), e);
        index.insert("b-agent".into(), BTreeMap::new());
        let html = render_index(&index, cat, "2026-01-01T00:00:00.000Z");
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img"));
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img onerror=x&gt;")
        );
        for case in cat {
            assert!(html.contains(&format!("id=\"{}\"", desc_anchor(&case.id))));
            assert!(html.contains(&format!(">Case {}</a>", case.id)));
        }
        // b-agent ran nothing: one Missing cell per catalogue case.
        let missing = html.matches(">Missing</td>").count();
        assert!(missing >= cat.len() * 2 - 1, "{missing}");
        assert!(html.contains("Case 99.1"));
        assert!(html.contains(">Unclean</td>"));
        assert!(html.contains(TOOL));
        // Agents in name order.
        let a = html.find("&lt;script&gt;").unwrap();
        let b = html.find("b-agent").unwrap();
        assert!(a < b);
    }

    #[test]
    fn self_contained() {
        let html = render_index(&Index::new(), wsspec_cases::catalogue(), "t");
        // Case descriptions may mention URLs as text; only loading or linking one is banned.
        for needle in [
            "src=",
            "<link",
            "href=\"http",
            "href='http",
            "@import",
            "url(",
        ] {
            assert!(!html.contains(needle), "{needle}");
        }
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;
    use wsspec_cases::{Category, Subcategory};

    #[test]
    fn browser_compatibility_row_per_profile() {
        let mut chrome = case("18.1", 18, "Browser profiles", None);
        chrome.profile = Some("Chrome <14>");
        let mut firefox = case("18.2", 18, "Browser profiles", None);
        firefox.profile = Some("Firefox 7");
        let plain = case("1.1", 1, "Framing", None);
        let catalogue = vec![plain, chrome, firefox];
        let entry = |behavior| IndexEntry {
            behavior,
            behavior_close: CloseVerdict::Ok,
            duration: 1,
            remote_close_code: None,
            reportfile: "x.json".into(),
        };
        let mut e = BTreeMap::new();
        e.insert("18.1".to_string(), entry(Verdict::Ok));
        e.insert("18.2".to_string(), entry(Verdict::Unimplemented));
        let mut index = Index::new();
        index.insert("srv".into(), e);
        let html = render_index(&index, &catalogue, "t");
        let table = &html[html.find("id=\"browser_compatibility\"").expect("table")..];
        let table = &table[..table.find("</table>").expect("end")];
        assert!(table.contains("Chrome &lt;14&gt;"), "{table}");
        assert!(table.contains(">talks</td>"), "{table}");
        assert!(table.contains("Firefox 7"), "{table}");
        assert!(table.contains(">Unimplemented</td>"), "{table}");
        assert!(!table.contains("1.1"), "only profile cases: {table}");
    }

    fn timed(mut c: Case) -> Case {
        c.report_time = true;
        c
    }

    #[test]
    fn ratio_cells_follow_autobahn() {
        let cases = vec![
            case("12.1.1", 12, "Compression", None),
            timed(case("12.1.2", 12, "Compression", None)),
            timed(case("12.1.3", 12, "Compression", None)),
        ];
        let entry = IndexEntry {
            behavior: Verdict::Ok,
            behavior_close: CloseVerdict::Ok,
            duration: 375,
            remote_close_code: Some(1000),
            reportfile: String::new(),
        };
        let mut index = Index::new();
        index.insert(
            "a".into(),
            cases
                .iter()
                .map(|c| (c.id.clone(), entry.clone()))
                .collect(),
        );
        let r = CompressionRatios {
            incoming: Some(0.293),
            outgoing: None,
        };
        let ratios = IndexRatios::from([(
            "a".to_string(),
            BTreeMap::from([("12.1.1".to_string(), r), ("12.1.2".to_string(), r)]),
        )]);
        let html = render_index_with_ratios(&index, &cases, "t", &ratios);
        // Ratios without the time, with it, and the time alone.
        for cell in [
            "<br><span class=\"case_duration\">[0.293/-]</span></td>",
            "<br><span class=\"case_duration\">375 ms [0.293/-]</span></td>",
            "<br><span class=\"case_duration\">375 ms</span></td>",
        ] {
            assert_eq!(html.matches(cell).count(), 1, "{cell}");
        }
        // Without ratios the page is as before.
        assert_eq!(
            render_index(&index, &cases, "t"),
            render_index_with_ratios(&index, &cases, "t", &IndexRatios::new())
        );
    }

    fn case(id: &str, number: u32, title: &'static str, sub: Option<(&str, &str)>) -> Case {
        let mut c = Case::new(
            id,
            Category { number, title },
            &format!("Send <case {id}>."),
            "Echo & close.",
        );
        c.subcategory = sub.map(|(id, title)| Subcategory {
            id: id.into(),
            title: title.into(),
        });
        c
    }

    #[test]
    fn snapshot_index_page() {
        let cases = vec![
            case("1.1.1", 1, "Framing", Some(("1.1", "Text"))),
            case("1.2.1", 1, "Framing", Some(("1.2", "Binary"))),
            case("2.1", 2, "Pings/Pongs", None),
            case("9.1.1", 9, "Limits/Performance", Some(("9.1", "Big text"))),
            timed(case("12.1.1", 12, "Compression", Some(("12.1", "Small")))),
            timed(case("12.1.2", 12, "Compression", Some(("12.1", "Small")))),
        ];
        let e = |b, c, code, duration| IndexEntry {
            behavior: b,
            behavior_close: c,
            duration,
            remote_close_code: code,
            reportfile: String::new(),
        };
        let mut index = Index::new();
        index.insert(
            "node-ws".into(),
            BTreeMap::from([
                (
                    "1.1.1".into(),
                    e(Verdict::Ok, CloseVerdict::Ok, Some(1000), 1),
                ),
                (
                    "1.2.1".into(),
                    e(Verdict::NonStrict, CloseVerdict::FailedByClient, None, 2),
                ),
                (
                    "2.1".into(),
                    e(Verdict::Failed, CloseVerdict::Unclean, None, 3),
                ),
                (
                    "9.1.1".into(),
                    e(Verdict::Ok, CloseVerdict::Ok, Some(1000), 42),
                ),
                (
                    "12.1.1".into(),
                    e(Verdict::Ok, CloseVerdict::Ok, Some(1000), 375),
                ),
                (
                    "12.1.2".into(),
                    e(Verdict::Failed, CloseVerdict::Ok, Some(1000), 60001),
                ),
            ]),
        );
        index.insert(
            "Python/3.11 websockets".into(),
            BTreeMap::from([
                (
                    "1.1.1".into(),
                    e(Verdict::Unimplemented, CloseVerdict::Unimplemented, None, 0),
                ),
                (
                    "12.1.1".into(),
                    e(Verdict::Unimplemented, CloseVerdict::Unimplemented, None, 3),
                ),
            ]),
        );
        let ratios = |incoming, outgoing| CompressionRatios { incoming, outgoing };
        let all_ratios = IndexRatios::from([
            (
                "node-ws".to_string(),
                BTreeMap::from([
                    ("12.1.1".to_string(), ratios(Some(0.293), Some(0.9851875))),
                    ("12.1.2".to_string(), ratios(None, Some(0.0625))),
                ]),
            ),
            (
                "Python/3.11 websockets".to_string(),
                BTreeMap::from([("12.1.1".to_string(), ratios(Some(1.0), Some(1.0)))]),
            ),
        ]);
        let html =
            render_index_with_ratios(&index, &cases, "2026-01-01T00:00:00.000Z", &all_ratios)
                .replace(TOOL, "wsspec VERSION");
        insta::assert_snapshot!(html);
    }
}
