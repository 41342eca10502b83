//! Tenant, project and run ids, artifact kinds and artifact names: the parts a key is
//! made of.

use std::fmt;

use serde::{Serialize, Serializer};

use super::{KeyError, MAX_NAME_LEN, check_common, check_id, is_forbidden_in_name};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Accepts letters, digits, `-`, `_` and `.`, at most [`MAX_ID_LEN`] bytes,
            /// never `.` or `..`.
            pub fn parse(value: &str) -> Result<Self, KeyError> {
                check_id(value, $what)?;
                Ok(Self(value.to_owned()))
            }

            /// The id as written in keys and URLs.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

id_type!(
    /// An organisation (tenant) id, as in `tenants/{org_id}/`.
    TenantId,
    "tenant id"
);
id_type!(
    /// A project id within a tenant.
    ProjectId,
    "project id"
);
id_type!(
    /// A crawl run id within a project.
    RunId,
    "run id"
);

/// The four kinds of artifact a run leaves, each in its own folder with one extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArtifactKind {
    Screenshots,
    Videos,
    Diffs,
    Tests,
}

impl ArtifactKind {
    /// Every kind, in the order a run page shows them.
    pub const ALL: [ArtifactKind; 4] = [Self::Screenshots, Self::Videos, Self::Diffs, Self::Tests];

    /// The folder name inside a run, e.g. `screenshots`.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Screenshots => "screenshots",
            Self::Videos => "videos",
            Self::Diffs => "diffs",
            Self::Tests => "tests",
        }
    }

    /// The file extension, with its dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Screenshots | Self::Diffs => ".png",
            Self::Videos => ".webm",
            Self::Tests => ".py",
        }
    }

    /// The content type the console serves this kind with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Screenshots | Self::Diffs => "image/png",
            Self::Videos => "video/webm",
            Self::Tests => "text/x-python; charset=utf-8",
        }
    }

    /// Whether a small preview image can be made of it.
    pub fn is_image(self) -> bool {
        matches!(self, Self::Screenshots | Self::Diffs)
    }

    /// The kind whose folder is `folder`, if any.
    pub fn from_folder(folder: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.folder() == folder)
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.folder())
    }
}

/// An artifact's name without its extension: a step, a video, a diff or a test suite.
///
/// Names may hold spaces and other printable characters, but never a path separator,
/// a control character or a bidirectional override.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArtifactName(String);

impl ArtifactName {
    /// Accepts printable names of at most [`MAX_NAME_LEN`] bytes.
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        let what = "artifact name";
        check_common(value, what, MAX_NAME_LEN)?;
        if let Some(found) = value.chars().find(|&c| is_forbidden_in_name(c)) {
            return Err(KeyError::BadCharacter { what, found });
        }
        Ok(Self(value.to_owned()))
    }

    /// The name as shown to people.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArtifactName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
