//! Values the partial templates render: pagination, flash messages and empty states.

use super::links::encode;

/// Links of a forward-only listing: object stores list after a key, never before it,
/// so a page links to the next one and back to the first.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    pub first: Option<String>,
    pub next: Option<String>,
    /// E.g. `Showing 51–100`.
    pub position: String,
}

impl Pager {
    /// Links for a page of `shown` items that started after `after`, given the cursor
    /// of the next page. `base` already holds every other query parameter.
    pub fn new(base: &str, after: Option<&str>, next: Option<&str>, shown: usize) -> Self {
        let join = if base.contains('?') { '&' } else { '?' };
        Self {
            first: after.map(|_| base.to_owned()),
            next: next.map(|cursor| format!("{base}{join}after={}", encode(cursor))),
            position: match (after, shown) {
                (_, 0) => String::new(),
                (None, n) => format!("Showing the first {n}"),
                (Some(cursor), n) => format!("Showing {n} after “{cursor}”"),
            },
        }
    }

    /// Whether there is anything to show.
    pub fn has_links(&self) -> bool {
        self.first.is_some() || self.next.is_some()
    }
}

/// A one-line message at the top of a page.
#[derive(Debug, Clone)]
pub struct Flash {
    /// `info`, `warning` or `error`; used as a CSS class.
    pub level: &'static str,
    pub message: String,
}

/// What a page says when it has nothing to list, and what to do next.
#[derive(Debug, Clone, Default)]
pub struct EmptyState {
    pub title: String,
    pub lines: Vec<String>,
    /// Commands to copy, shown in a code block.
    pub commands: Vec<String>,
}
