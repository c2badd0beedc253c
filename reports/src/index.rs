//! `index.json`: the agent × case summary, parsed back for merging and written out again.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use wsspec_cases::{CloseVerdict, Verdict};

use crate::error::ReportError;
use crate::result::IndexEntry;

/// The whole index: agent → case id → entry; both levels sorted as strings, as Autobahn does.
pub type Index = BTreeMap<String, BTreeMap<String, IndexEntry>>;

/// Every behaviour verdict, for parsing Autobahn's spelling back.
const VERDICTS: [Verdict; 5] = [
    Verdict::Ok,
    Verdict::NonStrict,
    Verdict::Failed,
    Verdict::Informational,
    Verdict::Unimplemented,
];

/// Every close verdict, for parsing Autobahn's spelling back.
const CLOSE_VERDICTS: [CloseVerdict; 7] = [
    CloseVerdict::Ok,
    CloseVerdict::Failed,
    CloseVerdict::WrongCode,
    CloseVerdict::Unclean,
    CloseVerdict::FailedByClient,
    CloseVerdict::Informational,
    CloseVerdict::Unimplemented,
];

/// Parse a behaviour verdict spelled as Autobahn spells it (`"NON-STRICT"`, …).
pub fn parse_verdict(s: &str) -> Option<Verdict> {
    VERDICTS.into_iter().find(|v| v.as_str() == s)
}

/// Parse a close verdict spelled as Autobahn spells it (`"WRONG CODE"`, …).
pub fn parse_close_verdict(s: &str) -> Option<CloseVerdict> {
    CLOSE_VERDICTS.into_iter().find(|v| v.as_str() == s)
}

/// Parse the bytes of an existing `index.json`; every problem is reported with its location.
pub fn parse_index(path: &Path, bytes: &[u8]) -> Result<Index, ReportError> {
    let bad = |problem: String| ReportError::MalformedIndex {
        path: path.to_path_buf(),
        problem,
    };
    let root: Value =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let Value::Object(agents) = root else {
        return Err(bad("the top level is not an object of agents".into()));
    };
    let mut index = Index::new();
    for (agent, cases) in agents {
        let Value::Object(cases) = cases else {
            return Err(bad(format!(
                "agent {agent:?} does not map to an object of cases"
            )));
        };
        let mut parsed = BTreeMap::new();
        for (id, entry) in cases {
            let entry = parse_entry(&entry)
                .map_err(|problem| bad(format!("agent {agent:?}, case {id:?}: {problem}")))?;
            parsed.insert(id, entry);
        }
        index.insert(agent, parsed);
    }
    Ok(index)
}

fn parse_entry(v: &Value) -> Result<IndexEntry, String> {
    let Value::Object(obj) = v else {
        return Err("entry is not an object".into());
    };
    let field = |name: &str| {
        obj.get(name)
            .ok_or_else(|| format!("missing field {name:?}"))
    };
    let string = |name: &str| {
        field(name)?
            .as_str()
            .ok_or_else(|| format!("field {name:?} is not a string"))
    };
    let behavior = string("behavior")?;
    let behavior =
        parse_verdict(behavior).ok_or_else(|| format!("unknown behavior {behavior:?}"))?;
    let close = string("behaviorClose")?;
    let behavior_close =
        parse_close_verdict(close).ok_or_else(|| format!("unknown behaviorClose {close:?}"))?;
    let duration = field("duration")?
        .as_u64()
        .ok_or_else(|| "field \"duration\" is not a non-negative integer".to_string())?;
    let remote_close_code = match field("remoteCloseCode")? {
        Value::Null => None,
        v => Some(
            v.as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| "field \"remoteCloseCode\" is not null or a u16".to_string())?,
        ),
    };
    let reportfile = string("reportfile")?.to_string();
    Ok(IndexEntry {
        behavior,
        behavior_close,
        duration,
        remote_close_code,
        reportfile,
    })
}

/// Replace `agent`'s entries for the ids in `entries`, keeping everything else.
pub fn merge(index: &mut Index, agent: &str, entries: &BTreeMap<String, IndexEntry>) {
    let cases = index.entry(agent.to_string()).or_default();
    for (id, entry) in entries {
        cases.insert(id.clone(), entry.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::to_autobahn_json;

    #[test]
    fn verdict_spellings_round_trip() {
        for v in VERDICTS {
            assert_eq!(parse_verdict(v.as_str()), Some(v));
        }
        for v in CLOSE_VERDICTS {
            assert_eq!(parse_close_verdict(v.as_str()), Some(v));
        }
        assert_eq!(parse_verdict("ok"), None);
    }

    #[test]
    fn reference_index_round_trips_byte_for_byte() {
        let text = r#"{
   "node-ws": {
      "1.1.1": {
         "behavior": "OK",
         "behaviorClose": "OK",
         "duration": 1,
         "remoteCloseCode": 1000,
         "reportfile": "node_ws_case_1_1_1.json"
      },
      "10.1.1": {
         "behavior": "NON-STRICT",
         "behaviorClose": "WRONG CODE",
         "duration": 2,
         "remoteCloseCode": null,
         "reportfile": "node_ws_case_10_1_1.json"
      },
      "2.1": {
         "behavior": "UNIMPLEMENTED",
         "behaviorClose": "FAILED BY CLIENT",
         "duration": 0,
         "remoteCloseCode": 1002,
         "reportfile": "node_ws_case_2_1.json"
      }
   }
}"#;
        let index = parse_index(Path::new("index.json"), text.as_bytes()).unwrap();
        assert_eq!(to_autobahn_json(&index).unwrap(), text);
    }

    #[test]
    fn malformed_entries_are_named() {
        let text = br#"{"a": {"1.1": {"behavior": "MAYBE", "behaviorClose": "OK", "duration": 1, "remoteCloseCode": null, "reportfile": "x"}}}"#;
        let err = parse_index(Path::new("/r/index.json"), text).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("/r/index.json") && msg.contains("MAYBE") && msg.contains("1.1"),
            "{msg}"
        );
        for text in [
            &b"[]"[..],
            b"{\"a\": 1}",
            b"{\"a\": {\"1\": {}}}",
            b"",
            b"{",
        ] {
            assert!(matches!(
                parse_index(Path::new("i"), text),
                Err(ReportError::MalformedIndex { .. })
            ));
        }
    }
}
