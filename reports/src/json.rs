//! JSON exactly as Autobahn writes it: Python's
//! `json.dumps(obj, sort_keys=True, indent=3, separators=(',', ': '))` with `ensure_ascii`.
//!
//! Key order comes from the data (structs declared alphabetically, `BTreeMap`s, and the
//! ordering serializers in [`crate::result`]); this module only reproduces the layout,
//! escaping and number formatting byte for byte.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::error::ReportError;

/// Indentation unit of Autobahn's files.
const INDENT: &[u8] = b"   ";

/// A `serde_json` formatter that writes what Python's `json.dumps` writes with
/// `indent=3, separators=(',', ': ')` and `ensure_ascii=True`.
#[derive(Debug, Default)]
pub struct PythonFormatter {
    depth: usize,
    has_value: bool,
}

impl PythonFormatter {
    /// A formatter at the top level.
    pub fn new() -> Self {
        Self::default()
    }

    fn newline_indent<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.depth {
            w.write_all(INDENT)?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        // Python writes empty containers as `[]` / `{}` with nothing between.
        if self.has_value {
            self.newline_indent(w)?;
        }
        w.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline_indent(w)
    }
}

impl Formatter for PythonFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        w.write_all(python_float_repr(f64::from(value)).as_bytes())
    }

    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(python_float_repr(value).as_bytes())
    }

    /// serde_json has already escaped `"`, `\` and C0 controls; everything else outside
    /// printable ASCII (DEL and all non-ASCII) is escaped here, as `ensure_ascii` does.
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut run_start = 0;
        for (i, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            w.write_all(&fragment.as_bytes()[run_start..i])?;
            run_start = i + c.len_utf8();
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
        }
        w.write_all(&fragment.as_bytes()[run_start..])
    }
}

/// Python's `repr(float)`: shortest round-trip digits, positional for decimal exponents
/// -4..16, otherwise scientific with a signed, at-least-two-digit exponent (`1e-05`).
pub fn python_float_repr(value: f64) -> String {
    if !value.is_finite() {
        // serde_json never hands us these (it writes `null`); keep Python's spelling anyway.
        return if value.is_nan() {
            "NaN".into()
        } else if value > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "-1.2345e-5" or "0e0".
    let sci = format!("{:e}", value.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let body = if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{first}{frac}e{exp_sign}{:02}", exp.abs())
    };
    format!("{sign}{body}")
}

/// Serialize `value` the way Autobahn writes its report files (no trailing newline).
pub fn to_autobahn_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(4096);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter::new());
    value.serialize(&mut ser)?;
    // Only ASCII is ever written (ensure_ascii), so this cannot fail in practice.
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

/// [`to_autobahn_json`] with the error turned into a [`ReportError`] naming `what`.
pub(crate) fn to_json_for(what: &str, value: &impl Serialize) -> Result<String, ReportError> {
    to_autobahn_json(value).map_err(|source| ReportError::Serialize {
        what: what.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn layout_matches_python() {
        let v = json!({"a": [1, [], {}], "b": {"c": null, "d": true}, "e": "x"});
        let expected = "{\n   \"a\": [\n      1,\n      [],\n      {}\n   ],\n   \"b\": {\n      \"c\": null,\n      \"d\": true\n   },\n   \"e\": \"x\"\n}";
        assert_eq!(to_autobahn_json(&v).unwrap(), expected);
        assert_eq!(to_autobahn_json(&json!([])).unwrap(), "[]");
        assert_eq!(to_autobahn_json(&json!({})).unwrap(), "{}");
    }

    #[test]
    fn strings_are_escaped_like_ensure_ascii() {
        let s = "Hello-\u{b5}@\u{df} \"q\" \\ /\n\r\t\u{8}\u{c}\u{1}\u{7f} \u{1F600} \u{20ac}";
        assert_eq!(
            to_autobahn_json(s).unwrap(),
            r#""Hello-\u00b5@\u00df \"q\" \\ /\n\r\t\b\f\u0001\u007f \ud83d\ude00 \u20ac""#
        );
        // Keys go through the same path.
        let mut m = BTreeMap::new();
        m.insert("\u{e9}", 1);
        assert_eq!(to_autobahn_json(&m).unwrap(), "{\n   \"\\u00e9\": 1\n}");
    }

    #[test]
    fn floats_match_python_repr() {
        for (v, want) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.5, "0.5"),
            (0.0433, "0.0433"),
            (0.000704, "0.000704"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123456.789, "123456.789"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.25e100, "1.25e+100"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(python_float_repr(v), want, "{v}");
        }
        assert_eq!(
            to_autobahn_json(&json!([0.1, 2])).unwrap(),
            "[\n   0.1,\n   2\n]"
        );
    }
}

#[cfg(test)]
mod case_result_tests {
    use super::*;
    use crate::test_support::sample_result;

    /// Written by hand after Autobahn's node_ws_case_1_1_1.json (same layout, our smaller
    /// handshake and wire log); note the numeric order of the octet-stat keys and the
    /// `\u` escapes of non-ASCII text.
    const EXPECTED: &str = r#"{
   "agent": "node-ws",
   "behavior": "OK",
   "behaviorClose": "OK",
   "case": 1,
   "closedByMe": true,
   "createStats": true,
   "createWirelog": true,
   "description": "Send text message with payload 0.",
   "droppedByMe": false,
   "duration": 1,
   "expectation": "Receive echo'ed text message (with empty payload). Clean close with normal code.",
   "expected": {
      "OK": [
         [
            "message",
            "",
            false
         ]
      ]
   },
   "expectedClose": {
      "closeCode": [
         1000
      ],
      "closedByMe": true,
      "requireClean": true
   },
   "failedByMe": false,
   "httpRequest": "GET / HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUpgrade: websocket\r\n\r\n",
   "httpResponse": "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
   "id": "1.1.1",
   "isServer": false,
   "localCloseCode": 1000,
   "localCloseReason": null,
   "received": [
      [
         "message",
         "",
         false
      ]
   ],
   "remoteCloseCode": 1000,
   "remoteCloseReason": "Hello-\u00b5@\u00df \u2603 \ud83d\ude00",
   "reportCompressionRatio": false,
   "reportTime": false,
   "result": "Actual events match at least one expected.",
   "resultClose": "Connection was properly closed",
   "rxFrameStats": {
      "1": 1,
      "8": 1
   },
   "rxOctetStats": {
      "2": 1,
      "4": 1,
      "129": 1
   },
   "started": "2026-11-29T16:58:58.608Z",
   "trafficStats": {
      "incomingCompressionRatio": 0.0433,
      "outgoingWebSocketOverhead": 1e-05,
      "preopenIncomingOctetsWireLevel": 203
   },
   "txFrameStats": {
      "1": 1,
      "8": 1
   },
   "txOctetStats": {
      "6": 1,
      "8": 1,
      "242": 1
   },
   "wasClean": true,
   "wasCloseHandshakeTimeout": false,
   "wasNotCleanReason": null,
   "wasOpenHandshakeTimeout": false,
   "wasServerConnectionDropTimeout": false,
   "wirelog": [
      [
         "TF",
         [
            0,
            ""
         ],
         1,
         true,
         0,
         "e8947c4f",
         null,
         null,
         false
      ],
      [
         "TO",
         [
            6,
            "8180e8947c4f"
         ],
         false
      ],
      [
         "KL",
         1
      ],
      [
         "RO",
         [
            2,
            "8100"
         ]
      ],
      [
         "RF",
         [
            0,
            ""
         ],
         1,
         true,
         0,
         false,
         null
      ]
   ]
}"#;

    #[test]
    fn case_result_matches_autobahn_byte_for_byte() {
        let mut r = sample_result("node-ws");
        r.remote_close_reason = Some("Hello-\u{b5}@\u{df} \u{2603} \u{1F600}".into());
        // Inserted out of order on purpose: the writer must sort.
        let mut stats = serde_json::Map::new();
        stats.insert("preopenIncomingOctetsWireLevel".into(), 203.into());
        stats.insert(
            "outgoingWebSocketOverhead".into(),
            serde_json::json!(0.00001),
        );
        stats.insert("incomingCompressionRatio".into(), serde_json::json!(0.0433));
        r.traffic_stats = Some(serde_json::Value::Object(stats));
        assert_eq!(to_autobahn_json(&r).unwrap(), EXPECTED);
    }
}
