//! Autobahn-compatible case-id patterns: `*` is a wildcard, the match is anchored at the start only.

/// A parsed list of comma-separated case patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    items: Vec<String>,
}

impl Patterns {
    /// Parse a comma-separated list such as `1.*,7.1.*`; blank items are ignored.
    pub fn parse(list: &str) -> Self {
        Patterns {
            items: list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        }
    }

    /// Build from already split patterns (e.g. a spec file's `cases` array).
    pub fn from_items<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Self {
        Patterns {
            items: items.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether no pattern was given.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether any pattern matches the case id.
    pub fn matches(&self, id: &str) -> bool {
        self.items.iter().any(|p| pattern_matches(p, id))
    }

    /// Patterns that may match more than the user meant: like Autobahn, `1*` also selects
    /// 10.x, because a wildcard match is anchored at the start only.
    pub fn loose(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|p| {
                let b = p.as_bytes();
                b.len() >= 2 && b[b.len() - 1] == b'*' && b[b.len() - 2].is_ascii_digit()
            })
            .map(String::as_str)
            .collect()
    }
}

/// Autobahn's rule: without `*` the pattern is a literal id; with `*` it is a wildcard
/// match anchored at the start of the id only.
pub fn pattern_matches(pattern: &str, id: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == id;
    }
    glob_prefix(pattern.as_bytes(), id.as_bytes())
}

/// Whether `pat` (with `*` wildcards) matches a prefix of `text`.
fn glob_prefix(pat: &[u8], text: &[u8]) -> bool {
    match pat.split_first() {
        None => true,
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob_prefix(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob_prefix(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_patterns_match_exactly() {
        assert!(pattern_matches("1.1.1", "1.1.1"));
        assert!(!pattern_matches("1.1.1", "1.1.10"));
    }

    #[test]
    fn wildcards_are_anchored_at_the_start_only() {
        assert!(pattern_matches("1.*", "1.1.8"));
        assert!(!pattern_matches("1.*", "10.1.1"));
        assert!(pattern_matches("1*", "10.1.1"));
        assert!(pattern_matches("*", "9.7.6"));
        assert!(pattern_matches("6.*.1", "6.4.1"));
        assert!(
            pattern_matches("6.*.1", "6.4.10"),
            "no end anchor, as Autobahn"
        );
        assert!(!pattern_matches("7.*", "6.7.1"));
    }

    #[test]
    fn comma_lists_and_loose_patterns() {
        let p = Patterns::parse("1.*, 7.1.*,");
        assert!(p.matches("7.1.3"));
        assert!(!p.matches("2.1"));
        assert!(p.loose().is_empty());
        assert_eq!(Patterns::parse("1*").loose(), vec!["1*"]);
    }
}
