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
    use std::collections::HashSet;

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

    #[test]
    fn every_case_has_steps_and_text() {
        for c in catalogue() {
            assert!(!c.steps.is_empty(), "{} has no steps", c.id);
            assert!(!c.description.is_empty(), "{} has no description", c.id);
            assert!(!c.expectation.is_empty(), "{} has no expectation", c.id);
        }
    }

    #[test]
    fn selection_follows_autobahn_patterns() {
        let one = select(&Patterns::parse("1.*"), &Patterns::parse(""));
        assert!(one.iter().all(|c| c.id.starts_with("1.")));
        let none = select(&Patterns::parse("1.*"), &Patterns::parse("1.*"));
        assert!(none.is_empty());
    }
}
