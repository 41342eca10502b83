//! Scopes and their prefixes: what an erasure, a usage figure or a listing is about.

use std::fmt;

use super::{ArtifactKey, KeyError, KeyPrefix, ProjectId, RunId, TENANTS_ROOT, TenantId};

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
