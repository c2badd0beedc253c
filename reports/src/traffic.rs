//! `trafficStats`: the octet, frame and message counters of a compression case, and the
//! ratios derived from them, in the keys and number formats of Autobahn's per-case JSON.
//!
//! Autobahn divides as Python floats do, without rounding (checked against every 12.x and
//! 13.x reference report, see `tests/reference.rs`):
//!
//! - compression ratio = WebSocket-level octets / app-level octets, `null` when no
//!   app-level octet passed;
//! - WebSocket overhead = (wire-level − WebSocket-level octets) / WebSocket-level octets,
//!   `null` when no WebSocket-level octet passed.
//!
//! The levels: *app* is message payload before compression, *WebSocket* is frame payload
//! as sent (compressed), *wire* is every octet of the frames, headers included. Octets of
//! the opening handshake count only in the two `preopen…` counters.

use serde_json::{Map, Value};

/// The counters behind `trafficStats`, one direction each way plus the opening handshake.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TrafficCounters {
    /// Payload octets of the messages received, after decompression.
    pub incoming_octets_app_level: u64,
    /// Payload octets of the frames received, as they were on the wire (compressed).
    pub incoming_octets_websocket_level: u64,
    /// Octets of the frames received, headers included.
    pub incoming_octets_wire_level: u64,
    /// Data frames received (control frames are not counted).
    pub incoming_websocket_frames: u64,
    /// Messages received.
    pub incoming_websocket_messages: u64,
    /// Payload octets of the messages sent, before compression.
    pub outgoing_octets_app_level: u64,
    /// Payload octets of the frames sent (compressed).
    pub outgoing_octets_websocket_level: u64,
    /// Octets of the frames sent, headers included.
    pub outgoing_octets_wire_level: u64,
    /// Data frames sent.
    pub outgoing_websocket_frames: u64,
    /// Messages sent.
    pub outgoing_websocket_messages: u64,
    /// Octets received before the connection opened (the opening handshake).
    pub preopen_incoming_octets_wire_level: u64,
    /// Octets sent before the connection opened (the opening handshake).
    pub preopen_outgoing_octets_wire_level: u64,
}

/// Compressed size over uncompressed size; `None` when nothing was sent at app level.
pub fn compression_ratio(app_level: u64, websocket_level: u64) -> Option<f64> {
    // `u64 as f64` rounds to nearest, as Python's `float(int)` does.
    (app_level > 0).then(|| websocket_level as f64 / app_level as f64)
}

/// Framing octets over payload octets; `None` when no payload octet passed. A wire count
/// below the WebSocket count (inconsistent counters) gives a negative ratio, as in Python.
pub fn websocket_overhead(websocket_level: u64, wire_level: u64) -> Option<f64> {
    (websocket_level > 0).then(|| {
        let framing = i128::from(wire_level) - i128::from(websocket_level);
        framing as f64 / websocket_level as f64
    })
}

/// The incoming and outgoing compression ratios a report shows in its index cell
/// (Autobahn's ` [in/out]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompressionRatios {
    /// `incomingCompressionRatio`; `None` for `null`.
    pub incoming: Option<f64>,
    /// `outgoingCompressionRatio`; `None` for `null`.
    pub outgoing: Option<f64>,
}

impl CompressionRatios {
    /// The ratios stored in a `trafficStats` value (`None` when it is not an object).
    /// A ratio that is missing or not a number counts as `null`.
    pub fn from_traffic_stats(stats: &Value) -> Option<Self> {
        let obj = stats.as_object()?;
        let ratio = |key: &str| obj.get(key).and_then(Value::as_f64);
        Some(CompressionRatios {
            incoming: ratio("incomingCompressionRatio"),
            outgoing: ratio("outgoingCompressionRatio"),
        })
    }

    /// Autobahn's index-cell text: `[0.293/0.985]`, three decimals, `-` for `null`.
    pub fn cell_text(&self) -> String {
        let show = |r: Option<f64>| r.map_or_else(|| "-".to_string(), |r| format!("{r:.3}"));
        format!("[{}/{}]", show(self.incoming), show(self.outgoing))
    }
}

impl TrafficCounters {
    /// `incomingCompressionRatio`.
    pub fn incoming_compression_ratio(&self) -> Option<f64> {
        compression_ratio(
            self.incoming_octets_app_level,
            self.incoming_octets_websocket_level,
        )
    }

    /// `outgoingCompressionRatio`.
    pub fn outgoing_compression_ratio(&self) -> Option<f64> {
        compression_ratio(
            self.outgoing_octets_app_level,
            self.outgoing_octets_websocket_level,
        )
    }

    /// `incomingWebSocketOverhead`.
    pub fn incoming_websocket_overhead(&self) -> Option<f64> {
        websocket_overhead(
            self.incoming_octets_websocket_level,
            self.incoming_octets_wire_level,
        )
    }

    /// `outgoingWebSocketOverhead`.
    pub fn outgoing_websocket_overhead(&self) -> Option<f64> {
        websocket_overhead(
            self.outgoing_octets_websocket_level,
            self.outgoing_octets_wire_level,
        )
    }

    /// Both compression ratios, for the index cell.
    pub fn compression_ratios(&self) -> CompressionRatios {
        CompressionRatios {
            incoming: self.incoming_compression_ratio(),
            outgoing: self.outgoing_compression_ratio(),
        }
    }

    /// The 12 counters under their `trafficStats` keys.
    fn fields(&self) -> [(&'static str, u64); 12] {
        [
            ("incomingOctetsAppLevel", self.incoming_octets_app_level),
            (
                "incomingOctetsWebSocketLevel",
                self.incoming_octets_websocket_level,
            ),
            ("incomingOctetsWireLevel", self.incoming_octets_wire_level),
            ("incomingWebSocketFrames", self.incoming_websocket_frames),
            (
                "incomingWebSocketMessages",
                self.incoming_websocket_messages,
            ),
            ("outgoingOctetsAppLevel", self.outgoing_octets_app_level),
            (
                "outgoingOctetsWebSocketLevel",
                self.outgoing_octets_websocket_level,
            ),
            ("outgoingOctetsWireLevel", self.outgoing_octets_wire_level),
            ("outgoingWebSocketFrames", self.outgoing_websocket_frames),
            (
                "outgoingWebSocketMessages",
                self.outgoing_websocket_messages,
            ),
            (
                "preopenIncomingOctetsWireLevel",
                self.preopen_incoming_octets_wire_level,
            ),
            (
                "preopenOutgoingOctetsWireLevel",
                self.preopen_outgoing_octets_wire_level,
            ),
        ]
    }

    /// The `trafficStats` object: the 12 counters plus the 4 ratios (`null` when
    /// undefined), keys in Autobahn's sorted order. Put it in
    /// [`CaseResult::traffic_stats`](crate::CaseResult::traffic_stats).
    pub fn to_value(&self) -> Value {
        let ratio = |r: Option<f64>| r.map_or(Value::Null, Value::from);
        let mut entries: Vec<(&str, Value)> = self
            .fields()
            .into_iter()
            .map(|(k, v)| (k, Value::from(v)))
            .collect();
        entries.extend([
            (
                "incomingCompressionRatio",
                ratio(self.incoming_compression_ratio()),
            ),
            (
                "incomingWebSocketOverhead",
                ratio(self.incoming_websocket_overhead()),
            ),
            (
                "outgoingCompressionRatio",
                ratio(self.outgoing_compression_ratio()),
            ),
            (
                "outgoingWebSocketOverhead",
                ratio(self.outgoing_websocket_overhead()),
            ),
        ]);
        entries.sort_by(|a, b| a.0.cmp(b.0));
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<Map<String, Value>>(),
        )
    }

    /// The counters of a `trafficStats` object (the ratios are ignored: they follow from
    /// the counters). `None` unless every counter is present as a non-negative integer.
    pub fn from_value(stats: &Value) -> Option<Self> {
        let obj = stats.as_object()?;
        let get = |key: &str| obj.get(key).and_then(Value::as_u64);
        Some(TrafficCounters {
            incoming_octets_app_level: get("incomingOctetsAppLevel")?,
            incoming_octets_websocket_level: get("incomingOctetsWebSocketLevel")?,
            incoming_octets_wire_level: get("incomingOctetsWireLevel")?,
            incoming_websocket_frames: get("incomingWebSocketFrames")?,
            incoming_websocket_messages: get("incomingWebSocketMessages")?,
            outgoing_octets_app_level: get("outgoingOctetsAppLevel")?,
            outgoing_octets_websocket_level: get("outgoingOctetsWebSocketLevel")?,
            outgoing_octets_wire_level: get("outgoingOctetsWireLevel")?,
            outgoing_websocket_frames: get("outgoingWebSocketFrames")?,
            outgoing_websocket_messages: get("outgoingWebSocketMessages")?,
            preopen_incoming_octets_wire_level: get("preopenIncomingOctetsWireLevel")?,
            preopen_outgoing_octets_wire_level: get("preopenOutgoingOctetsWireLevel")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::to_autobahn_json;

    /// Autobahn's node_ws_case_12_1_1.json, `trafficStats` as written (sorted keys).
    const WS_12_1_1: &str = r#"{
   "incomingCompressionRatio": 0.293,
   "incomingOctetsAppLevel": 16000,
   "incomingOctetsWebSocketLevel": 4688,
   "incomingOctetsWireLevel": 6688,
   "incomingWebSocketFrames": 1000,
   "incomingWebSocketMessages": 1000,
   "incomingWebSocketOverhead": 0.42662116040955633,
   "outgoingCompressionRatio": 0.9851875,
   "outgoingOctetsAppLevel": 16000,
   "outgoingOctetsWebSocketLevel": 15763,
   "outgoingOctetsWireLevel": 21763,
   "outgoingWebSocketFrames": 1000,
   "outgoingWebSocketMessages": 1000,
   "outgoingWebSocketOverhead": 0.38063820338768,
   "preopenIncomingOctetsWireLevel": 203,
   "preopenOutgoingOctetsWireLevel": 340
}"#;

    fn ws_12_1_1() -> TrafficCounters {
        TrafficCounters {
            incoming_octets_app_level: 16000,
            incoming_octets_websocket_level: 4688,
            incoming_octets_wire_level: 6688,
            incoming_websocket_frames: 1000,
            incoming_websocket_messages: 1000,
            outgoing_octets_app_level: 16000,
            outgoing_octets_websocket_level: 15763,
            outgoing_octets_wire_level: 21763,
            outgoing_websocket_frames: 1000,
            outgoing_websocket_messages: 1000,
            preopen_incoming_octets_wire_level: 203,
            preopen_outgoing_octets_wire_level: 340,
        }
    }

    #[test]
    fn counters_serialize_as_autobahn_does() {
        let c = ws_12_1_1();
        assert_eq!(to_autobahn_json(&c.to_value()).unwrap(), WS_12_1_1);
        let parsed: Value = serde_json::from_str(WS_12_1_1).unwrap();
        assert_eq!(TrafficCounters::from_value(&parsed), Some(c));
    }

    #[test]
    fn ratios_are_null_without_traffic() {
        let c = TrafficCounters {
            preopen_incoming_octets_wire_level: 129,
            preopen_outgoing_octets_wire_level: 240,
            ..TrafficCounters::default()
        };
        let v = c.to_value();
        for key in [
            "incomingCompressionRatio",
            "incomingWebSocketOverhead",
            "outgoingCompressionRatio",
            "outgoingWebSocketOverhead",
        ] {
            assert_eq!(v[key], Value::Null, "{key}");
        }
        assert_eq!(v.as_object().unwrap().len(), 16);
        // Only empty messages: frame headers on the wire, but no payload at either level.
        let empty = TrafficCounters {
            outgoing_octets_wire_level: 6,
            outgoing_websocket_frames: 1,
            outgoing_websocket_messages: 1,
            ..c
        };
        assert_eq!(empty.outgoing_compression_ratio(), None);
        assert_eq!(empty.outgoing_websocket_overhead(), None);
        // A 1-octet deflate block for a 16-octet message.
        let tiny = TrafficCounters {
            outgoing_octets_app_level: 16,
            outgoing_octets_websocket_level: 1,
            outgoing_octets_wire_level: 7,
            ..c
        };
        assert_eq!(tiny.outgoing_compression_ratio(), Some(0.0625));
        assert_eq!(tiny.outgoing_websocket_overhead(), Some(6.0));
        assert_eq!(
            to_autobahn_json(&tiny.to_value()["outgoingWebSocketOverhead"]).unwrap(),
            "6.0"
        );
    }

    #[test]
    fn overhead_may_be_negative_like_python() {
        assert_eq!(websocket_overhead(10, 5), Some(-0.5));
        assert_eq!(websocket_overhead(0, 5), None);
        assert_eq!(compression_ratio(0, 5), None);
        assert_eq!(compression_ratio(u64::MAX, u64::MAX), Some(1.0));
    }

    #[test]
    fn cell_text_matches_autobahn() {
        let r = ws_12_1_1().compression_ratios();
        assert_eq!(r.cell_text(), "[0.293/0.985]");
        let r = CompressionRatios {
            incoming: None,
            outgoing: Some(0.0625),
        };
        // Python's "%.3f" rounds half to even on the exact binary value; so does Rust.
        assert_eq!(r.cell_text(), "[-/0.062]");
        let parsed: Value = serde_json::from_str(WS_12_1_1).unwrap();
        assert_eq!(
            CompressionRatios::from_traffic_stats(&parsed),
            Some(ws_12_1_1().compression_ratios())
        );
        assert_eq!(CompressionRatios::from_traffic_stats(&Value::Null), None);
    }
}
