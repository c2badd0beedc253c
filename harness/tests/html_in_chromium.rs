//! The HTML reports render in a real browser: headless Debian Chromium loads `index.html`
//! and a per-case page from disk, and the DOM it builds holds the result matrix and the case.
//!
//! Needs `/usr/bin/chromium` (`bash ci/install-peers.sh`); `WSSPEC_SKIP_PEERS=1` skips.

mod common;

use std::time::Duration;

const CASES: &[&str] = &["1.1.1", "1.1.2", "2.1", "7.1.1"];
const AGENT: &str = "chromium-check";
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// The outer HTML of the element `<table … id="agent_case_results" …>…</table>`, nested
/// tables included.
fn matrix_table(dom: &str) -> Option<&str> {
    let id_at = dom.find("id=\"agent_case_results\"")?;
    let start = dom[..id_at].rfind("<table")?;
    let mut depth = 0usize;
    let mut pos = start;
    loop {
        let open = dom[pos..].find("<table").map(|i| pos + i);
        let close = dom[pos..].find("</table>").map(|i| pos + i)?;
        match open {
            Some(o) if o < close => {
                depth += 1;
                pos = o + "<table".len();
            }
            _ => {
                depth -= 1;
                pos = close + "</table>".len();
                if depth == 0 {
                    return Some(&dom[start..pos]);
                }
            }
        }
    }
}

/// The text content of some HTML, tags removed and whitespace collapsed.
fn text_of(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(ch),
            _ => {}
        }
    }
    let text = text
        .replace("&nbsp;", " ")
        .replace('\u{a0}', " ")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn reports_render_in_headless_chromium() {
    let Some(chromium) = common::chromium() else {
        return;
    };
    let mut echo = common::wsspec_echo_peer();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("reports");
    let out_dir = out.display().to_string();
    let url = echo.url();
    let cases = CASES.join(",");
    common::wsspec(
        &[
            "client", "--url", &url, "--agent", AGENT, "--cases", &cases, "--out", &out_dir,
        ],
        Duration::from_secs(120),
    )
    .expect_code(0);
    echo.assert_alive();

    // index.html: the matrix, one row per case run (each linking its per-case page).
    let dom = common::chromium_dump_dom(&chromium, &out.join("index.html"), BROWSER_TIMEOUT);
    let table = matrix_table(&dom).unwrap_or_else(|| {
        panic!(
            "index.html has no table#agent_case_results once rendered:\n{}",
            common::tail(&dom, 4000)
        )
    });
    let rows: Vec<&str> = table.split("<tr").skip(1).collect();
    let linking_rows = rows
        .iter()
        .filter(|row| row.contains(&format!("{}_case_", common::clean_agent(AGENT))))
        .count();
    assert_eq!(
        linking_rows,
        CASES.len(),
        "the matrix should have one row per case run ({} rows link a per-case page)",
        linking_rows
    );
    for id in CASES {
        let page = format!("{}.html", common::case_file_stem(AGENT, id));
        let with_link: Vec<&&str> = rows.iter().filter(|row| row.contains(&page)).collect();
        assert_eq!(
            with_link.len(),
            1,
            "case {id}: expected exactly one matrix row linking {page}"
        );
        assert!(
            text_of(with_link[0]).contains(id),
            "case {id}: its matrix row does not show the id: {}",
            with_link[0]
        );
    }

    // One per-case page: it renders and names its case.
    let id = "1.1.2";
    let page = out.join(format!("{}.html", common::case_file_stem(AGENT, id)));
    let dom = common::chromium_dump_dom(&chromium, &page, BROWSER_TIMEOUT);
    let text = text_of(&dom);
    assert!(
        text.contains(&format!("Case {id}")),
        "the rendered page {} does not show \"Case {id}\":\n{}",
        page.display(),
        common::tail(&text, 4000)
    );
}

#[test]
fn matrix_table_extraction() {
    let dom = "<body><table id=\"x\"></table><table class=\"m\" id=\"agent_case_results\">\
               <tr><td><table><tr><td>in</td></tr></table></td></tr><tr><td>b</td></tr></table>\
               <p>after</p></body>";
    let t = matrix_table(dom).expect("found");
    assert!(t.starts_with("<table class=\"m\""));
    assert!(t.ends_with("</table>"));
    assert!(!t.contains("after"));
    assert_eq!(text_of(t), "in b");
    assert_eq!(matrix_table("<table></table>"), None);
}
