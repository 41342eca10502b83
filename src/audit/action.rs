//! Action names: `category.operation`.

use std::fmt;

use super::AuditError;

/// An action name, `category.operation` (`purge.requested`): two parts of lowercase
/// ASCII letters, digits and `_`, each starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action(String);

impl Action {
    /// Longest action accepted, in bytes.
    pub const MAX_LEN: usize = 64;

    /// Accepts `category.operation`; refuses anything else.
    pub fn parse(value: &str) -> Result<Self, AuditError> {
        let valid = value.len() <= Self::MAX_LEN
            && value
                .split_once('.')
                .is_some_and(|(category, operation)| is_word(category) && is_word(operation));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(AuditError::Invalid(format!(
                "the action {value:?} is not category.operation in lowercase letters, digits and _"
            )))
        }
    }

    /// The action as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the dot.
    pub fn category(&self) -> &str {
        self.0.split_once('.').map_or(&self.0, |(c, _)| c)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_word(part: &str) -> bool {
    part.starts_with(|c: char| c.is_ascii_lowercase())
        && part
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
