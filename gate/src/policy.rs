//! `--fail-on`: which verdicts fail the gate.
//!
//! A policy is a set of words, each naming a class of verdicts. It is applied to both
//! `behavior` and `behaviorClose` of every case:
//!
//! | word            | behavior        | behaviorClose                |
//! |-----------------|-----------------|------------------------------|
//! | `failed`        | `FAILED`        | `FAILED`, `FAILED BY CLIENT` |
//! | `non-strict`    | `NON-STRICT`    | —                            |
//! | `unclean`       | —               | `UNCLEAN`                    |
//! | `wrong-code`    | —               | `WRONG CODE`                 |
//! | `informational` | `INFORMATIONAL` | `INFORMATIONAL`              |
//! | `unimplemented` | `UNIMPLEMENTED` | `UNIMPLEMENTED`              |
//!
//! The default is `failed,unclean,wrong-code`; an empty list fails nothing.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use wsspec_cases::{CloseVerdict, Verdict};

/// One `--fail-on` word: a class of verdicts that fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailOn {
    /// behavior `FAILED`, behaviorClose `FAILED` or `FAILED BY CLIENT`.
    Failed,
    /// behavior `NON-STRICT`.
    NonStrict,
    /// behaviorClose `UNCLEAN`.
    Unclean,
    /// behaviorClose `WRONG CODE`.
    WrongCode,
    /// `INFORMATIONAL` in either field.
    Informational,
    /// `UNIMPLEMENTED` in either field.
    Unimplemented,
}

impl FailOn {
    /// Every word, in display order.
    pub const ALL: [FailOn; 6] = [
        FailOn::Failed,
        FailOn::NonStrict,
        FailOn::Unclean,
        FailOn::WrongCode,
        FailOn::Informational,
        FailOn::Unimplemented,
    ];

    /// The word as written on the command line (`non-strict`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Failed => "failed",
            FailOn::NonStrict => "non-strict",
            FailOn::Unclean => "unclean",
            FailOn::WrongCode => "wrong-code",
            FailOn::Informational => "informational",
            FailOn::Unimplemented => "unimplemented",
        }
    }

    /// Parse one word (surrounding blanks ignored, ASCII case-insensitive).
    pub fn parse(word: &str) -> Option<FailOn> {
        let word = word.trim();
        FailOn::ALL
            .into_iter()
            .find(|w| w.as_str().eq_ignore_ascii_case(word))
    }

    /// The words a behavior verdict falls under (at most one).
    pub fn of_behavior(v: Verdict) -> Option<FailOn> {
        match v {
            Verdict::Ok => None,
            Verdict::NonStrict => Some(FailOn::NonStrict),
            Verdict::Failed => Some(FailOn::Failed),
            Verdict::Informational => Some(FailOn::Informational),
            Verdict::Unimplemented => Some(FailOn::Unimplemented),
        }
    }

    /// The word a behaviorClose verdict falls under (at most one).
    pub fn of_close(v: CloseVerdict) -> Option<FailOn> {
        match v {
            CloseVerdict::Ok => None,
            CloseVerdict::Failed | CloseVerdict::FailedByClient => Some(FailOn::Failed),
            CloseVerdict::WrongCode => Some(FailOn::WrongCode),
            CloseVerdict::Unclean => Some(FailOn::Unclean),
            CloseVerdict::Informational => Some(FailOn::Informational),
            CloseVerdict::Unimplemented => Some(FailOn::Unimplemented),
        }
    }

    /// Every word a verdict pair falls under, whatever the policy, in display order.
    pub fn of(behavior: Verdict, close: CloseVerdict) -> Vec<FailOn> {
        let set: BTreeSet<FailOn> = FailOn::of_behavior(behavior)
            .into_iter()
            .chain(FailOn::of_close(close))
            .collect();
        set.into_iter().collect()
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a `--fail-on` list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A word of the list is not one of the six.
    #[error(
        "unknown --fail-on word {word:?}; valid words: failed, non-strict, unclean, wrong-code, \
         informational, unimplemented (comma-separated; an empty list fails nothing)"
    )]
    UnknownWord {
        /// The word as given.
        word: String,
    },
}

/// The set of verdict classes that fail the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    fail_on: BTreeSet<FailOn>,
}

impl Default for Policy {
    /// `failed,unclean,wrong-code`.
    fn default() -> Self {
        Policy::new([FailOn::Failed, FailOn::Unclean, FailOn::WrongCode])
    }
}

impl Policy {
    /// A policy failing on exactly these words.
    pub fn new(words: impl IntoIterator<Item = FailOn>) -> Self {
        Policy {
            fail_on: words.into_iter().collect(),
        }
    }

    /// Parse a comma-separated list such as `failed,non-strict`; blank items are ignored,
    /// so `""` is the policy that fails nothing.
    pub fn parse(list: &str) -> Result<Policy, PolicyError> {
        let mut fail_on = BTreeSet::new();
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let parsed = FailOn::parse(word).ok_or_else(|| PolicyError::UnknownWord {
                word: word.to_string(),
            })?;
            fail_on.insert(parsed);
        }
        Ok(Policy { fail_on })
    }

    /// Whether this word fails the gate.
    pub fn fails_on(&self, word: FailOn) -> bool {
        self.fail_on.contains(&word)
    }

    /// The words of the policy, in display order.
    pub fn words(&self) -> impl Iterator<Item = FailOn> + '_ {
        self.fail_on.iter().copied()
    }

    /// Whether nothing fails the gate.
    pub fn is_empty(&self) -> bool {
        self.fail_on.is_empty()
    }

    /// The policy words a case's verdicts break (empty: the case passes the policy).
    pub fn violations(&self, behavior: Verdict, close: CloseVerdict) -> Vec<FailOn> {
        FailOn::of(behavior, close)
            .into_iter()
            .filter(|w| self.fails_on(*w))
            .collect()
    }
}

impl FromStr for Policy {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Policy::parse(s)
    }
}

impl fmt::Display for Policy {
    /// The comma-separated list (empty for the policy that fails nothing); it parses back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, w) in self.fail_on.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(w.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_failed_unclean_wrong_code() {
        let p = Policy::default();
        assert_eq!(p.to_string(), "failed,unclean,wrong-code");
        assert_eq!(Policy::parse("failed,unclean,wrong-code"), Ok(p));
    }

    #[test]
    fn parse_accepts_blanks_duplicates_and_any_order() {
        let p = Policy::parse(" unimplemented , failed,,failed ").unwrap();
        assert_eq!(p.to_string(), "failed,unimplemented");
        assert!(p.fails_on(FailOn::Unimplemented));
        assert!(!p.fails_on(FailOn::NonStrict));
        assert_eq!(
            Policy::parse("NON-STRICT").unwrap().to_string(),
            "non-strict"
        );
    }

    #[test]
    fn empty_list_fails_nothing() {
        let p = Policy::parse("").unwrap();
        assert!(p.is_empty());
        assert_eq!(p.to_string(), "");
        assert!(p
            .violations(Verdict::Failed, CloseVerdict::FailedByClient)
            .is_empty());
    }

    #[test]
    fn unknown_word_is_named_with_the_valid_ones() {
        let err = Policy::parse("failed,nonstrict").unwrap_err();
        assert_eq!(
            err,
            PolicyError::UnknownWord {
                word: "nonstrict".into()
            }
        );
        let text = err.to_string();
        assert!(text.contains("\"nonstrict\""), "{text}");
        for w in FailOn::ALL {
            assert!(text.contains(w.as_str()), "{text} lacks {w}");
        }
    }

    #[test]
    fn display_round_trips_every_word() {
        let all = Policy::new(FailOn::ALL);
        assert_eq!(Policy::parse(&all.to_string()), Ok(all));
    }

    #[test]
    fn violations_look_at_both_fields() {
        let p = Policy::default();
        assert!(p.violations(Verdict::Ok, CloseVerdict::Ok).is_empty());
        assert!(p
            .violations(Verdict::NonStrict, CloseVerdict::Ok)
            .is_empty());
        assert_eq!(
            p.violations(Verdict::Ok, CloseVerdict::FailedByClient),
            vec![FailOn::Failed]
        );
        assert_eq!(
            p.violations(Verdict::Ok, CloseVerdict::Failed),
            vec![FailOn::Failed]
        );
        assert_eq!(
            p.violations(Verdict::Failed, CloseVerdict::WrongCode),
            vec![FailOn::Failed, FailOn::WrongCode]
        );
        assert_eq!(
            p.violations(Verdict::Failed, CloseVerdict::Failed),
            vec![FailOn::Failed],
            "one word per class, even when both fields fail"
        );
        assert_eq!(
            p.violations(Verdict::Ok, CloseVerdict::Unclean),
            vec![FailOn::Unclean]
        );
        // Not in the default policy.
        assert!(p
            .violations(Verdict::Unimplemented, CloseVerdict::Informational)
            .is_empty());
    }

    #[test]
    fn informational_and_unimplemented_in_either_field() {
        let p = Policy::parse("informational,unimplemented").unwrap();
        assert_eq!(
            p.violations(Verdict::Ok, CloseVerdict::Informational),
            vec![FailOn::Informational]
        );
        assert_eq!(
            p.violations(Verdict::Informational, CloseVerdict::Ok),
            vec![FailOn::Informational]
        );
        assert_eq!(
            p.violations(Verdict::Ok, CloseVerdict::Unimplemented),
            vec![FailOn::Unimplemented]
        );
        assert_eq!(
            p.violations(Verdict::Unimplemented, CloseVerdict::Informational),
            vec![FailOn::Informational, FailOn::Unimplemented]
        );
        let ns = Policy::parse("non-strict").unwrap();
        assert_eq!(
            ns.violations(Verdict::NonStrict, CloseVerdict::WrongCode),
            vec![FailOn::NonStrict]
        );
    }
}
