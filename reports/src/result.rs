//! The result of one case, field for field Autobahn's per-case JSON.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use wsspec_cases::{CloseVerdict, Verdict};

use crate::traffic::CompressionRatios;

/// A received or expected event, already rendered the way Autobahn reports it
/// (payloads cut to 64 characters, non-UTF-8 as `0x…` hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventRecord {
    /// `["message", payload, isBinary]`
    Message(String, bool),
    /// `["ping", payload]`
    Ping(String),
    /// `["pong", payload]`
    Pong(String),
    /// `["timeout", tag]`
    Timeout(String),
}

impl Serialize for EventRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EventRecord::Message(p, bin) => {
                let mut seq = s.serialize_seq(Some(3))?;
                seq.serialize_element("message")?;
                seq.serialize_element(p)?;
                seq.serialize_element(bin)?;
                seq.end()
            }
            EventRecord::Ping(p) => ("ping", p).serialize(s),
            EventRecord::Pong(p) => ("pong", p).serialize(s),
            EventRecord::Timeout(t) => ("timeout", t).serialize(s),
        }
    }
}

/// One wire-log row, serialized as Autobahn's tuples.
#[derive(Debug, Clone, PartialEq)]
pub enum WireRecord {
    /// `["TO", [len, hex], sync]`: octets sent.
    TxOctets {
        /// Number of octets.
        len: usize,
        /// Hex of the first 64 octets, with " ..." when cut.
        hex: String,
        /// Whether the write was synchronous.
        sync: bool,
    },
    /// `["RO", [len, hex]]`: octets received.
    RxOctets {
        /// Number of octets.
        len: usize,
        /// Hex of the first 64 octets, with " ..." when cut.
        hex: String,
    },
    /// `["TF", [len, payload], opcode, fin, rsv, mask, repeatLength, chopsize, sync]`: frame sent.
    TxFrame {
        /// Payload length.
        len: usize,
        /// Payload as shown (text or `0x` hex, cut).
        payload: String,
        /// Opcode.
        opcode: u8,
        /// FIN bit.
        fin: bool,
        /// RSV bits.
        rsv: u8,
        /// Mask key as hex, if masked.
        mask: Option<String>,
        /// Repeat length, if the payload was a repeated pattern.
        repeat_length: Option<usize>,
        /// Chop size, if chopped.
        chopsize: Option<usize>,
        /// Whether the write was synchronous.
        sync: bool,
    },
    /// `["RF", [len, payload], opcode, fin, rsv, masked, mask]`: frame received.
    RxFrame {
        /// Payload length.
        len: usize,
        /// Payload as shown.
        payload: String,
        /// Opcode.
        opcode: u8,
        /// FIN bit.
        fin: bool,
        /// RSV bits.
        rsv: u8,
        /// Whether the frame was masked.
        masked: bool,
        /// Mask key as hex, if masked.
        mask: Option<String>,
    },
    /// `["CT", delay, tag]`: a tagged delay was scheduled (seconds).
    ContinueLater(f64, Option<String>),
    /// `["CTE", tag]`: the tagged delay fired.
    ContinueLaterFired(Option<String>),
    /// `["KL", delay]`: kill scheduled (seconds).
    KillAfter(f64),
    /// `["KLE"]`: kill executed.
    KillFired,
    /// `["TI", delay]`: close scheduled (seconds).
    CloseAfter(f64),
    /// `["TIE"]`: scheduled close executed.
    CloseAfterFired,
    /// `["WLM", enabled]`: wire log switched on or off.
    WirelogMode(bool),
}

impl Serialize for WireRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            WireRecord::TxOctets { len, hex, sync } => ("TO", (len, hex), sync).serialize(s),
            WireRecord::RxOctets { len, hex } => ("RO", (len, hex)).serialize(s),
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
                "TF",
                (len, payload),
                opcode,
                fin,
                rsv,
                mask,
                repeat_length,
                chopsize,
                sync,
            )
                .serialize(s),
            WireRecord::RxFrame {
                len,
                payload,
                opcode,
                fin,
                rsv,
                masked,
                mask,
            } => ("RF", (len, payload), opcode, fin, rsv, masked, mask).serialize(s),
            WireRecord::ContinueLater(d, tag) => ("CT", secs(*d), tag).serialize(s),
            WireRecord::ContinueLaterFired(tag) => ("CTE", tag).serialize(s),
            WireRecord::KillAfter(d) => ("KL", secs(*d)).serialize(s),
            WireRecord::KillFired => ["KLE"].serialize(s),
            WireRecord::CloseAfter(d) => ("TI", secs(*d)).serialize(s),
            WireRecord::CloseAfterFired => ["TIE"].serialize(s),
            WireRecord::WirelogMode(on) => ("WLM", on).serialize(s),
        }
    }
}

/// Whole seconds print as integers (Autobahn writes `1`, not `1.0`).
fn secs(d: f64) -> serde_json::Value {
    if d.fract() == 0.0 && d.abs() < 1e15 {
        serde_json::Value::from(d as i64)
    } else {
        serde_json::Value::from(d)
    }
}

/// Autobahn's stats maps have integer keys, which Python sorts numerically before turning
/// them into strings ("4" before "129"); keep that order so files match byte for byte.
fn numeric_key_order<S: Serializer>(map: &BTreeMap<String, u64>, s: S) -> Result<S::Ok, S::Error> {
    let mut entries: Vec<(&String, &u64)> = map.iter().collect();
    // Non-numeric keys (never produced by the engine) sort after the numeric ones, as strings.
    entries.sort_by(|(a, _), (b, _)| {
        let key = |k: &str| {
            (
                k.parse::<u64>().map_or(1, |_| 0),
                k.parse::<u64>().unwrap_or(0),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    let mut m = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// `serde_json::Value` keeps insertion order (the workspace enables `preserve_order`), but
/// Autobahn sorts every key; sort objects at every depth while serializing.
fn sorted_keys<S: Serializer>(value: &Option<serde_json::Value>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        None => s.serialize_none(),
        Some(v) => SortedValue(v).serialize(s),
    }
}

/// A view of a JSON value that serializes object keys in sorted order.
struct SortedValue<'a>(&'a serde_json::Value);

impl Serialize for SortedValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            serde_json::Value::Object(obj) => {
                let mut keys: Vec<&String> = obj.keys().collect();
                keys.sort();
                let mut m = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    if let Some(v) = obj.get(k) {
                        m.serialize_entry(k, &SortedValue(v))?;
                    }
                }
                m.end()
            }
            serde_json::Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&SortedValue(v))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

/// Expected closing behaviour as reported (`expectedClose`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedCloseRecord {
    /// Allowed close codes.
    #[serde(rename = "closeCode")]
    pub close_code: Vec<u16>,
    /// Whether the harness must start the close.
    #[serde(rename = "closedByMe")]
    pub closed_by_me: bool,
    /// Present (true) only for the UTF-8 cases, as in Autobahn.
    #[serde(
        rename = "closedByWrongEndpointIsFatal",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub closed_by_wrong_endpoint_is_fatal: bool,
    /// Whether a clean close is required.
    #[serde(rename = "requireClean")]
    pub require_clean: bool,
}

/// One case's result: every field of Autobahn's per-case JSON, same names and types.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseResult {
    /// Testee name.
    pub agent: String,
    /// Behaviour verdict.
    pub behavior: Verdict,
    /// Closing-handshake verdict.
    pub behavior_close: CloseVerdict,
    /// 1-based index of the case in the run's case list.
    pub case: usize,
    /// Whether the harness started the closing handshake.
    pub closed_by_me: bool,
    /// Statistics were collected.
    pub create_stats: bool,
    /// Wire log was on at the end.
    pub create_wirelog: bool,
    /// Case description.
    pub description: String,
    /// Whether the harness dropped TCP.
    pub dropped_by_me: bool,
    /// Case duration in ms, from open to connection loss.
    pub duration: u64,
    /// Case expectation text.
    pub expectation: String,
    /// Acceptable event sequences by verdict name.
    pub expected: BTreeMap<String, Vec<EventRecord>>,
    /// Expected closing behaviour.
    pub expected_close: ExpectedCloseRecord,
    /// Whether the harness failed the connection.
    pub failed_by_me: bool,
    /// The raw opening request (`"?"` if none was sent).
    pub http_request: String,
    /// The raw opening response (`"?"` if none was received).
    pub http_response: String,
    /// Case id.
    pub id: String,
    /// Whether the harness was the server.
    pub is_server: bool,
    /// Close code the harness sent.
    pub local_close_code: Option<u16>,
    /// Close reason the harness sent.
    pub local_close_reason: Option<String>,
    /// Events observed.
    pub received: Vec<EventRecord>,
    /// Close code the peer sent.
    pub remote_close_code: Option<u16>,
    /// Close reason the peer sent.
    pub remote_close_reason: Option<String>,
    /// Whether the HTML shows compression ratios.
    pub report_compression_ratio: bool,
    /// Whether the HTML shows the duration.
    pub report_time: bool,
    /// Human-readable outcome of the behaviour check.
    pub result: String,
    /// Human-readable outcome of the close check.
    pub result_close: String,
    /// Received frames per opcode.
    #[serde(serialize_with = "numeric_key_order")]
    pub rx_frame_stats: BTreeMap<String, u64>,
    /// Received TCP reads per size.
    #[serde(serialize_with = "numeric_key_order")]
    pub rx_octet_stats: BTreeMap<String, u64>,
    /// UTC start time, ISO 8601 with milliseconds.
    pub started: String,
    /// Compression statistics (categories 12/13 only): build it with
    /// [`TrafficCounters::to_value`](crate::TrafficCounters::to_value).
    #[serde(serialize_with = "sorted_keys")]
    pub traffic_stats: Option<serde_json::Value>,
    /// Sent frames per opcode.
    #[serde(serialize_with = "numeric_key_order")]
    pub tx_frame_stats: BTreeMap<String, u64>,
    /// Sent TCP writes per size.
    #[serde(serialize_with = "numeric_key_order")]
    pub tx_octet_stats: BTreeMap<String, u64>,
    /// Whether the connection ended cleanly.
    pub was_clean: bool,
    /// The close handshake timed out.
    pub was_close_handshake_timeout: bool,
    /// Why the connection was not clean.
    pub was_not_clean_reason: Option<String>,
    /// The opening handshake timed out.
    pub was_open_handshake_timeout: bool,
    /// The server did not drop TCP in time after the close handshake.
    pub was_server_connection_drop_timeout: bool,
    /// The wire log.
    pub wirelog: Vec<WireRecord>,
}

/// The per-case summary stored in `index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexEntry {
    /// Behaviour verdict.
    pub behavior: Verdict,
    /// Closing verdict.
    pub behavior_close: CloseVerdict,
    /// Duration in ms.
    pub duration: u64,
    /// Close code the peer sent.
    pub remote_close_code: Option<u16>,
    /// File name of the per-case JSON.
    pub reportfile: String,
}

impl CaseResult {
    /// The index entry for this result, given its report file name.
    pub fn index_entry(&self, reportfile: String) -> IndexEntry {
        IndexEntry {
            behavior: self.behavior,
            behavior_close: self.behavior_close,
            duration: self.duration,
            remote_close_code: self.remote_close_code,
            reportfile,
        }
    }

    /// The ratios the index cell shows (Autobahn's ` [in/out]`): only when
    /// `reportCompressionRatio` is set and `trafficStats` is an object.
    pub fn compression_ratios(&self) -> Option<CompressionRatios> {
        if !self.report_compression_ratio {
            return None;
        }
        self.traffic_stats
            .as_ref()
            .and_then(CompressionRatios::from_traffic_stats)
    }
}

/// Render a payload as Autobahn shows it: UTF-8 text cut to 64 characters plus `" ..."`,
/// anything else as `0x` and the hex of the first 64 octets (plus `" ..."` when cut).
pub fn render_payload(payload: &[u8]) -> String {
    match std::str::from_utf8(payload) {
        Ok(text) => {
            let mut chars = text.char_indices();
            match chars.nth(64) {
                Some((cut, _)) => format!("{} ...", &text[..cut]),
                None => text.to_string(),
            }
        }
        Err(_) => {
            let shown = &payload[..payload.len().min(64)];
            let mut s = String::with_capacity(2 + shown.len() * 2 + 4);
            s.push_str("0x");
            s.push_str(&hex(shown));
            if payload.len() > 64 {
                s.push_str(" ...");
            }
            s
        }
    }
}

/// Lowercase hex of the bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Hex of the first 64 octets, with `" ..."` when cut (wire-log octet rows).
pub fn render_octets(bytes: &[u8]) -> String {
    let mut s = hex(&bytes[..bytes.len().min(64)]);
    if bytes.len() > 64 {
        s.push_str(" ...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_rendering_matches_autobahn() {
        assert_eq!(render_payload(b"Hello"), "Hello");
        assert_eq!(render_payload(&[0x00, 0xff]), "0x00ff");
        let long = "*".repeat(65536);
        assert_eq!(
            render_payload(long.as_bytes()),
            format!("{} ...", "*".repeat(64))
        );
        assert_eq!(
            render_payload(&[0xfe; 125]),
            format!("0x{} ...", "fe".repeat(64))
        );
    }

    #[test]
    fn wire_records_serialize_as_tuples() {
        let tf = WireRecord::TxFrame {
            len: 2,
            payload: "0x03e8".into(),
            opcode: 8,
            fin: true,
            rsv: 0,
            mask: Some("aaeeb64c".into()),
            repeat_length: None,
            chopsize: None,
            sync: false,
        };
        assert_eq!(
            serde_json::to_string(&tf).unwrap(),
            r#"["TF",[2,"0x03e8"],8,true,0,"aaeeb64c",null,null,false]"#
        );
        assert_eq!(
            serde_json::to_string(&WireRecord::KillAfter(1.0)).unwrap(),
            r#"["KL",1]"#
        );
        assert_eq!(
            serde_json::to_string(&WireRecord::KillFired).unwrap(),
            r#"["KLE"]"#
        );
        assert_eq!(
            serde_json::to_string(&EventRecord::Message("a".into(), false)).unwrap(),
            r#"["message","a",false]"#
        );
    }
}
