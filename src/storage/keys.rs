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

use std::fmt;

use serde::{Serialize, Serializer};

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

/// What an erasure, a usage figure or a listing is about: a tenant, a project or a run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything of one organisation.
    Tenant(TenantId),
    /// One project of an organisation.
    Project(TenantId, ProjectId),
    /// One crawl run of a project.
    Run(TenantId, ProjectId, RunId),
}

impl Scope {
    /// Builds a scope from optional parts; a run needs a project.
    pub fn from_parts(
        tenant: TenantId,
        project: Option<ProjectId>,
        run: Option<RunId>,
    ) -> Result<Self, KeyError> {
        match (project, run) {
            (None, None) => Ok(Self::Tenant(tenant)),
            (Some(p), None) => Ok(Self::Project(tenant, p)),
            (Some(p), Some(r)) => Ok(Self::Run(tenant, p, r)),
            (None, Some(_)) => Err(KeyError::Layout {
                reason: "a run scope needs its project",
            }),
        }
    }

    /// The tenant every scope belongs to.
    pub fn tenant(&self) -> &TenantId {
        match self {
            Self::Tenant(t) | Self::Project(t, _) | Self::Run(t, _, _) => t,
        }
    }

    /// The project, for project and run scopes.
    pub fn project(&self) -> Option<&ProjectId> {
        match self {
            Self::Tenant(_) => None,
            Self::Project(_, p) | Self::Run(_, p, _) => Some(p),
        }
    }

    /// The run, for run scopes.
    pub fn run(&self) -> Option<&RunId> {
        match self {
            Self::Run(_, _, r) => Some(r),
            _ => None,
        }
    }

    /// `tenant`, `project` or `run`.
    pub fn level(&self) -> &'static str {
        match self {
            Self::Tenant(_) => "tenant",
            Self::Project(..) => "project",
            Self::Run(..) => "run",
        }
    }

    /// The key prefix of everything in this scope; it always ends with `/`, so the
    /// tenant `acme` never matches `acme-corp`.
    pub fn prefix(&self) -> ScopePrefix {
        let mut p = format!("{TENANTS_ROOT}{}/", self.tenant());
        if let Some(project) = self.project() {
            p.push_str("projects/");
            p.push_str(project.as_str());
            p.push('/');
        }
        if let Some(run) = self.run() {
            p.push_str("runs/");
            p.push_str(run.as_str());
            p.push('/');
        }
        ScopePrefix(p)
    }

    /// The scope written as a path without the `tenants/` root, e.g. `acme/42/run-7`;
    /// this is what an admin types to confirm an erasure.
    pub fn display_path(&self) -> String {
        let mut s = self.tenant().to_string();
        if let Some(p) = self.project() {
            s.push('/');
            s.push_str(p.as_str());
        }
        if let Some(r) = self.run() {
            s.push('/');
            s.push_str(r.as_str());
        }
        s
    }

    /// Whether `key` lies inside this scope.
    pub fn contains(&self, key: &ArtifactKey) -> bool {
        key.key().as_str().starts_with(self.prefix().as_str())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.level(), self.display_path())
    }
}

/// The key prefix of a [`Scope`]. It can only be made from a scope, so anything that
/// deletes by prefix can only delete a whole tenant, project or run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopePrefix(String);

impl ScopePrefix {
    /// The prefix, ending with `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same prefix as a plain listing prefix.
    pub fn as_key_prefix(&self) -> KeyPrefix {
        KeyPrefix(self.0.clone())
    }
}

impl fmt::Display for ScopePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A prefix to list or measure under. It may end anywhere (a search for tenants whose
/// id starts with `ac` lists under `tenants/ac`), but holds only safe key characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    /// The prefix of every tenant's artifacts, `tenants/`.
    pub fn tenants() -> Self {
        Self(TENANTS_ROOT.to_owned())
    }

    /// The whole store; used only by the contract tests and whole-store checks.
    pub fn everything() -> Self {
        Self(String::new())
    }

    /// Accepts any prefix of a valid key: the same characters, no `.` or `..` segment
    /// and no empty segment before its last `/`.
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        if value.is_empty() {
            return Ok(Self::everything());
        }
        check_key_text(value, "key prefix")?;
        let complete_segments = value.rsplit_once('/').map_or("", |(head, _)| head);
        if !complete_segments.is_empty() {
            check_segments(complete_segments, "key prefix")?;
        }
        Ok(Self(value.to_owned()))
    }

    /// The prefix as sent to the store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_key_text(value: &str, what: &'static str) -> Result<(), KeyError> {
    if value.len() > MAX_KEY_LEN {
        return Err(KeyError::TooLong {
            what,
            max: MAX_KEY_LEN,
        });
    }
    if value.starts_with('/') {
        return Err(KeyError::EmptySegment { what });
    }
    if let Some(found) = value.chars().find(|&c| c == '\\' || c.is_control()) {
        return Err(KeyError::BadCharacter { what, found });
    }
    Ok(())
}

fn check_segments(value: &str, what: &'static str) -> Result<(), KeyError> {
    for segment in value.split('/') {
        if segment.is_empty() {
            return Err(KeyError::EmptySegment { what });
        }
        if segment == "." || segment == ".." {
            return Err(KeyError::DotSegment { what });
        }
    }
    Ok(())
}

/// A key that is safe to hand to any backend: relative, at most [`MAX_KEY_LEN`] bytes,
/// no empty, `.` or `..` segment, no backslash, no control character.
///
/// It need not follow the artifact layout: the store also holds files the SaaS did not
/// write, and the console must be able to list, measure and erase them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Refuses anything that could escape a folder or change meaning between backends.
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        let what = "object key";
        if value.is_empty() {
            return Err(KeyError::Empty { what });
        }
        check_key_text(value, what)?;
        check_segments(value, what)?;
        Ok(Self(value.to_owned()))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ObjectKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A key that follows the artifact layout, with every part parsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArtifactKey {
    tenant: TenantId,
    project: ProjectId,
    run: RunId,
    kind: ArtifactKind,
    name: ArtifactName,
    key: ObjectKey,
}

impl ArtifactKey {
    /// Builds the key of an artifact from its parts.
    pub fn new(
        tenant: TenantId,
        project: ProjectId,
        run: RunId,
        kind: ArtifactKind,
        name: ArtifactName,
    ) -> Self {
        let key = format!(
            "{TENANTS_ROOT}{tenant}/projects/{project}/runs/{run}/{}/{}{}",
            kind.folder(),
            name,
            kind.extension()
        );
        let key = ObjectKey(key);
        Self {
            tenant,
            project,
            run,
            kind,
            name,
            key,
        }
    }

    /// Parses a full key such as
    /// `tenants/acme/projects/42/runs/r1/screenshots/login.png`.
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        let layout = |reason| KeyError::Layout { reason };
        let rest = value
            .strip_prefix(TENANTS_ROOT)
            .ok_or(layout("it does not start with tenants/"))?;
        let mut parts = rest.splitn(6, '/');
        let mut next = |reason| parts.next().ok_or(layout(reason));
        let tenant = TenantId::parse(next("no tenant id")?)?;
        if next("no projects folder")? != "projects" {
            return Err(layout(
                "the tenant folder holds something other than projects/",
            ));
        }
        let project = ProjectId::parse(next("no project id")?)?;
        if next("no runs folder")? != "runs" {
            return Err(layout(
                "the project folder holds something other than runs/",
            ));
        }
        let run = RunId::parse(next("no run id")?)?;
        let rest = next("nothing inside the run")?;
        let (folder, file) = rest
            .split_once('/')
            .ok_or(layout("the file is not inside a kind folder"))?;
        let kind = ArtifactKind::from_folder(folder).ok_or(layout("unknown artifact folder"))?;
        let stem = file
            .strip_suffix(kind.extension())
            .ok_or(layout("the file has the wrong extension for its folder"))?;
        let name = ArtifactName::parse(stem)?;
        Ok(Self::new(tenant, project, run, kind, name))
    }

    /// The tenant the artifact belongs to.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The project the artifact belongs to.
    pub fn project(&self) -> &ProjectId {
        &self.project
    }

    /// The run that produced the artifact.
    pub fn run(&self) -> &RunId {
        &self.run
    }

    /// Screenshot, video, diff or test.
    pub fn kind(&self) -> ArtifactKind {
        self.kind
    }

    /// The name without folder or extension.
    pub fn name(&self) -> &ArtifactName {
        &self.name
    }

    /// The file name with its extension, e.g. `login.png`.
    pub fn file_name(&self) -> String {
        format!("{}{}", self.name, self.kind.extension())
    }

    /// The full object key.
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    /// The run this artifact belongs to, as a scope.
    pub fn run_scope(&self) -> Scope {
        Scope::Run(self.tenant.clone(), self.project.clone(), self.run.clone())
    }
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
