//! Placeholder: filled in by the catalogue work.

use crate::model::Case;

/// The cases of this category.
pub(crate) fn cases() -> Vec<Case> {
    Vec::new()
}
