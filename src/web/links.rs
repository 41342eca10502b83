//! URLs of the console's pages and artifacts, with every segment percent-encoded so a
//! name holding `#`, `?`, `%` or spaces still points at itself.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::storage::{ArtifactKey, ProjectId, RunId, TenantId};

/// Everything but unreserved characters is encoded inside a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Encodes one path segment or query value.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Encodes a key segment by segment, keeping its `/` separators.
fn encode_key(key: &str) -> String {
    key.split('/').map(encode).collect::<Vec<_>>().join("/")
}

pub fn tenant(tenant: &TenantId) -> String {
    format!("/tenants/{}", encode(tenant.as_str()))
}

pub fn project(tenant: &TenantId, project: &ProjectId) -> String {
    format!(
        "{}/projects/{}",
        self::tenant(tenant),
        encode(project.as_str())
    )
}

pub fn run(tenant: &TenantId, project: &ProjectId, run: &RunId) -> String {
    format!(
        "{}/runs/{}",
        self::project(tenant, project),
        encode(run.as_str())
    )
}

/// The raw object, shown inline.
pub fn artifact(key: &ArtifactKey) -> String {
    format!("/artifacts/{}", encode_key(key.key().as_str()))
}

/// The raw object, offered as a download.
pub fn download(key: &ArtifactKey) -> String {
    format!("{}?download=1", artifact(key))
}

/// The small preview of a screenshot or diff.
pub fn thumbnail(key: &ArtifactKey) -> String {
    format!("/thumbnails/{}", encode_key(key.key().as_str()))
}
