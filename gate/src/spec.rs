//! Autobahn spec files, read unchanged: `fuzzingclient.json` (wsspec tests the listed
//! servers) and `fuzzingserver.json` (wsspec serves the cases to clients).
//!
//! Keys wsspec does not know are warned about, never fatal, so a spec file written for
//! Autobahn keeps working; keys whose values wsspec cannot honour are warned about too.
//! A file with `servers` is a fuzzingclient spec; one with a top-level `url` is a
//! fuzzingserver spec.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};
use wsspec_cases::pattern::full_match;
use wsspec_cases::{Dialect, Patterns};

/// Largest spec file read (they are a few hundred bytes in practice).
const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// Why a spec file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read spec file {path}: {source}")]
    Read {
        /// The spec file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than any spec file has a reason to be.
    #[error("spec file {0} is larger than 1 MiB; is it really a spec file?")]
    TooLarge(PathBuf),
    /// Not JSON.
    #[error("spec file {path} is not valid JSON: {problem}")]
    Json {
        /// The spec file.
        path: PathBuf,
        /// What the parser said, with line and column.
        problem: String,
    },
    /// JSON, but not a spec: a key has the wrong type or a required key is missing.
    #[error("spec file {path}: {problem}")]
    Invalid {
        /// The spec file.
        path: PathBuf,
        /// What is wrong, naming the key.
        problem: String,
    },
}

/// A spec file of either mode.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// `fuzzingclient.json`: wsspec is the client and tests servers.
    Client(ClientSpec),
    /// `fuzzingserver.json`: wsspec is the server and tests clients.
    Server(ServerSpec),
}

/// Which cases run, shared by both modes.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSelection {
    /// `cases` (default `["*"]`).
    pub cases: Patterns,
    /// `exclude-cases`.
    pub exclude: Patterns,
    /// `exclude-agent-cases`: agent pattern → case patterns, both matched whole.
    pub exclude_for_agent: Vec<(String, Vec<String>)>,
}

impl CaseSelection {
    /// Whether `exclude-agent-cases` leaves `case_id` out for `agent`.
    pub fn excluded_for(&self, agent: &str, case_id: &str) -> bool {
        self.exclude_for_agent.iter().any(|(agents, cases)| {
            full_match(agents, agent).unwrap_or(false)
                && cases
                    .iter()
                    .any(|c| full_match(c, case_id).unwrap_or(false))
        })
    }
}

/// A fuzzingclient spec.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSpec {
    /// `outdir` (default `./reports/servers`).
    pub outdir: PathBuf,
    /// `servers`, tested one after the other as Autobahn does.
    pub servers: Vec<ServerUnderTest>,
    /// Case selection.
    pub selection: CaseSelection,
}

/// One entry of `servers`, with the global `options` already merged under its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerUnderTest {
    /// `agent`; `None` names it after the server's `Server` header, as Autobahn does.
    pub agent: Option<String>,
    /// `url`.
    pub url: String,
    /// The dialect `options.version` asks for (default RFC 6455).
    pub draft: Dialect,
    /// `options.openHandshakeTimeout`.
    pub open_handshake_timeout: Option<Duration>,
    /// `options.closeHandshakeTimeout`.
    pub close_handshake_timeout: Option<Duration>,
    /// `options.serverConnectionDropTimeout`.
    pub server_drop_timeout: Option<Duration>,
    /// `options.maxMessagePayloadSize` (0 = unlimited in Autobahn, `None` here).
    pub max_message: Option<u64>,
}

/// A fuzzingserver spec.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSpec {
    /// `url`: where to listen (`ws://host:port`; `wss://` with `key` and `cert`).
    pub url: String,
    /// `outdir` (default `./reports/clients`).
    pub outdir: PathBuf,
    /// `cert` (PEM), for a `wss://` URL.
    pub cert: Option<PathBuf>,
    /// `key` (PEM), for a `wss://` URL.
    pub key: Option<PathBuf>,
    /// Case selection.
    pub selection: CaseSelection,
}

/// A parsed spec and what the reader had to say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The spec.
    pub spec: Spec,
    /// Keys ignored or values not honoured, one line each.
    pub warnings: Vec<String>,
}

/// Read and parse a spec file. Relative `outdir`, `key` and `cert` are taken relative to
/// the current directory, as Autobahn does.
pub fn load(path: &Path) -> Result<Loaded, SpecError> {
    use std::io::Read;
    let read_err = |source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(SpecError::TooLarge(path.to_path_buf()));
    }
    parse(path, &bytes)
}

/// Parse the bytes of a spec file (`path` only names it in errors).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Loaded, SpecError> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| SpecError::Json {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    let invalid = |problem: String| SpecError::Invalid {
        path: path.to_path_buf(),
        problem,
    };
    let Value::Object(root) = root else {
        return Err(invalid("the top level is not a JSON object".into()));
    };
    let mut reader = Reader {
        warnings: Vec::new(),
    };
    let spec = if root.contains_key("servers") {
        Spec::Client(reader.client(&root).map_err(invalid)?)
    } else if root.contains_key("url") {
        Spec::Server(reader.server(&root).map_err(invalid)?)
    } else {
        return Err(invalid(
            "neither \"servers\" (a fuzzingclient spec) nor \"url\" (a fuzzingserver spec) is given"
                .into(),
        ));
    };
    Ok(Loaded {
        spec,
        warnings: reader.warnings,
    })
}

/// Top-level keys of a fuzzingclient spec.
const CLIENT_KEYS: &[&str] = &[
    "outdir",
    "servers",
    "options",
    "cases",
    "exclude-cases",
    "exclude-agent-cases",
];

/// Top-level keys of a fuzzingserver spec.
const SERVER_KEYS: &[&str] = &[
    "url",
    "outdir",
    "options",
    "protocols",
    "key",
    "cert",
    "cases",
    "exclude-cases",
    "exclude-agent-cases",
    "webport",
];

/// Autobahn protocol options wsspec accepts without acting on them, because its own
/// behaviour already is what they ask for (or they only tune Autobahn's own client).
const NEUTRAL_OPTIONS: &[&str] = &[
    "allowHixie76",
    "tcpNoDelay",
    "utf8validateIncoming",
    "acceptMaskedServerFrames",
    "maskClientFrames",
    "applyMask",
    "requireMaskedClientFrames",
    "maskServerFrames",
    "versions",
    "webStatus",
];

struct Reader {
    warnings: Vec<String>,
}

impl Reader {
    fn warn(&mut self, line: String) {
        self.warnings.push(line);
    }

    fn unknown_keys(&mut self, map: &Map<String, Value>, known: &[&str], place: &str) {
        for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
            self.warn(format!("unknown key {key:?} in {place} ignored"));
        }
    }

    fn client(&mut self, root: &Map<String, Value>) -> Result<ClientSpec, String> {
        self.unknown_keys(root, CLIENT_KEYS, "the spec");
        let global = match root.get("options") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err("\"options\" is not an object".into()),
        };
        let Some(Value::Array(list)) = root.get("servers") else {
            return Err("\"servers\" is not an array".into());
        };
        let mut servers = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let place = format!("servers[{i}]");
            let Value::Object(entry) = entry else {
                return Err(format!("{place} is not an object"));
            };
            self.unknown_keys(
                entry,
                &["agent", "url", "options", "origin", "protocols", "hostname"],
                &place,
            );
            let url = match entry.get("url") {
                Some(Value::String(u)) => u.clone(),
                _ => return Err(format!("{place} has no \"url\" string")),
            };
            let agent = match entry.get("agent") {
                None | Some(Value::Null) => None,
                Some(Value::String(a)) => Some(a.clone()),
                Some(_) => return Err(format!("{place}.agent is not a string")),
            };
            for key in ["origin", "protocols", "hostname"] {
                match entry.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(a)) if a.is_empty() => {}
                    Some(_) => self.warn(format!(
                        "{place}.{key} is not supported by wsspec and is ignored \
                         (cases send their own Origin, subprotocols and SNI)"
                    )),
                }
            }
            let mut options = global.clone();
            match entry.get("options") {
                None | Some(Value::Null) => {}
                Some(Value::Object(own)) => options.extend(own.clone()),
                Some(_) => return Err(format!("{place}.options is not an object")),
            }
            servers.push(self.server_options(agent, url, &options, &place)?);
        }
        if servers.is_empty() {
            return Err("\"servers\" is empty: there is nothing to test".into());
        }
        Ok(ClientSpec {
            outdir: outdir(root, "./reports/servers")?,
            servers,
            selection: self.selection(root)?,
        })
    }

    fn server_options(
        &mut self,
        agent: Option<String>,
        url: String,
        options: &Map<String, Value>,
        place: &str,
    ) -> Result<ServerUnderTest, String> {
        let mut server = ServerUnderTest {
            agent,
            url,
            draft: Dialect::Rfc6455,
            open_handshake_timeout: None,
            close_handshake_timeout: None,
            server_drop_timeout: None,
            max_message: None,
        };
        for (key, value) in options {
            let bad = || format!("{place}: option {key:?} has an invalid value {value}");
            match key.as_str() {
                "version" => {
                    server.draft = match value.as_u64() {
                        Some(0) => Dialect::Hixie76,
                        Some(7) => Dialect::Hybi07,
                        Some(8..=12) => Dialect::Hybi10,
                        Some(13..=18) => Dialect::Rfc6455,
                        _ => return Err(format!("{} (use 0, 7, 8-12 or 13-18)", bad())),
                    }
                }
                "openHandshakeTimeout" => server.open_handshake_timeout = seconds(value),
                "closeHandshakeTimeout" => server.close_handshake_timeout = seconds(value),
                "serverConnectionDropTimeout" => server.server_drop_timeout = seconds(value),
                "maxMessagePayloadSize" => {
                    server.max_message = match value.as_u64() {
                        Some(0) => None,
                        Some(n) => Some(n),
                        None => return Err(bad()),
                    }
                }
                // Autobahn forces it off before applying options; wsspec always performs
                // the closing handshake when it fails a connection, which is `false`.
                "failByDrop" => {
                    if value.as_bool() == Some(true) {
                        self.warn(format!(
                            "{place}: failByDrop=true is not supported; wsspec closes with a \
                             closing handshake (failByDrop=false)"
                        ));
                    }
                }
                known if NEUTRAL_OPTIONS.contains(&known) => {}
                _ => self.warn(format!(
                    "{place}: option {key:?} is not supported by wsspec and is ignored"
                )),
            }
        }
        Ok(server)
    }

    fn server(&mut self, root: &Map<String, Value>) -> Result<ServerSpec, String> {
        self.unknown_keys(root, SERVER_KEYS, "the spec");
        let url = match root.get("url") {
            Some(Value::String(u)) => u.clone(),
            _ => return Err("\"url\" is not a string".into()),
        };
        let path_of = |key: &str| match root.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(p)) => Ok(Some(PathBuf::from(p))),
            Some(_) => Err(format!("\"{key}\" is not a string")),
        };
        let (cert, key) = (path_of("cert")?, path_of("key")?);
        if cert.is_some() != key.is_some() {
            return Err("\"cert\" and \"key\" must be given together".into());
        }
        if let Some(Value::Object(options)) = root.get("options") {
            for key in options.keys() {
                if key != "failByDrop" && !NEUTRAL_OPTIONS.contains(&key.as_str()) {
                    self.warn(format!(
                        "options: {key:?} is not supported by wsspec and is ignored"
                    ));
                }
            }
        }
        if root.contains_key("webport") {
            self.warn(
                "\"webport\" ignored: wsspec serves its report pages on the test port itself"
                    .into(),
            );
        }
        match root.get("protocols") {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(_) => self.warn("\"protocols\" is not supported by wsspec and is ignored".into()),
        }
        Ok(ServerSpec {
            url,
            outdir: outdir(root, "./reports/clients")?,
            cert,
            key,
            selection: self.selection(root)?,
        })
    }

    fn selection(&mut self, root: &Map<String, Value>) -> Result<CaseSelection, String> {
        let list = |key: &str, default: &[&str]| -> Result<Vec<String>, String> {
            match root.get(key) {
                None | Some(Value::Null) => Ok(default.iter().map(|s| s.to_string()).collect()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(format!("\"{key}\" holds {other}, not a string pattern")),
                    })
                    .collect(),
                Some(_) => Err(format!("\"{key}\" is not an array of patterns")),
            }
        };
        let cases = Patterns::from_items(list("cases", &["*"])?);
        let exclude = Patterns::from_items(list("exclude-cases", &[])?);
        for patterns in [&cases, &exclude] {
            if let Some((pattern, problem)) = patterns.invalid().first() {
                return Err(format!("case pattern {pattern:?} is not valid: {problem}"));
            }
        }
        let mut exclude_for_agent = Vec::new();
        match root.get("exclude-agent-cases") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (agent, cases) in map {
                    let Value::Array(items) = cases else {
                        return Err(format!(
                            "\"exclude-agent-cases\".{agent:?} is not an array of patterns"
                        ));
                    };
                    let mut patterns = Vec::new();
                    for item in items {
                        let Value::String(p) = item else {
                            return Err(format!(
                                "\"exclude-agent-cases\".{agent:?} holds {item}, not a string"
                            ));
                        };
                        full_match(p, "")
                            .map_err(|e| format!("case pattern {p:?} is not valid: {e}"))?;
                        patterns.push(p.clone());
                    }
                    full_match(agent, "")
                        .map_err(|e| format!("agent pattern {agent:?} is not valid: {e}"))?;
                    exclude_for_agent.push((agent.clone(), patterns));
                }
            }
            Some(_) => return Err("\"exclude-agent-cases\" is not an object".into()),
        }
        Ok(CaseSelection {
            cases,
            exclude,
            exclude_for_agent,
        })
    }
}

fn outdir(root: &Map<String, Value>, default: &str) -> Result<PathBuf, String> {
    match root.get("outdir") {
        None | Some(Value::Null) => Ok(PathBuf::from(default)),
        Some(Value::String(d)) => Ok(PathBuf::from(d)),
        Some(_) => Err("\"outdir\" is not a string".into()),
    }
}

/// Autobahn's timeouts are seconds, integer or float; anything else is ignored.
fn seconds(value: &Value) -> Option<Duration> {
    value
        .as_f64()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 3600.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Loaded, SpecError> {
        parse(Path::new("spec.json"), text.as_bytes())
    }

    /// tungstenite-rs's `autobahn/fuzzingclient.json`, in its shape.
    const TUNGSTENITE: &str = r#"{
        "outdir": "./autobahn/server",
        "servers": [{ "agent": "Tungstenite", "url": "ws://127.0.0.1:9002" }],
        "cases": ["*"],
        "exclude-cases": [],
        "exclude-agent-cases": {}
    }"#;

    /// fastwebsockets's `autobahn/fuzzingclient.json`, in its shape.
    const FASTWEBSOCKETS: &str = r#"{
        "outdir": "./autobahn/reports/servers",
        "servers": [
            { "agent": "fastwebsockets", "url": "ws://localhost:8080", "options": { "version": 18 } }
        ],
        "cases": ["*"],
        "exclude-cases": ["11.*", "12.*", "13.*"],
        "exclude-agent-cases": {}
    }"#;

    #[test]
    fn tungstenite_and_fastwebsockets_specs_parse_without_warnings() {
        let t = parse_str(TUNGSTENITE).unwrap();
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
        let Spec::Client(t) = t.spec else {
            panic!("not a client spec")
        };
        assert_eq!(t.outdir, PathBuf::from("./autobahn/server"));
        assert_eq!(t.servers[0].agent.as_deref(), Some("Tungstenite"));
        assert!(t.selection.cases.matches("9.7.6"));
        let f = parse_str(FASTWEBSOCKETS).unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let Spec::Client(f) = f.spec else {
            panic!("not a client spec")
        };
        assert_eq!(f.servers[0].draft, Dialect::Rfc6455);
        assert!(f.selection.exclude.matches("12.1.1"));
        assert!(!f.selection.exclude.matches("1.1.1"));
    }

    #[test]
    fn global_options_merge_under_server_options() {
        let loaded = parse_str(
            r#"{"options": {"failByDrop": false, "version": 8, "openHandshakeTimeout": 2.5},
                "servers": [{"url": "ws://127.0.0.1:1"},
                            {"url": "ws://127.0.0.1:2", "options": {"version": 13}}]}"#,
        )
        .unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let Spec::Client(spec) = loaded.spec else {
            panic!("not a client spec")
        };
        assert_eq!(spec.servers[0].draft, Dialect::Hybi10);
        assert_eq!(spec.servers[1].draft, Dialect::Rfc6455);
        assert_eq!(
            spec.servers[1].open_handshake_timeout,
            Some(Duration::from_millis(2500))
        );
        assert_eq!(spec.outdir, PathBuf::from("./reports/servers"));
    }

    #[test]
    fn unknown_keys_and_unsupported_options_are_warnings() {
        let loaded = parse_str(
            r#"{"servers": [{"url": "ws://127.0.0.1:1", "colour": "red",
                             "options": {"autoPingInterval": 1, "failByDrop": true}}],
                "extra": 1}"#,
        )
        .unwrap();
        let all = loaded.warnings.join("\n");
        for needle in [
            "\"extra\"",
            "\"colour\"",
            "autoPingInterval",
            "failByDrop=true",
        ] {
            assert!(all.contains(needle), "no warning about {needle}: {all}");
        }
    }

    #[test]
    fn fuzzingserver_specs() {
        let loaded = parse_str(
            r#"{"url": "ws://127.0.0.1:9001", "outdir": "./out", "webport": 8080,
                "options": {"failByDrop": false}, "cases": ["1.*"],
                "exclude-agent-cases": {"Python*": ["7.1.*"]}}"#,
        )
        .unwrap();
        assert_eq!(loaded.warnings.len(), 1, "webport: {:?}", loaded.warnings);
        let Spec::Server(spec) = loaded.spec else {
            panic!("not a server spec")
        };
        assert_eq!(spec.url, "ws://127.0.0.1:9001");
        assert!(spec.selection.excluded_for("Python-ws", "7.1.2"));
        assert!(!spec.selection.excluded_for("ws", "7.1.2"));
        assert!(!spec.selection.excluded_for("Python-ws", "7.1"));
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let err = |text: &str| parse_str(text).unwrap_err().to_string();
        assert!(err("{").contains("not valid JSON"));
        assert!(err("[]").contains("not a JSON object"));
        assert!(err("{}").contains("neither"));
        assert!(err(r#"{"servers": []}"#).contains("empty"));
        assert!(err(r#"{"servers": [{"agent": "x"}]}"#).contains("servers[0] has no \"url\""));
        assert!(err(r#"{"servers": [{"url": "ws://a:1"}], "cases": "1.*"}"#)
            .contains("\"cases\" is not an array"));
        assert!(
            err(r#"{"servers": [{"url": "ws://a:1"}], "cases": ["1.*["]}"#).contains("not valid")
        );
        assert!(
            err(r#"{"servers": [{"url": "ws://a:1", "options": {"version": 99}}]}"#)
                .contains("version")
        );
        assert!(err(r#"{"url": "ws://a:1", "cert": "c.pem"}"#).contains("together"));
    }

    #[test]
    fn missing_and_oversized_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = load(&dir.path().join("nope.json")).unwrap_err();
        assert!(missing.to_string().contains("nope.json"), "{missing}");
        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; (MAX_SPEC_BYTES + 2) as usize]).unwrap();
        assert!(matches!(load(&big), Err(SpecError::TooLarge(_))));
    }
}
