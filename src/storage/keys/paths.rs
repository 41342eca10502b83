//! Listing prefixes, object keys and artifact keys: what reaches a backend.

use std::fmt;

use serde::{Serialize, Serializer};

use super::{
    ArtifactKind, ArtifactName, KeyError, MAX_KEY_LEN, ProjectId, RunId, Scope, TENANTS_ROOT,
    TenantId,
};

/// A prefix to list or measure under. It may end anywhere (a search for tenants whose
/// id starts with `ac` lists under `tenants/ac`), but holds only safe key characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyPrefix(pub(super) String);

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
