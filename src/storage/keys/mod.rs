//! Ids, artifact kinds, scopes and keys: the only way to name something in the store.
//!
//! The layout is shared with the SaaS that writes the artifacts:
//!
//! ```text
//! tenants/{org_id}/projects/{project_id}/runs/{run_id}/{kind}/{name}.{ext}
//! ```
//!
//! Every value here is parsed once and can only hold something safe to put into a key
//! or a path, so nothing downstream re-checks a raw string.

mod names;
mod paths;
mod scope;

pub use names::{ArtifactKind, ArtifactName, ProjectId, RunId, TenantId};
pub use paths::{ArtifactKey, KeyPrefix, ObjectKey};
pub use scope::{Scope, ScopePrefix};

/// The top folder of every tenant's artifacts.
pub const TENANTS_ROOT: &str = "tenants/";

/// Longest tenant, project or run id accepted, in bytes.
pub const MAX_ID_LEN: usize = 128;
/// Longest artifact name accepted (without its extension), in bytes.
pub const MAX_NAME_LEN: usize = 200;
/// Longest object key accepted, in bytes (S3's own limit).
pub const MAX_KEY_LEN: usize = 1024;

/// Why a value was refused as an id, a name, a key or a prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Nothing was given.
    #[error("{what} is empty")]
    Empty { what: &'static str },
    /// Longer than the layout or S3 allows.
    #[error("{what} is longer than {max} bytes")]
    TooLong { what: &'static str, max: usize },
    /// A `.` or `..` that would move up or stay in a folder.
    #[error("{what} may not be `.` or `..`")]
    DotSegment { what: &'static str },
    /// A character that could change a key's meaning or hide what it says.
    #[error("{what} contains a character that is not allowed ({found:?})")]
    BadCharacter { what: &'static str, found: char },
    /// A leading `/` or `//`, which backends read differently.
    #[error("{what} contains an empty path segment")]
    EmptySegment { what: &'static str },
    /// A well-formed key that is not where an artifact lives.
    #[error("the key does not follow the artifact layout: {reason}")]
    Layout { reason: &'static str },
}

fn check_common(value: &str, what: &'static str, max: usize) -> Result<(), KeyError> {
    if value.is_empty() {
        return Err(KeyError::Empty { what });
    }
    if value.len() > max {
        return Err(KeyError::TooLong { what, max });
    }
    if value == "." || value == ".." {
        return Err(KeyError::DotSegment { what });
    }
    Ok(())
}

/// Ids are what the SaaS writes for organisations, projects and runs: ASCII letters,
/// digits, `-`, `_` and `.`.
fn check_id(value: &str, what: &'static str) -> Result<(), KeyError> {
    check_common(value, what, MAX_ID_LEN)?;
    match value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(found) => Err(KeyError::BadCharacter { what, found }),
        None => Ok(()),
    }
}

/// Characters that would let a name change the meaning of a key or a path, or hide
/// what it says on screen (control characters and bidirectional overrides).
fn is_forbidden_in_name(c: char) -> bool {
    c == '/'
        || c == '\\'
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(s: &str) -> TenantId {
        TenantId::parse(s).expect("valid tenant id")
    }

    #[test]
    fn ids_accept_what_the_saas_writes() {
        for ok in [
            "acme",
            "abc-123",
            "42",
            "run_2024.11.02",
            "0b6f4f6e-1c55-4b7e-9a1a-4b5c6d7e8f90",
        ] {
            assert!(TenantId::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn ids_refuse_anything_that_could_change_a_key() {
        let long = "a".repeat(MAX_ID_LEN + 1);
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "a\0b",
            "a\nb",
            "a b",
            "%2e%2e",
            "ü",
            long.as_str(),
        ] {
            assert!(RunId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_allow_spaces_but_no_separators_or_controls() {
        assert!(ArtifactName::parse("Login step 1 (mobile) & <b>").is_ok());
        for bad in [
            "",
            "..",
            "a/b",
            "a\\b",
            "a\u{0}",
            "a\u{7f}",
            "evil\u{202e}gnp",
            &"n".repeat(201),
        ] {
            assert!(ArtifactName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_tenant_prefix_never_matches_a_longer_tenant_id() {
        let acme = Scope::Tenant(tenant("acme")).prefix();

        let neighbour = "tenants/acme-corp/projects/1/runs/1/screenshots/a.png";

        assert_eq!(acme.as_str(), "tenants/acme/");
        assert!(!neighbour.starts_with(acme.as_str()));
    }

    #[test]
    fn run_scope_prefix_names_every_level() {
        let scope = Scope::from_parts(
            tenant("acme"),
            Some(ProjectId::parse("42").expect("id")),
            Some(RunId::parse("r1").expect("id")),
        )
        .expect("scope");

        assert_eq!(scope.prefix().as_str(), "tenants/acme/projects/42/runs/r1/");
        assert_eq!(scope.display_path(), "acme/42/r1");
    }

    #[test]
    fn artifact_keys_round_trip() {
        let raw = "tenants/acme/projects/42/runs/r1/screenshots/Login step 1.png";

        let key = ArtifactKey::parse(raw).expect("layout key");

        assert_eq!(key.key().as_str(), raw);
        assert_eq!(key.kind(), ArtifactKind::Screenshots);
        assert_eq!(key.name().as_str(), "Login step 1");
        assert!(key.run_scope().contains(&key));
    }

    #[test]
    fn keys_outside_the_layout_are_refused() {
        for bad in [
            "tenants/acme/projects/42/runs/r1/screenshots/a.webm",
            "tenants/acme/projects/42/runs/r1/other/a.png",
            "tenants/acme/projects/42/runs/r1/screenshots/sub/a.png",
            "tenants/acme/projects/42/runs/r1/a.png",
            "tenants/../projects/42/runs/r1/screenshots/a.png",
            "elsewhere/acme/projects/42/runs/r1/screenshots/a.png",
            "tenants/acme/stuff/42/runs/r1/screenshots/a.png",
        ] {
            assert!(ArtifactKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn object_keys_refuse_traversal_and_absolute_paths() {
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "a//b",
            "./a",
            "a\\b",
            "a\0b",
            "a/",
            &"k".repeat(1025),
        ] {
            assert!(ObjectKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ObjectKey::parse("tenants/acme/notes.txt").is_ok());
    }

    #[test]
    fn prefixes_may_end_mid_segment_but_not_traverse() {
        assert!(KeyPrefix::parse("tenants/ac").is_ok());
        assert!(KeyPrefix::parse("tenants/acme/").is_ok());
        assert!(KeyPrefix::parse("tenants/../").is_err());
        assert!(KeyPrefix::parse("/tenants/").is_err());
    }
}
