//! The catalogue: every case, built once from the per-category tables.

use std::sync::LazyLock;

use crate::model::{Case, Category, Expected, ExpectedClose, Step, Subcategory, VerdictRule};
use crate::pattern::Patterns;

mod c01_framing;
mod c02_pings;
mod c03_reserved_bits;
mod c04_opcodes;
mod c05_fragmentation;
mod c06_utf8;
mod c07_close;
mod c09_limits;
mod c10_misc;
mod c12_compression;
mod c13_compression_params;
mod c14_handshake;
mod c15_hybi;
mod c16_hixie76;
mod c17_hixie75;
mod c18_browsers;
mod c19_roles;
mod c20_client_handshake;
mod c21_deflate;
mod common;

/// The categories in catalogue order, with Autobahn's numbers and titles.
pub const CATEGORIES: &[Category] = &[
    Category {
        number: 1,
        title: "Framing",
    },
    Category {
        number: 2,
        title: "Pings/Pongs",
    },
    Category {
        number: 3,
        title: "Reserved Bits",
    },
    Category {
        number: 4,
        title: "Opcodes",
    },
    Category {
        number: 5,
        title: "Fragmentation",
    },
    Category {
        number: 6,
        title: "UTF-8 Handling",
    },
    Category {
        number: 7,
        title: "Close Handling",
    },
    Category {
        number: 9,
        title: "Limits/Performance",
    },
    Category {
        number: 10,
        title: "Misc",
    },
    Category {
        number: 12,
        title: "WebSocket Compression (different payloads)",
    },
    Category {
        number: 13,
        title: "WebSocket Compression (different parameters)",
    },
    Category {
        number: 14,
        title: "Opening Handshake",
    },
    Category {
        number: 15,
        title: "hybi-07/08/10",
    },
    Category {
        number: 16,
        title: "hixie-76 (hybi-00)",
    },
    Category {
        number: 17,
        title: "hixie-75",
    },
    Category {
        number: 18,
        title: "Browser Profiles",
    },
    Category {
        number: 19,
        title: "Role Rules",
    },
    Category {
        number: 20,
        title: "Client Opening Handshake",
    },
    Category {
        number: 21,
        title: "permessage-deflate (RFC 7692)",
    },
];

static CATALOGUE: LazyLock<Vec<Case>> = LazyLock::new(|| {
    let mut all = Vec::new();
    all.extend(c01_framing::cases());
    all.extend(c02_pings::cases());
    all.extend(c03_reserved_bits::cases());
    all.extend(c04_opcodes::cases());
    all.extend(c05_fragmentation::cases());
    all.extend(c06_utf8::cases());
    all.extend(c07_close::cases());
    all.extend(c09_limits::cases());
    all.extend(c10_misc::cases());
    all.extend(c12_compression::cases());
    all.extend(c13_compression_params::cases());
    all.extend(c14_handshake::cases());
    all.extend(c15_hybi::cases());
    all.extend(c16_hixie76::cases());
    all.extend(c17_hixie75::cases());
    all.extend(c18_browsers::cases());
    all.extend(c19_roles::cases());
    all.extend(c20_client_handshake::cases());
    all.extend(c21_deflate::cases());
    all.sort_by_key(Case::id_key);
    all
});

/// Every case, in numeric id order.
pub fn catalogue() -> &'static [Case] {
    &CATALOGUE
}

/// The cases matched by `include` (all when empty) and not by `exclude`, in id order.
pub fn select(include: &Patterns, exclude: &Patterns) -> Vec<&'static Case> {
    catalogue()
        .iter()
        .filter(|c| include.is_empty() || include.matches(&c.id))
        .filter(|c| !exclude.matches(&c.id))
        .collect()
}

/// Look up the category with this number.
pub(crate) fn category(number: u32) -> Category {
    CATEGORIES
        .iter()
        .copied()
        .find(|c| c.number == number)
        .unwrap_or(Category {
            number,
            title: "Unknown",
        })
}

/// Builder that keeps the per-category tables short.
pub(crate) struct CaseBuilder {
    case: Case,
}

impl CaseBuilder {
    /// Start a case in a category; the category number is taken from the id.
    pub(crate) fn new(id: &str, description: &str, expectation: &str) -> Self {
        let number = id
            .split('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        CaseBuilder {
            case: Case::new(id, category(number), description, expectation),
        }
    }

    /// Place the case in a subcategory.
    pub(crate) fn sub(mut self, id: &str, title: &str) -> Self {
        self.case.subcategory = Some(Subcategory {
            id: id.to_string(),
            title: title.to_string(),
        });
        self
    }

    /// The spec rule the case checks.
    pub(crate) fn spec(mut self, spec: &'static str) -> Self {
        self.case.spec = spec;
        self
    }

    /// The step program.
    pub(crate) fn steps(mut self, steps: Vec<Step>) -> Self {
        self.case.steps = steps;
        self
    }

    /// The expected events.
    pub(crate) fn expect(mut self, expected: Expected) -> Self {
        self.case.expected = expected;
        self
    }

    /// The expected closing behaviour.
    pub(crate) fn close(mut self, close: ExpectedClose) -> Self {
        self.case.expected_close = close;
        self
    }

    /// A verdict ladder adjustment.
    pub(crate) fn rule(mut self, rule: VerdictRule) -> Self {
        self.case.rule = rule;
        self
    }

    /// How the connection is opened.
    pub(crate) fn opening(mut self, opening: crate::model::Opening) -> Self {
        self.case.opening = opening;
        self
    }

    /// The browser generation the case replays.
    pub(crate) fn profile(mut self, profile: &'static str) -> Self {
        self.case.profile = Some(profile);
        self
    }

    /// Server mode: the wrong answer to give the client's opening request.
    pub(crate) fn server_answer(mut self, answer: crate::model::ServerAnswer) -> Self {
        self.case.server_answer = Some(answer);
        self
    }

    /// The permessage-deflate set-up (what the case needs agreed, the server-mode answers).
    pub(crate) fn compression(mut self, compression: crate::compression::Compression) -> Self {
        self.case.compression = Some(compression);
        self
    }

    /// Show the duration in reports.
    pub(crate) fn report_time(mut self) -> Self {
        self.case.report_time = true;
        self
    }

    /// Finish.
    pub(crate) fn build(self) -> Case {
        self.case
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compression::{Corpus, Negotiation};
    use crate::model::{
        ClosePayload, Delivery, Dialect, HandshakeExpect, Opening, Request, SplitAt,
    };
    use std::collections::HashSet;
    use std::path::PathBuf;

    #[test]
    fn ids_are_unique_and_sorted() {
        let ids: Vec<&str> = catalogue().iter().map(|c| c.id.as_str()).collect();
        let set: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(set.len(), ids.len(), "duplicate case ids");
        let keys: Vec<Vec<u32>> = catalogue().iter().map(Case::id_key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    /// Whether the handshake alone decides the case (the server must refuse).
    fn is_refusal(c: &Case) -> bool {
        matches!(
            c.opening.expect,
            HandshakeExpect::Refuse { .. } | HandshakeExpect::RefuseVersion
        )
    }

    #[test]
    fn every_case_has_steps_and_text() {
        for c in catalogue() {
            if is_refusal(c) {
                assert!(c.steps.is_empty(), "{} refuses but has steps", c.id);
                assert_eq!(c.expected, Expected::ok(vec![]), "{}", c.id);
            } else {
                assert!(!c.steps.is_empty(), "{} has no steps", c.id);
            }
            assert!(!c.description.is_empty(), "{} has no description", c.id);
            assert!(!c.expectation.is_empty(), "{} has no expectation", c.id);
        }
    }

    #[test]
    fn categories_are_registered_and_populated() {
        for c in catalogue() {
            assert!(
                CATEGORIES.contains(&c.category),
                "{} is in an unregistered category",
                c.id
            );
        }
        for cat in CATEGORIES {
            let n = catalogue()
                .iter()
                .filter(|c| c.category.number == cat.number)
                .count();
            assert!(n > 0, "category {} is empty", cat.number);
        }
        let count = |n: u32| {
            catalogue()
                .iter()
                .filter(|c| c.category.number == n)
                .count()
        };
        assert_eq!(
            catalogue()
                .iter()
                .filter(|c| c.category.number <= 10)
                .count(),
            301,
            "categories 1–10 mirror Autobahn's 301 cases"
        );
        for (n, lo, hi) in [
            (12, 90, 90),
            (13, 126, 126),
            (14, 30, 48),
            (15, 10, 15),
            (16, 20, 30),
            (17, 6, 10),
            (18, 9, 11),
            (19, 20, 30),
            (21, 50, 70),
        ] {
            assert!((lo..=hi).contains(&count(n)), "category {n}: {}", count(n));
        }
    }

    #[test]
    fn new_cases_cite_a_section_and_old_ones_keep_the_default_opening() {
        for c in catalogue() {
            if c.category.number <= 10 {
                assert_eq!(c.opening, Opening::default(), "{}", c.id);
                assert!(c.profile.is_none(), "{}", c.id);
                assert!(c.compression.is_none(), "{}", c.id);
                continue;
            }
            if matches!(c.category.number, 12 | 13) {
                // Autobahn's compression categories keep its texts, offer permessage-deflate
                // and run both ways; their rule is the whole RFC.
                assert_eq!(c.spec, "RFC 7692", "{}", c.id);
                assert!(c.subcategory.is_some(), "{}", c.id);
                assert_eq!(
                    c.compression.as_ref().map(|x| x.negotiation),
                    Some(Negotiation::Required),
                    "{}",
                    c.id
                );
                assert!(!c.tests_clients_only(), "{}", c.id);
                assert!(c.profile.is_none(), "{}", c.id);
                continue;
            }
            assert_eq!(
                c.compression.is_some(),
                c.category.number == 21,
                "{}: only the compression categories set up permessage-deflate",
                c.id
            );
            assert!(
                c.spec.contains('§'),
                "{} cites no section: {}",
                c.id,
                c.spec
            );
            assert!(
                c.subcategory.is_some() || matches!(c.category.number, 18 | 20),
                "{}",
                c.id
            );
            let sub = c.subcategory.as_ref().map(|s| s.id.as_str());
            assert_eq!(
                c.tests_clients_only(),
                c.category.number == 20 || sub == Some("21.5"),
                "{}: only category 20 and 21.5 answer the client wrongly",
                c.id
            );
            assert_eq!(
                c.profile.is_some(),
                c.category.number == 18,
                "{}: profiles belong to category 18 only",
                c.id
            );
        }
    }

    fn header<'r>(r: &'r Request, name: &str) -> Vec<&'r str> {
        r.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn openings_are_consistent_with_their_dialect() {
        for c in catalogue() {
            let o = &c.opening;
            let r = o.request();
            let d = o.dialect;
            // The delivery must make sense for the dialect.
            match &o.delivery {
                Delivery::Key3Later { .. }
                | Delivery::Split {
                    at: SplitAt::AfterHead,
                    ..
                } => assert!(
                    d == Dialect::Hixie76 && r.key3.is_some(),
                    "{}: key3 delivery without key3",
                    c.id
                ),
                Delivery::Pipelined(_) => assert!(!d.is_hixie(), "{}", c.id),
                Delivery::PipelinedRaw(_) => assert!(d.is_hixie(), "{}", c.id),
                _ => {}
            }
            // Only hixie-76 has a body; hixie cases send only raw octets and close plainly.
            assert_eq!(r.key3.is_some(), d == Dialect::Hixie76, "{}: key3", c.id);
            if d.is_hixie() {
                for s in &c.steps {
                    assert!(
                        matches!(
                            s,
                            Step::SendRaw { .. }
                                | Step::Close(ClosePayload::Raw(_))
                                | Step::Wait { .. }
                                | Step::KillAfter(_)
                        ),
                        "{}: {s:?} is no hixie step",
                        c.id
                    );
                }
                assert_eq!(c.expected_close, ExpectedClose::normal(), "{}", c.id);
            }
            if is_refusal(c) {
                continue;
            }
            // An accepting case carries exactly the keys of its dialect.
            let key = header(&r, "Sec-WebSocket-Key").len();
            let key1 = header(&r, "Sec-WebSocket-Key1").len();
            let key2 = header(&r, "Sec-WebSocket-Key2").len();
            let version = header(&r, "Sec-WebSocket-Version");
            match d {
                Dialect::Hixie75 => {
                    assert_eq!((key, key1, key2), (0, 0, 0), "{}", c.id);
                    assert!(version.is_empty(), "{}", c.id);
                }
                Dialect::Hixie76 => {
                    assert_eq!((key, key1, key2), (0, 1, 1), "{}", c.id);
                    assert!(version.is_empty(), "{}", c.id);
                }
                _ => {
                    assert_eq!((key, key1, key2), (1, 0, 0), "{}", c.id);
                    let v = d.version().expect("hybi has a version").to_string();
                    assert!(
                        version == ["{version}"] || version == [v.as_str()],
                        "{}: version {version:?} for {}",
                        c.id,
                        d.name()
                    );
                }
            }
        }
    }

    /// Where the Autobahn reference material lives (as the harness's reference test finds it).
    fn reference_dir() -> Option<PathBuf> {
        let dir = std::env::var_os("WSSPEC_REFERENCE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference")
            });
        dir.join("autobahn-cases.tsv").is_file().then_some(dir)
    }

    fn compression_cases() -> Vec<&'static Case> {
        catalogue()
            .iter()
            .filter(|c| matches!(c.category.number, 12 | 13))
            .collect()
    }

    #[test]
    fn compression_cases_carry_autobahn_ids_and_texts() {
        let Some(dir) = reference_dir() else {
            eprintln!("reference material not found; set WSSPEC_REFERENCE_DIR to run this check");
            return;
        };
        let tsv = std::fs::read_to_string(dir.join("autobahn-cases.tsv")).expect("tsv");
        let rows: Vec<Vec<&str>> = tsv
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|r| r[0].starts_with("12.") || r[0].starts_with("13."))
            .collect();
        let ours = compression_cases();
        assert_eq!(
            rows.len(),
            216,
            "the reference lists 216 cases in 12 and 13"
        );
        assert_eq!(ours.len(), rows.len());
        for (c, r) in ours.iter().zip(&rows) {
            let sub = c.subcategory.as_ref().expect("subcategory");
            assert_eq!(
                [
                    c.id.clone(),
                    c.description.clone(),
                    format!("{} {}", c.category.number, c.category.title),
                    format!("{} {}", sub.id, sub.title),
                    c.expectation.clone(),
                ],
                [r[0], r[1], r[2], r[3], r[4]].map(str::to_string),
                "{}",
                c.id
            );
        }
    }

    /// The text after `needle` up to the first of `ends`.
    fn between<'t>(text: &'t str, needle: &str, ends: &str) -> &'t str {
        let at = text
            .find(needle)
            .map(|i| i + needle.len())
            .unwrap_or(text.len());
        let rest = &text[at..];
        &rest[..rest.find(ends).unwrap_or(rest.len())]
    }

    /// Header lines of the `httpRequest` string of a reference report, unescaped.
    fn reference_request(report: &str) -> Vec<(String, String)> {
        let raw = between(report, "\"httpRequest\": \"", "\\r\\n\\r\\n\"");
        raw.split("\\r\\n")
            .skip(1)
            .map(|line| {
                let (n, v) = line.split_once(": ").expect("header line");
                (n.to_string(), v.replace("\\\"", "\"").replace("\\/", "/"))
            })
            .collect()
    }

    #[test]
    fn compression_offers_match_the_reference_requests() {
        let Some(dir) = reference_dir() else {
            eprintln!("reference material not found; set WSSPEC_REFERENCE_DIR to run this check");
            return;
        };
        let cases = compression_cases();
        let mut checked = 0;
        for first in cases
            .iter()
            .filter(|c| c.id.ends_with(".1") && c.id.len() <= 6)
        {
            let sub = &first.subcategory.as_ref().expect("subcategory").id;
            // One request per subcategory: every case of it opens the same way.
            for c in cases
                .iter()
                .filter(|c| c.subcategory.as_ref().map(|s| &s.id) == Some(sub))
            {
                assert_eq!(c.opening, first.opening, "{}", c.id);
                assert_eq!(c.compression, first.compression, "{}", c.id);
            }
            let ours = first.opening.request();
            for (set, agent) in [("ws", "node_ws"), ("websockets", "py_websockets")] {
                let path = dir
                    .join("autobahn-results")
                    .join(set)
                    .join(format!("{agent}_case_{}.json", first.id.replace('.', "_")));
                let report = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let theirs = reference_request(&report);
                let names = |h: &[(String, String)]| -> Vec<String> {
                    h.iter().map(|(n, _)| n.clone()).collect()
                };
                assert_eq!(names(&ours.headers), names(&theirs), "{}", first.id);
                // Every value that is not per connection (key, host, agent) is byte-identical.
                for ((name, value), (_, reference)) in ours.headers.iter().zip(&theirs) {
                    if !value.contains('{') {
                        assert_eq!(value, reference, "{} {name}", first.id);
                    }
                }
                assert_eq!(
                    header(&ours, "Sec-WebSocket-Extensions"),
                    [between(&report, "Sec-WebSocket-Extensions: ", "\\r\\n")],
                    "{}",
                    first.id
                );
                checked += 1;
            }
        }
        assert_eq!(
            checked,
            2 * 12,
            "12.1-12.5 and 13.1-13.7, against both references"
        );
    }

    #[test]
    fn compression_steps_say_what_the_texts_say() {
        let number = |text: &str, before: &str| -> usize {
            between(text, before, " ")
                .trim_end_matches(['.', ','])
                .parse()
                .expect("number")
        };
        for c in compression_cases() {
            let (corpus, len, count, fragment_size, within_ms) = match c.steps[..] {
                [Step::CompressedEchoes {
                    corpus,
                    len,
                    count,
                    fragment_size,
                    within_ms,
                }] => (corpus, len, count, fragment_size, within_ms),
                _ => panic!("{}: one CompressedEchoes step expected", c.id),
            };
            assert_eq!(count as usize, number(&c.description, "Send "), "{}", c.id);
            assert_eq!(len, number(&c.description, "payload size "), "{}", c.id);
            assert_eq!(
                fragment_size,
                number(&c.description, "auto-fragment to "),
                "{}",
                c.id
            );
            assert_eq!(
                within_ms,
                1000 * number(&c.expectation, "after ") as u64,
                "{}",
                c.id
            );
            let sub = c.subcategory.as_ref().expect("subcategory");
            assert!(sub.title.starts_with(corpus.description()), "{}", c.id);
            let nth: usize = sub.id[3..].parse().expect("subcategory number");
            let want = if c.category.number == 12 {
                Corpus::ALL[nth - 1]
            } else {
                Corpus::Json
            };
            assert_eq!(corpus, want, "{}", c.id);
            assert_eq!(c.expected, Expected::none(), "{}", c.id);
            assert_eq!(c.expected_close, ExpectedClose::normal(), "{}", c.id);
            assert!(c.report_time && c.is_performance(), "{}", c.id);
        }
    }

    /// Python's `[(True, 9), (False, 0)]`, parsed.
    fn python_pairs(list: &str) -> Vec<(bool, u8)> {
        list.trim_start_matches('[')
            .trim_end_matches(']')
            .split("), (")
            .map(|pair| {
                let (reset, bits) = pair
                    .trim_matches(|ch| ch == '(' || ch == ')')
                    .split_once(", ")
                    .expect("pair");
                (reset == "True", bits.parse().expect("bits"))
            })
            .collect()
    }

    #[test]
    fn category_13_answers_follow_the_subcategory_titles() {
        for c in compression_cases() {
            let accepts = &c.compression.as_ref().expect("compression").server_accepts;
            if c.category.number == 12 {
                assert_eq!(
                    *accepts,
                    [crate::compression::DeflateAccept::default()],
                    "{}",
                    c.id
                );
                continue;
            }
            let title = &c.subcategory.as_ref().expect("subcategory").title;
            let wanted = python_pairs(between(
                title,
                "/ server accept (requestNoContextTakeover, requestMaxWindowBits): ",
                "\n",
            ));
            let got: Vec<(bool, u8)> = accepts
                .iter()
                .map(|a| {
                    (
                        a.client_no_context_takeover,
                        a.client_max_window_bits.unwrap_or(0),
                    )
                })
                .collect();
            assert_eq!(got, wanted, "{}", c.id);
            // The offers the header carries are the ones the title lists.
            let offers = python_pairs(between(
                title,
                "client offers (requestNoContextTakeover, requestMaxWindowBits): ",
                " /",
            ));
            let r = c.opening.request();
            let header = header(&r, "Sec-WebSocket-Extensions");
            let elements: Vec<&str> = header[0].split(", ").collect();
            assert_eq!(elements.len(), offers.len(), "{}", c.id);
            for (e, (reset, bits)) in elements.iter().zip(offers) {
                assert_eq!(e.contains("server_no_context_takeover"), reset, "{}", c.id);
                assert_eq!(
                    e.contains(&format!("server_max_window_bits={bits}")),
                    bits > 0,
                    "{}",
                    c.id
                );
            }
        }
    }

    #[test]
    fn deflate_offers_are_sent_exactly_where_the_extension_is_wanted() {
        for c in catalogue()
            .iter()
            .filter(|c| matches!(c.category.number, 12 | 13 | 21))
        {
            let compression = c.compression.as_ref().expect("compression set");
            let r = c.opening.request();
            let offers = header(&r, "Sec-WebSocket-Extensions");
            if c.tests_clients_only() || compression.server_accepts.is_empty() && offers.is_empty()
            {
                // Server mode only, or the case that offers nothing on purpose.
                assert!(offers.is_empty(), "{}", c.id);
                assert_eq!(compression.negotiation, Negotiation::Optional, "{}", c.id);
                continue;
            }
            assert_eq!(offers.len(), 1, "{}: one extensions header", c.id);
            assert!(offers[0].contains("permessage-deflate"), "{}", c.id);
            assert_eq!(c.opening.expect, HandshakeExpect::Accept, "{}", c.id);
        }
    }

    #[test]
    fn selection_follows_autobahn_patterns() {
        let one = select(&Patterns::parse("1.*"), &Patterns::parse(""));
        assert!(one.iter().all(|c| c.id.starts_with("1.")));
        let none = select(&Patterns::parse("1.*"), &Patterns::parse("1.*"));
        assert!(none.is_empty());
    }

    /// draft-hixie-76 §5.2: digits / spaces, `None` when the server must abort.
    fn hixie_key_part(key: &str) -> Option<u64> {
        let digits: String = key.chars().filter(char::is_ascii_digit).collect();
        let spaces = key.chars().filter(|c| *c == ' ').count() as u64;
        let number: u64 = digits.parse().ok()?;
        (spaces > 0 && number % spaces == 0).then(|| number / spaces)
    }

    #[test]
    fn literal_hixie_keys_are_valid_exactly_where_the_server_must_accept() {
        assert_eq!(hixie_key_part("4 @1  46546xW%0l 1 5"), Some(829_309_203));
        assert_eq!(hixie_key_part("12998 5 Y3 1  .P00"), Some(259_970_620));
        for c in catalogue()
            .iter()
            .filter(|c| c.opening.dialect == Dialect::Hixie76)
        {
            let r = c.opening.request();
            let keys: Vec<&str> = ["Sec-WebSocket-Key1", "Sec-WebSocket-Key2"]
                .iter()
                .flat_map(|n| header(&r, n))
                .filter(|v| !v.contains('{'))
                .collect();
            let valid = keys.iter().all(|k| hixie_key_part(k).is_some());
            assert_eq!(valid, !is_refusal(c), "{}: keys {keys:?}", c.id);
        }
    }

    #[test]
    fn offered_unknown_extensions_are_fictitious() {
        assert!(crate::model::is_fictitious_extension(
            crate::model::UNKNOWN_EXTENSION
        ));
        assert!(!crate::model::is_fictitious_extension("permessage-deflate"));
        let offers: Vec<String> = catalogue()
            .iter()
            .filter(|c| c.id.starts_with("14.8."))
            .flat_map(|c| {
                let r = c.opening.request();
                header(&r, "Sec-WebSocket-Extensions")
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(|e| e.split(';').next().unwrap_or_default().trim().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(offers.len() >= 3);
        assert!(offers
            .iter()
            .all(|e| crate::model::is_fictitious_extension(e)));
    }
}
