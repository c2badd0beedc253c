//! Autobahn-compatible case-id patterns. Autobahn turns a pattern that holds a `*` into a
//! regular expression (`.` escaped, `*` → `.*`) matched at the start of the id only, so
//! `1.*` selects category 1 and `12.*.[1234]$` (a wsproto idiom) works; a pattern without
//! `*` is a literal id.

use regex::Regex;

/// One pattern as written, and its compiled form when it needs a regular expression.
#[derive(Debug, Clone)]
struct Item {
    text: String,
    /// `Some` for patterns beyond plain `*` globs; `Err` when the expression is invalid.
    regex: Option<Result<Regex, String>>,
}

impl Item {
    fn new(text: String) -> Self {
        let plain = text
            .bytes()
            .all(|b| b == b'*' || b == b'.' || b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let regex = (text.contains('*') && !plain).then(|| {
            let source = format!("^(?:{})", text.replace('.', r"\.").replace('*', ".*"));
            Regex::new(&source).map_err(|e| e.to_string())
        });
        Item { text, regex }
    }

    fn matches(&self, id: &str) -> bool {
        match &self.regex {
            Some(Ok(re)) => re.is_match(id),
            Some(Err(_)) => false,
            None => pattern_matches(&self.text, id),
        }
    }
}

/// A parsed list of comma-separated case patterns.
#[derive(Debug, Clone)]
pub struct Patterns {
    items: Vec<Item>,
}

impl PartialEq for Patterns {
    fn eq(&self, other: &Self) -> bool {
        self.items.len() == other.items.len()
            && self
                .items
                .iter()
                .zip(&other.items)
                .all(|(a, b)| a.text == b.text)
    }
}

impl Eq for Patterns {}

impl Patterns {
    /// Parse a comma-separated list such as `1.*,7.1.*`; blank items are ignored.
    pub fn parse(list: &str) -> Self {
        Self::from_items(list.split(',').map(str::trim).filter(|s| !s.is_empty()))
    }

    /// Build from already split patterns (e.g. a spec file's `cases` array).
    pub fn from_items<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Self {
        Patterns {
            items: items.into_iter().map(|s| Item::new(s.into())).collect(),
        }
    }

    /// Whether no pattern was given.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether any pattern matches the case id.
    pub fn matches(&self, id: &str) -> bool {
        self.items.iter().any(|p| p.matches(id))
    }

    /// The patterns as written.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|i| i.text.as_str())
    }

    /// Patterns whose regular expression does not compile, with the reason: they match
    /// nothing, so callers report them instead of silently running fewer cases.
    pub fn invalid(&self) -> Vec<(&str, &str)> {
        self.items
            .iter()
            .filter_map(|i| match &i.regex {
                Some(Err(e)) => Some((i.text.as_str(), e.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Patterns that may match more than the user meant: like Autobahn, `1*` also selects
    /// 10.x, because a wildcard match is anchored at the start only.
    pub fn loose(&self) -> Vec<&str> {
        self.texts()
            .filter(|p| {
                let b = p.as_bytes();
                b.len() >= 2 && b[b.len() - 1] == b'*' && b[b.len() - 2].is_ascii_digit()
            })
            .collect()
    }
}

/// Autobahn's rule for plain globs: without `*` the pattern is a literal id; with `*` it is
/// a wildcard match anchored at the start of the id only. (Patterns with other regular
/// expression syntax go through [`Patterns`].)
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

/// Autobahn's `exclude-agent-cases` rule: the pattern, regex-converted as above, must match
/// the whole string (agent name or case id).
pub fn full_match(pattern: &str, text: &str) -> Result<bool, String> {
    let source = format!("^(?:{})$", pattern.replace('.', r"\.").replace('*', ".*"));
    Regex::new(&source)
        .map(|re| re.is_match(text))
        .map_err(|e| e.to_string())
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

    #[test]
    fn regular_expressions_in_disguise_work_as_in_autobahn() {
        // wsproto's fast selection: subcases 1-4 of every subcategory of 12.
        let p = Patterns::parse("12.*.[1234]$");
        assert!(p.matches("12.3.4"));
        assert!(!p.matches("12.3.5"));
        assert!(!p.matches("12.3.14"), "$ anchors the end");
        assert!(!p.matches("13.1.1"));
        assert!(p.invalid().is_empty());
        // Without `*` a pattern is a literal id, whatever it contains.
        assert!(!Patterns::parse("1.1.[1]").matches("1.1.1"));
        let bad = Patterns::parse("1.*[");
        assert!(!bad.matches("1.1.1"));
        assert_eq!(bad.invalid().len(), 1);
    }

    #[test]
    fn exclude_agent_cases_match_whole_strings() {
        assert_eq!(full_match("Python*", "Python-ws"), Ok(true));
        assert_eq!(full_match("Python", "Python-ws"), Ok(false));
        assert_eq!(full_match("7.1.*", "7.1.1"), Ok(true));
        assert_eq!(full_match("7.1", "7.1.1"), Ok(false));
        assert!(full_match("(", "x").is_err());
    }
}
