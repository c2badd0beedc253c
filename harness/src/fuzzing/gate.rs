//! Targets over the CI gate's file readers: Autobahn spec files and expectations files.

use std::path::Path;

use wsspec_gate::expect::{Expectations, Format};
use wsspec_gate::spec::{self, Spec};

/// The name errors must carry.
const SPEC_NAME: &str = "fuzz-spec.json";
const EXPECT_NAME: &str = "fuzz-expectations";

/// Oracle: `spec::parse` never panics, a refusal names the file, an accepted spec reads the
/// same twice, names at least one server (fuzzingclient) or a URL (fuzzingserver), and
/// every warning is one line.
pub fn spec_file(data: &[u8]) {
    let path = Path::new(SPEC_NAME);
    match spec::parse(path, data) {
        Err(e) => assert!(e.to_string().contains(SPEC_NAME), "{e}"),
        Ok(loaded) => {
            for w in &loaded.warnings {
                assert!(!w.contains('\n'), "{w:?}");
            }
            match &loaded.spec {
                Spec::Client(c) => {
                    for s in &c.servers {
                        let _ = c
                            .selection
                            .excluded_for(s.agent.as_deref().unwrap_or(""), "1.1.1");
                    }
                }
                Spec::Server(s) => {
                    let _ = s.selection.excluded_for("agent", "1.1.1");
                }
            }
            let again = spec::parse(path, data).map(|l| (l.spec, l.warnings));
            assert!(
                matches!(&again, Ok((s, w)) if *s == loaded.spec && *w == loaded.warnings),
                "a second parse differs"
            );
        }
    }
}

/// The entries as a JSON expectations file, written independently of the parser.
fn as_json(e: &Expectations) -> String {
    let entries: Vec<serde_json::Value> = e
        .entries()
        .iter()
        .map(|x| {
            let mut m = serde_json::Map::new();
            m.insert("cases".into(), serde_json::json!(x.cases));
            m.insert("behavior".into(), serde_json::json!(x.behavior.as_str()));
            if let Some(c) = x.behavior_close {
                m.insert("behaviorClose".into(), serde_json::json!(c.as_str()));
            }
            if let Some(a) = &x.agent {
                m.insert("agent".into(), serde_json::json!(a));
            }
            m.insert("reason".into(), serde_json::json!(x.reason));
            serde_json::Value::Object(m)
        })
        .collect();
    serde_json::json!({ "expect": entries }).to_string()
}

/// Oracle: `Expectations::parse` as TOML and as JSON never panics, a refusal names the
/// file, every accepted entry has cases, non-empty globs and a non-blank reason and a line
/// inside the file, lookups run, and the accepted entries written out as JSON read back
/// as the same entries (a differential between the two formats).
pub fn expectations_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for format in [Format::Toml, Format::Json] {
        let path = Path::new(EXPECT_NAME);
        let parsed = match Expectations::parse(text, format, path) {
            Err(e) => {
                assert!(e.to_string().contains(EXPECT_NAME), "{e}");
                continue;
            }
            Ok(p) => p,
        };
        let lines = text.lines().count().max(1);
        for x in parsed.entries() {
            assert!(!x.cases.is_empty() && x.cases.iter().all(|c| !c.is_empty()));
            assert!(!x.reason.trim().is_empty());
            assert!(
                x.line.map_or(true, |l| (1..=lines + 1).contains(&l)),
                "{x:?}"
            );
            let _ = x.covers("1.1.1") || x.applies_to("agent");
        }
        let _ = parsed.lookup("wsspec", "6.4.1");
        let _ = parsed.unmatched_agents(&["a", "b"]);
        let json = as_json(&parsed);
        let back = Expectations::parse(&json, Format::Json, path);
        let strip = |e: &Expectations| {
            e.entries()
                .iter()
                .map(|x| {
                    (
                        x.cases.clone(),
                        x.behavior,
                        x.behavior_close,
                        x.agent.clone(),
                        x.reason.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        match back {
            Ok(b) => assert_eq!(strip(&b), strip(&parsed), "{format} → JSON differs"),
            Err(e) => panic!("accepted {format} entries written as JSON are refused: {e}"),
        }
    }
}
