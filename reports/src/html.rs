//! Pieces shared by the HTML pages: escaping, verdict colours and labels, the page frame.

use std::fmt::Write as _;

use wsspec_cases::{CloseVerdict, Verdict};

/// Tool name and version printed on every page.
pub const TOOL: &str = concat!("wsspec ", env!("CARGO_PKG_VERSION"));

/// Escape text for HTML element content *and* quoted attribute values.
///
/// Every string that reaches a page from a peer, a user or a file goes through this.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // NUL is a parse error in HTML; show it rather than let browsers drop it.
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Cut `text` to at most `max` characters (on a character boundary), marking the cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{} ...", &text[..at]),
        None => text.to_string(),
    }
}

/// CSS class of a behaviour verdict.
pub fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "case_ok",
        Verdict::NonStrict => "case_non_strict",
        Verdict::Failed => "case_failed",
        Verdict::Informational => "case_info",
        Verdict::Unimplemented => "case_unimplemented",
    }
}

/// Short label of a behaviour verdict, as shown in cells and banners.
pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "Pass",
        Verdict::NonStrict => "Non-Strict",
        Verdict::Failed => "Fail",
        Verdict::Informational => "Info",
        Verdict::Unimplemented => "Unimplemented",
    }
}

/// CSS class of a close verdict.
pub fn close_class(v: CloseVerdict) -> &'static str {
    match v {
        CloseVerdict::Ok => "case_ok",
        CloseVerdict::FailedByClient => "case_almost",
        CloseVerdict::WrongCode => "case_non_strict",
        CloseVerdict::Unclean | CloseVerdict::Failed => "case_failed",
        CloseVerdict::Informational => "case_info",
        CloseVerdict::Unimplemented => "case_unimplemented",
    }
}

/// Class of the "not run" cells.
pub const MISSING_CLASS: &str = "case_missing";

/// The inline style sheet of both page kinds.
const CSS: &str = "\
body{font-family:sans-serif;font-size:14px;margin:1em 2em;color:#222;background:#fff}
h1{font-size:1.6em}h2{font-size:1.3em}h3{font-size:1.1em;margin:.4em 0}
a{color:inherit}
table{border-collapse:collapse;margin:.5em 0}
td,th{padding:2px 8px;border:1px solid #ccc;text-align:left;vertical-align:top}
.case_ok,.case_non_strict,.case_failed,.case_info,.case_unimplemented,.case_missing,.case_almost,.case_no_close{color:#fff;text-align:center}
.case_ok{background:#0a0}.case_non_strict,.case_no_close{background:#9a0}.case_failed{background:#900}
.case_info{background:#4095BF}.case_unimplemented{background:#800080}.case_missing{background:#a05a2c}
.case_almost{background:#6d6}
.case_duration{font-size:.8em}
tr.case_category_row td{background:#000;color:#fff;font-weight:bold}
tr.case_subcategory_row td{background:#333;color:#fff}
td.agent{background:#003;color:#fff;text-align:center;font-weight:bold}
td.case_id{white-space:nowrap}
body.hide-close td.close,body.hide-close th.close{display:none}
#toggle{position:fixed;right:1em;bottom:1em;padding:.5em 1em}
.box{border:1px solid #999;border-radius:8px;padding:.5em 1em;margin:.5em 0;background:#f6f6f6}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f0f0f0;padding:.5em;margin:.3em 0}
.banner{padding:.6em 1em;font-size:1.2em;border-radius:6px}
.wirelog div{font-family:monospace;white-space:pre-wrap;overflow-wrap:anywhere;color:#fff;padding:1px 4px;margin:1px 0}
.wl_to{background:#600}.wl_to_sync{background:#606}.wl_ro{background:#060}
.wl_tf{background:#a00}.wl_rf{background:#0a0}.wl_timer{background:#000}
.wl_drop_me{background:#000080}.wl_drop_peer{background:#000}
td.num{text-align:right}
tr.total td{font-weight:bold}
";

/// Wrap a body in a complete, self-contained page (inline CSS, no external resources).
pub fn page(title: &str, body: &str, script: Option<&str>) -> String {
    page_with_css(title, "", body, script)
}

/// [`page`], with `extra_css` appended to the shared style sheet (for pages with tables of
/// their own, such as `wsspec compare`'s).
pub fn page_with_css(title: &str, extra_css: &str, body: &str, script: Option<&str>) -> String {
    let mut out = String::with_capacity(body.len() + CSS.len() + extra_css.len() + 512);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // No external resources may load: the report must render offline and cannot leak.
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, "<style>\n{CSS}{extra_css}</style>");
    if let Some(js) = script {
        let _ = writeln!(out, "<script>{js}</script>");
    }
    out.push_str("</head>\n<body>\n");
    out.push_str(body);
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_text_and_attributes() {
        assert_eq!(
            escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(
            escape("\"><img onerror=x>"),
            "&quot;&gt;&lt;img onerror=x&gt;"
        );
        assert_eq!(escape("a&b\0"), "a&amp;b\u{FFFD}");
    }

    #[test]
    fn cut_is_char_safe() {
        assert_eq!(cut("äöü", 2), "äö ...");
        assert_eq!(cut("abc", 3), "abc");
    }
}
