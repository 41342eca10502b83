//! Adding up one tenant's listing, object by object, into run rows and a snapshot.
//!
//! Only one row per run is kept, never the keys themselves, so memory grows with the
//! number of runs of the tenant, not with the number of objects.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::to_micros;
use crate::db::usage::{CatalogRun, Snapshot};
use crate::storage::{ArtifactKey, ArtifactKind, ObjectMeta, TenantId};

/// The running totals of one tenant's walk.
#[derive(Debug)]
pub struct TenantWalk {
    tenant: String,
    runs: BTreeMap<(String, String), CatalogRun>,
    objects: i64,
    bytes: i64,
    other_objects: i64,
    other_bytes: i64,
    last_modified_micros: i64,
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl TenantWalk {
    /// Starts an empty walk of `tenant`.
    pub fn new(tenant: &TenantId) -> Self {
        Self {
            tenant: tenant.to_string(),
            runs: BTreeMap::new(),
            objects: 0,
            bytes: 0,
            other_objects: 0,
            other_bytes: 0,
            last_modified_micros: 0,
        }
    }

    /// Counts one listed object: into its run when its key fits the layout and belongs
    /// to this tenant, into the tenant's "other" figures otherwise.
    pub fn add(&mut self, meta: &ObjectMeta) {
        let size = signed(meta.size);
        let modified = meta.last_modified.map_or(0, to_micros);
        self.objects += 1;
        self.bytes += size;
        self.last_modified_micros = self.last_modified_micros.max(modified);
        let key = match ArtifactKey::parse(&meta.key) {
            Ok(key) if key.tenant().as_str() == self.tenant => key,
            _ => {
                tracing::debug!(key = %meta.key, "a key of the tenant fits no run; counted apart");
                self.other_objects += 1;
                self.other_bytes += size;
                return;
            }
        };
        let run = self
            .runs
            .entry((key.project().to_string(), key.run().to_string()))
            .or_insert_with(|| CatalogRun {
                tenant: self.tenant.clone(),
                project: key.project().to_string(),
                run: key.run().to_string(),
                ..CatalogRun::default()
            });
        run.objects += 1;
        run.bytes += size;
        run.last_modified_micros = run.last_modified_micros.max(modified);
        if let Some(slot) = ArtifactKind::ALL.iter().position(|k| *k == key.kind()) {
            run.kinds[slot] += 1;
        }
    }

    /// The run rows and the snapshot, stamped with `scanned_at_micros`.
    pub fn finish(self, scanned_at_micros: i64) -> (Vec<CatalogRun>, Snapshot) {
        let projects: BTreeSet<&str> = self.runs.keys().map(|(p, _)| p.as_str()).collect();
        let snapshot = Snapshot {
            tenant: self.tenant.clone(),
            taken_at_micros: scanned_at_micros,
            projects: projects.len() as i64,
            runs: self.runs.len() as i64,
            objects: self.objects,
            bytes: self.bytes,
            other_objects: self.other_objects,
            other_bytes: self.other_bytes,
            last_modified_micros: self.last_modified_micros,
        };
        let runs = self
            .runs
            .into_values()
            .map(|mut run| {
                run.scanned_at_micros = scanned_at_micros;
                run
            })
            .collect();
        (runs, snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str, size: u64, second: i64) -> ObjectMeta {
        ObjectMeta {
            key: key.to_owned(),
            size,
            etag: None,
            last_modified: chrono::DateTime::from_timestamp(second, 0),
            content_type: None,
        }
    }

    #[test]
    fn objects_add_up_per_run_and_stray_keys_per_tenant() {
        let tenant = TenantId::parse("acme").unwrap();
        let mut walk = TenantWalk::new(&tenant);
        walk.add(&object(
            "tenants/acme/projects/p/runs/r1/screenshots/a.png",
            10,
            100,
        ));
        walk.add(&object(
            "tenants/acme/projects/p/runs/r1/videos/v.webm",
            5,
            300,
        ));
        walk.add(&object(
            "tenants/acme/projects/q/runs/r2/tests/t.py",
            1,
            200,
        ));
        walk.add(&object("tenants/acme/notes.txt", 7, 50));

        let (runs, snapshot) = walk.finish(1_000);

        assert_eq!(runs.len(), 2);
        assert_eq!((runs[0].objects, runs[0].bytes), (2, 15));
        assert_eq!(runs[0].kinds, [1, 1, 0, 0]);
        assert_eq!(runs[0].last_modified_micros, 300_000_000);
        assert_eq!(runs[1].kinds, [0, 0, 0, 1]);
        assert_eq!((snapshot.projects, snapshot.runs), (2, 2));
        assert_eq!((snapshot.objects, snapshot.bytes), (4, 23));
        assert_eq!((snapshot.other_objects, snapshot.other_bytes), (1, 7));
        assert_eq!(snapshot.taken_at_micros, 1_000);
    }
}
