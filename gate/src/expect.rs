//! The expectations file (`--expect FILE`): known divergences, each with a reason.
//!
//! JSON or TOML, chosen by the extension (`.json`, `.toml`), else by the first character
//! (`{` is JSON). TOML:
//!
//! ```toml
//! # Expectations for ws 8.23.0
//! [[expect]]
//! cases = ["6.4.3", "6.4.4"]        # case-id globs, Autobahn syntax; a single string is also accepted
//! behavior = "NON-STRICT"            # expected behavior verdict, Autobahn spelling
//! behaviorClose = "OK"               # optional; when absent any close verdict matches
//! agent = "ws*"                      # optional agent glob (for spec files with several servers)
//! reason = "fails fast only at the end of a message"   # required, non-empty
//! ```
//!
//! JSON: `{"expect": [{"cases": [...], "behavior": "...", "reason": "..."}]}` with the same keys.
//!
//! Globs follow Autobahn: `*` is a wildcard and the match is anchored at the start only
//! (`6.4.*`); an entry without `*` is a literal id. The first entry matching a case (and its
//! agent) wins. The file is strict, because a typo must not silently disable an
//! expectation: unknown keys, a missing or empty `reason`, an empty `cases` list and verdicts
//! not spelled as Autobahn spells them are errors naming the file, the entry number
//! (1-based) and, when known, its line.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use wsspec_cases::pattern::pattern_matches;
use wsspec_cases::{CloseVerdict, Patterns, Verdict};
use wsspec_reports::files::read_bounded;
use wsspec_reports::index::{parse_close_verdict, parse_verdict};
use wsspec_reports::ReportError;

/// An expectations file larger than this is refused.
pub const MAX_EXPECT_BYTES: u64 = 4 * 1024 * 1024;

/// The behavior verdicts, as the file spells them.
const BEHAVIOR_SPELLINGS: &str =
    "\"OK\", \"NON-STRICT\", \"FAILED\", \"INFORMATIONAL\", \"UNIMPLEMENTED\"";
/// The behaviorClose verdicts, as the file spells them.
const CLOSE_SPELLINGS: &str = "\"OK\", \"FAILED\", \"WRONG CODE\", \"UNCLEAN\", \"FAILED BY CLIENT\", \"INFORMATIONAL\", \"UNIMPLEMENTED\"";

/// The syntax of an expectations file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"expect": [...]}`.
    Json,
    /// `[[expect]]` tables.
    Toml,
}

impl Format {
    /// By extension (`.json`, `.toml`), else by the first non-blank character.
    pub fn detect(path: &Path, text: &str) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            Some(e) if e.eq_ignore_ascii_case("toml") => Format::Toml,
            _ if text.trim_start().starts_with('{') => Format::Json,
            _ => Format::Toml,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Toml => "TOML",
        })
    }
}

/// What is wrong with one entry of the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    /// Unknown key, wrong type or missing required key (the parser's words).
    #[error("{0}")]
    Shape(String),
    /// `reason` is missing or blank.
    #[error(
        "`reason` is missing or empty; every expectation must say why the verdict is expected"
    )]
    MissingReason,
    /// `cases` is an empty list.
    #[error("`cases` is empty; list at least one case-id glob")]
    NoCases,
    /// A glob (case or agent) is an empty string.
    #[error("`{key}` holds an empty glob")]
    EmptyGlob {
        /// `cases` or `agent`.
        key: &'static str,
    },
    /// A case pattern uses regular-expression syntax that does not compile.
    #[error("case pattern {pattern:?} is not valid: {problem}")]
    BadPattern {
        /// The pattern as written.
        pattern: String,
        /// What the regular-expression parser said.
        problem: String,
    },
    /// `behavior` is not an Autobahn behavior verdict.
    #[error("`behavior` {given:?} is not a verdict; valid spellings: {BEHAVIOR_SPELLINGS}")]
    BadBehavior {
        /// The value as given.
        given: String,
    },
    /// `behaviorClose` is not an Autobahn close verdict.
    #[error(
        "`behaviorClose` {given:?} is not a close verdict; valid spellings: {CLOSE_SPELLINGS}"
    )]
    BadBehaviorClose {
        /// The value as given.
        given: String,
    },
}

/// Why an expectations file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExpectError {
    /// The file does not exist.
    #[error("expectations file {} not found", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be read, or is too large.
    #[error(transparent)]
    Read(#[from] ReportError),
    /// The file is not UTF-8.
    #[error("{} is not UTF-8 text", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// The file is not valid JSON/TOML, or its top level is not `{"expect": [...]}`.
    #[error("{}{}: not a valid {format} expectations file: {problem}", path.display(), at_line(*line))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: Format,
        /// The 1-based line of the problem, when the parser knows it.
        line: Option<usize>,
        /// What the parser said.
        problem: String,
    },
    /// One entry is malformed.
    #[error("{}: expectation #{number}{}: {problem}", path.display(), at_line(*line))]
    Entry {
        /// The file.
        path: PathBuf,
        /// The entry's 1-based number in the file.
        number: usize,
        /// The entry's 1-based line, when known.
        line: Option<usize>,
        /// What is wrong with it.
        problem: EntryProblem,
    },
}

/// Whether one case glob matches the case id, by Autobahn's rules. Plain globs (ids and
/// `*`) skip compiling a regular expression.
pub fn glob_matches(glob: &str, case_id: &str) -> bool {
    let plain = glob
        .bytes()
        .all(|b| b == b'*' || b == b'.' || b == b'-' || b == b'_' || b.is_ascii_alphanumeric());
    if plain {
        pattern_matches(glob, case_id)
    } else {
        Patterns::from_items([glob]).matches(case_id)
    }
}

fn at_line(line: Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

/// One entry: the cases it covers, the verdicts expected of them and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// Case-id globs (Autobahn syntax).
    pub cases: Vec<String>,
    /// The expected behavior verdict.
    pub behavior: Verdict,
    /// The expected close verdict; `None` matches any.
    pub behavior_close: Option<CloseVerdict>,
    /// Agent glob; `None` applies to every agent.
    pub agent: Option<String>,
    /// Why this verdict is expected.
    pub reason: String,
    /// 1-based line of the entry in its file, when known.
    pub line: Option<usize>,
}

impl Expectation {
    /// Whether the entry applies to this agent.
    pub fn applies_to(&self, agent: &str) -> bool {
        self.agent
            .as_deref()
            .map_or(true, |g| pattern_matches(g, agent))
    }

    /// Whether one of the entry's globs matches the case id (Autobahn's rules, so a
    /// pattern such as `12.*.[1234]$` works as it does in a spec file).
    pub fn covers(&self, case_id: &str) -> bool {
        self.cases.iter().any(|g| glob_matches(g, case_id))
    }

    /// Whether the actual verdicts are the expected ones.
    pub fn matches_verdicts(&self, behavior: Verdict, close: CloseVerdict) -> bool {
        self.behavior == behavior && self.behavior_close.map_or(true, |c| c == close)
    }

    /// `NON-STRICT / OK`, or `NON-STRICT / any` when the close verdict is free.
    pub fn verdicts_text(&self) -> String {
        format!(
            "{} / {}",
            self.behavior.as_str(),
            self.behavior_close.map_or("any", CloseVerdict::as_str)
        )
    }
}

/// A parsed expectations file (possibly empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    /// Where it was read from (`None` when built in memory).
    pub path: Option<PathBuf>,
    entries: Vec<Expectation>,
}

impl Expectations {
    /// No expectations: every case is judged by the policy alone.
    pub fn empty() -> Self {
        Expectations::default()
    }

    /// Read and parse a file (bounded in size), JSON or TOML as [`Format::detect`] says.
    pub fn load(path: &Path) -> Result<Self, ExpectError> {
        let bytes = read_bounded(path, MAX_EXPECT_BYTES)?
            .ok_or_else(|| ExpectError::NotFound { path: path.into() })?;
        let text =
            String::from_utf8(bytes).map_err(|_| ExpectError::NotUtf8 { path: path.into() })?;
        Expectations::parse(&text, Format::detect(path, &text), path)
    }

    /// Parse text; `origin` names the file in errors.
    pub fn parse(text: &str, format: Format, origin: &Path) -> Result<Self, ExpectError> {
        let raw = match format {
            Format::Toml => parse_toml(text, origin)?,
            Format::Json => parse_json(text, origin)?,
        };
        let mut entries = Vec::with_capacity(raw.len());
        for (i, (entry, line)) in raw.into_iter().enumerate() {
            let number = i + 1;
            let fail = |problem| ExpectError::Entry {
                path: origin.into(),
                number,
                line,
                problem,
            };
            entries.push(validate(entry, line).map_err(fail)?);
        }
        Ok(Expectations {
            path: Some(origin.into()),
            entries,
        })
    }

    /// Build from entries already in memory.
    pub fn from_entries(entries: Vec<Expectation>) -> Self {
        Expectations {
            path: None,
            entries,
        }
    }

    /// The entries, in file order (entry number = index + 1).
    pub fn entries(&self) -> &[Expectation] {
        &self.entries
    }

    /// Whether the file holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry covering this agent's case, with its 1-based number.
    pub fn lookup(&self, agent: &str, case_id: &str) -> Option<(usize, &Expectation)> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.applies_to(agent) && e.covers(case_id))
            .map(|(i, e)| (i + 1, e))
    }

    /// Entries (number, agent glob) whose agent glob matches none of `agents`: they judge nothing.
    pub fn unmatched_agents(&self, agents: &[&str]) -> Vec<(usize, String)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let glob = e.agent.as_deref()?;
                let any = agents.iter().any(|a| pattern_matches(glob, a));
                (!any).then(|| (i + 1, glob.to_string()))
            })
            .collect()
    }
}

/// One entry as written, before its verdicts are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    cases: Globs,
    behavior: String,
    #[serde(rename = "behaviorClose", default)]
    behavior_close: Option<String>,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// The top level of the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile<E> {
    #[serde(default = "Vec::new")]
    expect: Vec<E>,
}

/// `cases`: one glob or a list of them.
#[derive(Debug)]
struct Globs(Vec<String>);

impl<'de> Deserialize<'de> for Globs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Globs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a case-id glob or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Globs, E> {
                Ok(Globs(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Globs, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Globs(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

type RawEntries = Vec<(Result<RawExpectation, String>, Option<usize>)>;

fn parse_toml(text: &str, origin: &Path) -> Result<RawEntries, ExpectError> {
    let file: RawFile<toml::Spanned<toml::Value>> =
        toml::from_str(text).map_err(|e| ExpectError::Syntax {
            path: origin.into(),
            format: Format::Toml,
            line: e.span().map(|s| line_of(text, s.start)),
            problem: e.message().trim().to_string(),
        })?;
    Ok(file
        .expect
        .into_iter()
        .map(|spanned| {
            let line = line_of(text, spanned.span().start);
            let entry = RawExpectation::deserialize(spanned.into_inner())
                .map_err(|e| e.message().trim().to_string());
            (entry, Some(line))
        })
        .collect())
}

fn parse_json(text: &str, origin: &Path) -> Result<RawEntries, ExpectError> {
    let file: RawFile<&RawValue> = serde_json::from_str(text).map_err(|e| ExpectError::Syntax {
        path: origin.into(),
        format: Format::Json,
        line: (e.line() > 0).then_some(e.line()),
        problem: strip_json_position(&e.to_string()),
    })?;
    let base = text.as_ptr() as usize;
    Ok(file
        .expect
        .into_iter()
        .map(|raw| {
            // The raw value borrows from `text`: its offset is its line.
            let offset = (raw.get().as_ptr() as usize).saturating_sub(base);
            let entry = serde_json::from_str::<RawExpectation>(raw.get())
                .map_err(|e| strip_json_position(&e.to_string()));
            (entry, Some(line_of(text, offset)))
        })
        .collect())
}

/// serde_json appends " at line L column C"; the error names the line itself.
fn strip_json_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn validate(
    raw: Result<RawExpectation, String>,
    line: Option<usize>,
) -> Result<Expectation, EntryProblem> {
    let raw = raw.map_err(EntryProblem::Shape)?;
    let cases = raw.cases.0;
    if cases.is_empty() {
        return Err(EntryProblem::NoCases);
    }
    if cases.iter().any(|g| g.trim().is_empty()) {
        return Err(EntryProblem::EmptyGlob { key: "cases" });
    }
    if let Some((pattern, problem)) = Patterns::from_items(cases.iter().cloned())
        .invalid()
        .first()
    {
        return Err(EntryProblem::BadPattern {
            pattern: pattern.to_string(),
            problem: problem.to_string(),
        });
    }
    if raw.agent.as_deref().is_some_and(|a| a.trim().is_empty()) {
        return Err(EntryProblem::EmptyGlob { key: "agent" });
    }
    let behavior = parse_verdict(&raw.behavior).ok_or_else(|| EntryProblem::BadBehavior {
        given: raw.behavior.clone(),
    })?;
    let behavior_close = match raw.behavior_close {
        None => None,
        Some(c) => {
            Some(parse_close_verdict(&c).ok_or(EntryProblem::BadBehaviorClose { given: c })?)
        }
    };
    let reason = raw.reason.unwrap_or_default();
    if reason.trim().is_empty() {
        return Err(EntryProblem::MissingReason);
    }
    Ok(Expectation {
        cases: cases.into_iter().map(|g| g.trim().to_string()).collect(),
        behavior,
        behavior_close,
        agent: raw.agent.map(|a| a.trim().to_string()),
        reason: reason.trim().to_string(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"# Expectations for ws 8.23.0
[[expect]]
cases = ["6.4.3", "6.4.4"]
behavior = "NON-STRICT"
behaviorClose = "OK"
reason = "fails fast only at the end of a message"

[[expect]]
cases = "12.*"
behavior = "UNIMPLEMENTED"
agent = "ws*"
reason = "no permessage-deflate"
"#;

    fn toml(text: &str) -> Result<Expectations, ExpectError> {
        Expectations::parse(text, Format::Toml, Path::new("x.toml"))
    }

    fn json(text: &str) -> Result<Expectations, ExpectError> {
        Expectations::parse(text, Format::Json, Path::new("x.json"))
    }

    fn entry_error(e: ExpectError) -> (usize, Option<usize>, EntryProblem) {
        match e {
            ExpectError::Entry {
                number,
                line,
                problem,
                ..
            } => (number, line, problem),
            other => panic!("not an entry error: {other}"),
        }
    }

    #[test]
    fn parses_the_documented_toml_shape() {
        let x = toml(TOML).unwrap();
        assert_eq!(x.entries().len(), 2);
        let first = &x.entries()[0];
        assert_eq!(first.cases, ["6.4.3", "6.4.4"]);
        assert_eq!(first.behavior, Verdict::NonStrict);
        assert_eq!(first.behavior_close, Some(CloseVerdict::Ok));
        assert_eq!(first.agent, None);
        assert_eq!(first.line, Some(2));
        let second = &x.entries()[1];
        assert_eq!(second.cases, ["12.*"], "a single string is accepted");
        assert_eq!(second.behavior_close, None);
        assert_eq!(second.agent.as_deref(), Some("ws*"));
        assert_eq!(second.line, Some(8));
    }

    #[test]
    fn json_and_toml_agree() {
        let j = json(
            r#"{"expect": [
  {"cases": ["6.4.3", "6.4.4"], "behavior": "NON-STRICT", "behaviorClose": "OK",
   "reason": "fails fast only at the end of a message"},
  {"cases": "12.*", "behavior": "UNIMPLEMENTED", "agent": "ws*", "reason": "no permessage-deflate"}
]}"#,
        )
        .unwrap();
        let t = toml(TOML).unwrap();
        let strip = |x: &Expectations| -> Vec<Expectation> {
            x.entries()
                .iter()
                .cloned()
                .map(|mut e| {
                    e.line = None;
                    e
                })
                .collect()
        };
        assert_eq!(strip(&j), strip(&t));
        assert_eq!(j.entries()[0].line, Some(2));
        assert_eq!(j.entries()[1].line, Some(4));
    }

    #[test]
    fn lookup_first_match_wins_and_respects_agent() {
        let x = toml(
            r#"
[[expect]]
cases = "6.4.3"
behavior = "FAILED"
reason = "first"
[[expect]]
cases = ["6.4.*"]
behavior = "NON-STRICT"
reason = "second"
[[expect]]
cases = ["12.*"]
agent = "faye"
behavior = "UNIMPLEMENTED"
reason = "faye only"
"#,
        )
        .unwrap();
        assert_eq!(x.lookup("ws", "6.4.3").map(|(n, _)| n), Some(1));
        assert_eq!(x.lookup("ws", "6.4.4").map(|(n, _)| n), Some(2));
        assert_eq!(x.lookup("ws", "6.4.10").map(|(n, _)| n), Some(2));
        assert_eq!(
            x.lookup("ws", "6.40.1"),
            None,
            "6.4.* does not match 6.40.1"
        );
        assert_eq!(
            x.lookup("ws", "12.1.1"),
            None,
            "agent glob is literal: faye"
        );
        assert_eq!(x.lookup("faye", "12.1.1").map(|(n, _)| n), Some(3));
        assert_eq!(
            x.unmatched_agents(&["ws", "websockets"]),
            vec![(3, "faye".into())]
        );
        assert!(x.unmatched_agents(&["faye"]).is_empty());
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = toml(
            "[[expect]]\ncases = \"1.*\"\nbehaviour = \"OK\"\nbehavior = \"OK\"\nreason = \"r\"\n",
        )
        .unwrap_err();
        let text = e.to_string();
        let (number, line, problem) = entry_error(e);
        assert_eq!((number, line), (1, Some(1)));
        assert!(
            matches!(problem, EntryProblem::Shape(ref m) if m.contains("behaviour")),
            "{text}"
        );
        assert!(
            text.starts_with("x.toml: expectation #1 (line 1): "),
            "{text}"
        );

        let e = json(
            r#"{"expect": [{"cases": "1.*", "behavior": "OK", "reason": "r", "agnet": "x"}]}"#,
        )
        .unwrap_err();
        let (_, _, problem) = entry_error(e);
        assert!(matches!(problem, EntryProblem::Shape(ref m) if m.contains("agnet")));

        // A typo at the top level too.
        let e = toml("[[expects]]\ncases = \"1.*\"\n").unwrap_err();
        assert!(
            matches!(e, ExpectError::Syntax { ref problem, line: Some(1), .. } if problem.contains("expects")),
            "{e}"
        );
    }

    #[test]
    fn a_reason_is_required() {
        let e = toml("[[expect]]\ncases = \"1.*\"\nbehavior = \"OK\"\n\n[[expect]]\ncases = \"2.*\"\nbehavior = \"OK\"\nreason = \"  \"\n")
            .unwrap_err();
        let msg = e.to_string();
        assert_eq!(
            entry_error(e),
            (1, Some(1), EntryProblem::MissingReason),
            "{msg}"
        );
        let e = toml("[[expect]]\ncases = \"2.*\"\nbehavior = \"OK\"\nreason = \"why\"\n\n[[expect]]\ncases = \"2.*\"\nbehavior = \"OK\"\nreason = \"  \"\n")
            .unwrap_err();
        assert_eq!(entry_error(e), (2, Some(6), EntryProblem::MissingReason));
    }

    #[test]
    fn verdicts_must_be_spelled_as_autobahn() {
        let e = toml("[[expect]]\ncases = \"1.*\"\nbehavior = \"non-strict\"\nreason = \"r\"\n")
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("\"non-strict\"") && msg.contains("\"NON-STRICT\""),
            "{msg}"
        );
        assert!(msg.contains("\"UNIMPLEMENTED\""), "{msg}");
        let e = toml("[[expect]]\ncases = \"1.*\"\nbehavior = \"OK\"\nbehaviorClose = \"WRONG_CODE\"\nreason = \"r\"\n")
            .unwrap_err();
        let msg = e.to_string();
        assert_eq!(
            entry_error(e).2,
            EntryProblem::BadBehaviorClose {
                given: "WRONG_CODE".into()
            }
        );
        assert!(
            msg.contains("\"WRONG CODE\"") && msg.contains("\"FAILED BY CLIENT\""),
            "{msg}"
        );
    }

    #[test]
    fn empty_cases_and_globs_are_errors() {
        let e = toml("[[expect]]\ncases = []\nbehavior = \"OK\"\nreason = \"r\"\n").unwrap_err();
        assert_eq!(entry_error(e).2, EntryProblem::NoCases);
        let e = toml("[[expect]]\ncases = [\"1.*\", \"\"]\nbehavior = \"OK\"\nreason = \"r\"\n")
            .unwrap_err();
        assert_eq!(entry_error(e).2, EntryProblem::EmptyGlob { key: "cases" });
        let e = toml("[[expect]]\ncases = 3\nbehavior = \"OK\"\nreason = \"r\"\n").unwrap_err();
        assert!(matches!(entry_error(e).2, EntryProblem::Shape(m) if m.contains("case-id glob")));
        let e = json(r#"{"expect": [{"behavior": "OK", "reason": "r"}]}"#).unwrap_err();
        assert!(matches!(entry_error(e).2, EntryProblem::Shape(m) if m.contains("cases")));
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let e = json("{\"expect\": [\n  {\"cases\": \"1.*\",}\n]}").unwrap_err();
        assert!(
            matches!(
                e,
                ExpectError::Syntax {
                    line: Some(2),
                    format: Format::Json,
                    ..
                }
            ),
            "{e}"
        );
        let e = toml("[[expect]]\ncases = [\"1.*\"\nbehavior = \"OK\"\n").unwrap_err();
        assert!(
            matches!(
                e,
                ExpectError::Syntax {
                    line: Some(_),
                    format: Format::Toml,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn empty_files_hold_no_expectation() {
        assert!(toml("# nothing yet\n").unwrap().is_empty());
        assert!(json("{}").unwrap().is_empty());
        assert!(json(r#"{"expect": []}"#).unwrap().is_empty());
    }

    #[test]
    fn format_detection() {
        assert_eq!(Format::detect(Path::new("a.JSON"), "x"), Format::Json);
        assert_eq!(Format::detect(Path::new("a.toml"), "{"), Format::Toml);
        assert_eq!(
            Format::detect(Path::new("expect"), "  {\"expect\":[]}"),
            Format::Json
        );
        assert_eq!(
            Format::detect(Path::new("expect"), "[[expect]]"),
            Format::Toml
        );
    }

    #[test]
    fn load_reads_files_and_names_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("expect.toml");
        std::fs::write(&p, TOML).unwrap();
        let x = Expectations::load(&p).unwrap();
        assert_eq!(x.entries().len(), 2);
        assert_eq!(x.path.as_deref(), Some(p.as_path()));
        let missing = dir.path().join("nope.toml");
        let e = Expectations::load(&missing).unwrap_err();
        assert!(matches!(e, ExpectError::NotFound { .. }));
        assert!(e.to_string().contains("nope.toml"));
    }

    #[test]
    fn verdict_matching() {
        let x = toml(TOML).unwrap();
        let (first, second) = (&x.entries()[0], &x.entries()[1]);
        assert!(first.matches_verdicts(Verdict::NonStrict, CloseVerdict::Ok));
        assert!(!first.matches_verdicts(Verdict::NonStrict, CloseVerdict::WrongCode));
        assert!(second.matches_verdicts(Verdict::Unimplemented, CloseVerdict::WrongCode));
        assert!(!second.matches_verdicts(Verdict::Ok, CloseVerdict::Ok));
        assert_eq!(first.verdicts_text(), "NON-STRICT / OK");
        assert_eq!(second.verdicts_text(), "UNIMPLEMENTED / any");
    }

    #[test]
    fn case_globs_follow_autobahn_pattern_rules() {
        let e = toml("[[expect]]\ncases = \"12.*.[1234]$\"\nbehavior = \"OK\"\nreason = \"r\"\n")
            .unwrap();
        let entry = &e.entries()[0];
        assert!(entry.covers("12.3.4"));
        assert!(!entry.covers("12.3.14"));
        let bad =
            toml("[[expect]]\ncases = \"1.*[\"\nbehavior = \"OK\"\nreason = \"r\"\n").unwrap_err();
        assert!(matches!(
            entry_error(bad).2,
            EntryProblem::BadPattern { .. }
        ));
    }
}
