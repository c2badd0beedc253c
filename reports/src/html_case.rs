//! `<agent>_case_<id>.html`: one case's outcome, handshake, close details, statistics and
//! wire log.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::html::{cut, escape, page, verdict_class, TOOL};
use crate::json::python_float_repr;
use crate::result::{CaseResult, WireRecord};

/// Expected/observed event dumps are cut to this many characters.
const EVENTS_SHOWN: usize = 1000;

/// Render the HTML page of one case result.
pub fn render_case(r: &CaseResult) -> String {
    let mut b = String::with_capacity(16 * 1024);
    let verdict = match r.behavior {
        wsspec_cases::Verdict::Informational => "Informational",
        v => crate::html::verdict_label(v),
    };
    let _ = writeln!(
        b,
        "<div class=\"banner {}\">{} - <b>Case {}</b> : {} - <b>{}</b> ms @ {}</div>",
        verdict_class(r.behavior),
        escape(&r.agent),
        escape(&r.id),
        verdict,
        r.duration,
        escape(&r.started)
    );
    let _ = writeln!(
        b,
        "<div class=\"box\"><h3>Description</h3><div class=\"text\">{}</div></div>\n\
<div class=\"box\"><h3>Expectation</h3><div class=\"text\">{}</div></div>",
        escape(&r.description),
        escape(&r.expectation)
    );

    let expected = serde_json::to_string(&r.expected).unwrap_or_else(|e| format!("({e})"));
    let observed = serde_json::to_string(&r.received).unwrap_or_else(|e| format!("({e})"));
    let _ = writeln!(
        b,
        "<h2>Case outcome</h2>\n<p class=\"text\">{}</p>\n<p><i>Expected:</i></p>\n<pre>{}</pre>\n\
<p><i>Observed:</i></p>\n<pre>{}</pre>",
        escape(&r.result),
        escape(&cut(&expected, EVENTS_SHOWN)),
        escape(&cut(&observed, EVENTS_SHOWN))
    );
    let _ = writeln!(
        b,
        "<h2>Closing verdict</h2>\n<p class=\"text\">{} ({})</p>",
        escape(&r.result_close),
        r.behavior_close.as_str()
    );
    let _ = writeln!(
        b,
        "<h2>Opening handshake</h2>\n<pre>{}</pre>\n<pre>{}</pre>",
        escape(&r.http_request),
        escape(&r.http_response)
    );
    closing_table(&mut b, r);
    b.push_str("<h2>Wire statistics</h2>\n");
    octet_table(&mut b, "Octets received by chop size", &r.rx_octet_stats);
    octet_table(&mut b, "Octets sent by chop size", &r.tx_octet_stats);
    frame_table(&mut b, "Frames received by opcode", &r.rx_frame_stats);
    frame_table(&mut b, "Frames sent by opcode", &r.tx_frame_stats);
    if let Some(stats) = &r.traffic_stats {
        traffic_table(&mut b, stats);
    }
    wire_log(&mut b, r);
    let _ = writeln!(b, "<p>Written by {}.</p>", escape(TOOL));
    page(&format!("{} - case {}", r.agent, r.id), &b, None)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "None".to_string(), T::to_string)
}

fn closing_table(b: &mut String, r: &CaseResult) {
    let rows: [(&str, String, &str); 13] = [
        (
            "isServer",
            r.is_server.to_string(),
            "wsspec was the server of this connection",
        ),
        (
            "closedByMe",
            r.closed_by_me.to_string(),
            "wsspec sent the first close frame",
        ),
        (
            "failedByMe",
            r.failed_by_me.to_string(),
            "wsspec failed the WebSocket connection",
        ),
        (
            "droppedByMe",
            r.dropped_by_me.to_string(),
            "wsspec closed the TCP connection",
        ),
        (
            "wasClean",
            r.was_clean.to_string(),
            "both close frames were exchanged before TCP closed",
        ),
        (
            "wasNotCleanReason",
            opt(&r.was_not_clean_reason),
            "why the close was not clean",
        ),
        (
            "wasServerConnectionDropTimeout",
            r.was_server_connection_drop_timeout.to_string(),
            "the server did not close TCP in time after the closing handshake",
        ),
        (
            "wasOpenHandshakeTimeout",
            r.was_open_handshake_timeout.to_string(),
            "the opening handshake did not finish in time",
        ),
        (
            "wasCloseHandshakeTimeout",
            r.was_close_handshake_timeout.to_string(),
            "the closing handshake did not finish in time",
        ),
        (
            "localCloseCode",
            opt(&r.local_close_code),
            "close code wsspec sent",
        ),
        (
            "localCloseReason",
            opt(&r.local_close_reason),
            "close reason wsspec sent",
        ),
        (
            "remoteCloseCode",
            opt(&r.remote_close_code),
            "close code the peer sent",
        ),
        (
            "remoteCloseReason",
            opt(&r.remote_close_reason),
            "close reason the peer sent",
        ),
    ];
    b.push_str("<h2>Closing behaviour</h2>\n<table>\n<tr><th>Key</th><th>Value</th><th>Meaning</th></tr>\n");
    for (key, value, meaning) in rows {
        let _ = writeln!(
            b,
            "<tr><td>{key}</td><td class=\"text\">{}</td><td>{meaning}</td></tr>",
            escape(&value)
        );
    }
    b.push_str("</table>\n");
}

/// Stats keys are numbers written as strings; show them in numeric order.
fn numeric(stats: &BTreeMap<String, u64>) -> Vec<(&str, Option<u64>, u64)> {
    let mut rows: Vec<(&str, Option<u64>, u64)> = stats
        .iter()
        .map(|(k, v)| (k.as_str(), k.parse().ok(), *v))
        .collect();
    rows.sort_by_key(|(k, n, _)| (n.is_none(), n.unwrap_or(0), k.to_string()));
    rows
}

fn octet_table(b: &mut String, title: &str, stats: &BTreeMap<String, u64>) {
    let _ = writeln!(
        b,
        "<h3>{title}</h3>\n<table>\n<tr><th>Chop size</th><th>Count</th><th>Octets</th></tr>"
    );
    let (mut count, mut octets) = (0u64, 0u64);
    for (key, size, n) in numeric(stats) {
        let total = size.map(|s| s.saturating_mul(n));
        count = count.saturating_add(n);
        octets = octets.saturating_add(total.unwrap_or(0));
        let _ = writeln!(
            b,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{n}</td><td class=\"num\">{}</td></tr>",
            escape(key),
            opt(&total)
        );
    }
    let _ = writeln!(
        b,
        "<tr class=\"total\"><td>Total</td><td class=\"num\">{count}</td><td class=\"num\">{octets}</td></tr>\n</table>"
    );
}

fn frame_table(b: &mut String, title: &str, stats: &BTreeMap<String, u64>) {
    let _ = writeln!(
        b,
        "<h3>{title}</h3>\n<table>\n<tr><th>Opcode</th><th>Count</th></tr>"
    );
    let mut count = 0u64;
    for (key, _, n) in numeric(stats) {
        count = count.saturating_add(n);
        let _ = writeln!(
            b,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{n}</td></tr>",
            escape(key)
        );
    }
    let _ = writeln!(
        b,
        "<tr class=\"total\"><td>Total</td><td class=\"num\">{count}</td></tr>\n</table>"
    );
}

/// What each `trafficStats` key counts.
fn traffic_meaning(key: &str) -> &'static str {
    match key {
        "incomingCompressionRatio" => "WebSocket-level / app-level octets received",
        "incomingOctetsAppLevel" => "message payload octets received, after decompression",
        "incomingOctetsWebSocketLevel" => "frame payload octets received, as on the wire",
        "incomingOctetsWireLevel" => "frame octets received, headers included",
        "incomingWebSocketFrames" => "data frames received",
        "incomingWebSocketMessages" => "messages received",
        "incomingWebSocketOverhead" => {
            "(wire-level - WebSocket-level) / WebSocket-level octets received"
        }
        "outgoingCompressionRatio" => "WebSocket-level / app-level octets sent",
        "outgoingOctetsAppLevel" => "message payload octets sent, before compression",
        "outgoingOctetsWebSocketLevel" => "frame payload octets sent, as on the wire",
        "outgoingOctetsWireLevel" => "frame octets sent, headers included",
        "outgoingWebSocketFrames" => "data frames sent",
        "outgoingWebSocketMessages" => "messages sent",
        "outgoingWebSocketOverhead" => {
            "(wire-level - WebSocket-level) / WebSocket-level octets sent"
        }
        "preopenIncomingOctetsWireLevel" => "octets received during the opening handshake",
        "preopenOutgoingOctetsWireLevel" => "octets sent during the opening handshake",
        _ => "",
    }
}

/// A `trafficStats` value as the JSON file spells it (`None` for null, as elsewhere here).
fn traffic_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "None".into(),
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u.to_string(),
            (None, Some(i), _) => i.to_string(),
            (None, None, Some(f)) => python_float_repr(f),
            _ => n.to_string(),
        },
        serde_json::Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// The compression counters and ratios (categories 12/13), keys sorted as in the JSON.
fn traffic_table(b: &mut String, stats: &serde_json::Value) {
    b.push_str(
        "<h3>Traffic statistics</h3>\n<table class=\"traffic\">\n<tr><th>Key</th><th>Value</th><th>Meaning</th></tr>\n",
    );
    match stats.as_object() {
        Some(obj) => {
            let mut keys: Vec<&String> = obj.keys().collect();
            keys.sort();
            for key in keys {
                let _ = writeln!(
                    b,
                    "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                    escape(key),
                    escape(&traffic_value(&obj[key.as_str()])),
                    traffic_meaning(key)
                );
            }
        }
        None => {
            let _ = writeln!(
                b,
                "<tr><td colspan=\"3\" class=\"text\">{}</td></tr>",
                escape(&traffic_value(stats))
            );
        }
    }
    b.push_str("</table>\n");
}

fn secs(d: f64) -> String {
    if d.fract() == 0.0 && d.abs() < 1e15 {
        format!("{}", d as i64)
    } else {
        format!("{d}")
    }
}

/// The payload goes on its own indented line; an empty payload adds nothing.
fn payload_line(payload: &str) -> String {
    if payload.is_empty() {
        String::new()
    } else {
        format!("\n    {payload}")
    }
}

/// One wire-log row: its CSS class and its text (not yet escaped).
fn wire_row(rec: &WireRecord) -> (&'static str, String) {
    match rec {
        WireRecord::TxOctets { len, hex, sync } => (
            if *sync { "wl_to_sync" } else { "wl_to" },
            format!(
                "TX OCTETS ({len}{}): {hex}",
                if *sync { ", sync" } else { "" }
            ),
        ),
        WireRecord::RxOctets { len, hex } => ("wl_ro", format!("RX OCTETS ({len}): {hex}")),
        WireRecord::TxFrame {
            len,
            payload,
            opcode,
            fin,
            rsv,
            mask,
            repeat_length,
            chopsize,
            sync,
        } => (
            "wl_tf",
            format!(
                "TX FRAME : OPCODE={opcode}, FIN={fin}, RSV={rsv}, PAYLOAD-LEN={len}, MASK={}, \
PAYLOAD-REPEAT-LEN={}, CHOPSIZE={}, SYNC={sync}{}",
                opt(mask),
                opt(repeat_length),
                opt(chopsize),
                payload_line(payload)
            ),
        ),
        WireRecord::RxFrame {
            len,
            payload,
            opcode,
            fin,
            rsv,
            masked,
            mask,
        } => (
            "wl_rf",
            format!(
                "RX FRAME : OPCODE={opcode}, FIN={fin}, RSV={rsv}, PAYLOAD-LEN={len}, \
MASKED={masked}, MASK={}{}",
                opt(mask),
                payload_line(payload)
            ),
        ),
        WireRecord::ContinueLater(d, tag) => (
            "wl_timer",
            format!("DELAY {} sec for TAG {}", secs(*d), opt(tag)),
        ),
        WireRecord::ContinueLaterFired(tag) => {
            ("wl_timer", format!("DELAY FIRED for TAG {}", opt(tag)))
        }
        WireRecord::KillAfter(d) => (
            "wl_timer",
            format!("FAIL CONNECTION AFTER {} sec", secs(*d)),
        ),
        WireRecord::KillFired => ("wl_timer", "FAILING CONNECTION".to_string()),
        WireRecord::CloseAfter(d) => (
            "wl_timer",
            format!("CLOSE CONNECTION AFTER {} sec", secs(*d)),
        ),
        WireRecord::CloseAfterFired => ("wl_timer", "CLOSING CONNECTION".to_string()),
        WireRecord::WirelogMode(on) => (
            "wl_timer",
            if *on {
                "WIRELOG ENABLED"
            } else {
                "WIRELOG DISABLED"
            }
            .to_string(),
        ),
    }
}

fn wire_log(b: &mut String, r: &CaseResult) {
    b.push_str("<h2>Wire log</h2>\n<div class=\"wirelog\">\n");
    let mut n = 0usize;
    for rec in &r.wirelog {
        let (class, text) = wire_row(rec);
        let _ = writeln!(b, "<div class=\"{class}\">{n:03} {}</div>", escape(&text));
        n += 1;
    }
    let (class, text) = if r.dropped_by_me {
        ("wl_drop_me", "TCP DROPPED BY ME")
    } else {
        ("wl_drop_peer", "TCP DROPPED BY PEER")
    };
    let _ = writeln!(b, "<div class=\"{class}\">{n:03} {text}</div>\n</div>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{sample_result, EVIL_AGENT};

    #[test]
    fn peer_strings_are_escaped() {
        let mut r = sample_result(EVIL_AGENT);
        r.http_response = format!("HTTP/1.1 101 OK\r\nServer: {EVIL_AGENT}\r\n\r\n");
        r.remote_close_reason = Some("<b>bye</b>".into());
        r.was_not_clean_reason = Some("<i>x</i>".into());
        r.result = "<u>r</u>".into();
        r.received = vec![crate::result::EventRecord::Message(
            "</pre><script>".into(),
            false,
        )];
        let html = render_case(&r);
        for raw in [
            "<script>",
            "<img",
            "<b>bye",
            "<i>x",
            "<u>r",
            "</pre><script>",
        ] {
            assert!(!html.contains(raw), "{raw} left unescaped");
        }
        assert!(html.contains(
            "Server: &lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img onerror=x&gt;"
        ));
        assert!(html.contains("<title>&lt;script&gt;"));
    }

    #[test]
    fn long_event_dumps_are_cut() {
        let mut r = sample_result("a");
        r.received = (0..200)
            .map(|i| crate::result::EventRecord::Ping(format!("ping {i}")))
            .collect();
        let html = render_case(&r);
        let observed = html
            .split("<p><i>Observed:</i></p>\n<pre>")
            .nth(1)
            .and_then(|s| s.split("</pre>").next())
            .unwrap();
        assert!(observed.ends_with(" ..."));
        let unescaped = observed.replace("&quot;", "\"");
        assert_eq!(unescaped.chars().count(), 1000 + 4);
    }

    #[test]
    fn dropped_by_me_is_the_last_row() {
        let mut r = sample_result("a");
        r.dropped_by_me = true;
        assert!(render_case(&r).contains("<div class=\"wl_drop_me\">005 TCP DROPPED BY ME</div>"));
        r.dropped_by_me = false;
        assert!(
            render_case(&r).contains("<div class=\"wl_drop_peer\">005 TCP DROPPED BY PEER</div>")
        );
    }

    #[test]
    fn traffic_stats_are_shown_escaped() {
        let mut r = sample_result("a");
        assert!(!render_case(&r).contains("Traffic statistics"));
        let counters = crate::TrafficCounters {
            incoming_octets_app_level: 16000,
            incoming_octets_websocket_level: 4688,
            incoming_octets_wire_level: 6688,
            incoming_websocket_frames: 1000,
            incoming_websocket_messages: 1000,
            preopen_incoming_octets_wire_level: 203,
            preopen_outgoing_octets_wire_level: 340,
            ..Default::default()
        };
        let mut stats = counters.to_value();
        stats["<b>x</b>"] = serde_json::json!("<i>y</i>");
        r.traffic_stats = Some(stats);
        let html = render_case(&r);
        let table = html
            .split("<h3>Traffic statistics</h3>\n")
            .nth(1)
            .and_then(|s| s.split("</table>").next())
            .unwrap();
        for row in [
            "<tr><td>&lt;b&gt;x&lt;/b&gt;</td><td class=\"num\">&lt;i&gt;y&lt;/i&gt;</td><td></td></tr>",
            "<tr><td>incomingCompressionRatio</td><td class=\"num\">0.293</td><td>WebSocket-level / app-level octets received</td></tr>",
            "<tr><td>incomingWebSocketOverhead</td><td class=\"num\">0.42662116040955633</td>",
            "<tr><td>outgoingCompressionRatio</td><td class=\"num\">None</td>",
            "<tr><td>preopenOutgoingOctetsWireLevel</td><td class=\"num\">340</td>",
        ] {
            assert!(table.contains(row), "{row} missing from {table}");
        }
        // Sorted like the JSON: the injected key sorts first, the preopen counters last.
        assert!(table.find("&lt;b&gt;").unwrap() < table.find("incomingCompressionRatio").unwrap());
        assert_eq!(table.matches("<tr>").count(), 1 + 17);
        assert!(!html.contains("<b>x") && !html.contains("<i>y"));
    }

    #[test]
    fn snapshot_case_page() {
        let mut r = sample_result("node-ws");
        if let Some(WireRecord::RxFrame { payload, len, .. }) = r.wirelog.last_mut() {
            *payload = "Hello".into();
            *len = 5;
        }
        // The version changes with every release; the snapshot should not.
        let html = render_case(&r).replace(TOOL, "wsspec VERSION");
        insta::assert_snapshot!(html);
    }
}
