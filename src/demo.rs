//! Demo data: a few tenants (among them `acme` and `acme-corp`, whose ids share a
//! prefix), their projects and runs, each run with full-page screenshots, visual diffs,
//! a short WebM recording and generated pytest files.
//!
//! The demo only ever fills an empty store: if anything at all is stored, nothing is
//! written, so pointing `demo` at a real bucket by mistake changes nothing.

pub mod pictures;

use crate::artifacts::ArtifactStore;
use crate::storage::{
    ArtifactKey, ArtifactKind, ArtifactName, KeyError, KeyPrefix, ListRequest, ProjectId, RunId,
    StorageError, TenantId, bytes_stream,
};

/// The recording every demo run holds (see `assets/demo/README.md`).
pub const VIDEO: &[u8] = include_bytes!("../assets/demo/crawl.webm");

/// What the demo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    /// The store already held something, so nothing was written.
    LeftUntouched,
    /// This many objects were written.
    Filled { objects: u64, bytes: u64 },
}

/// Why the demo could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("a demo name is not a valid id: {0}")]
    Key(#[from] KeyError),
}

/// How big the demo is; tests use a smaller one than `artifact-console demo`.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    /// Screenshots per run.
    pub screenshots: u32,
    /// Width of every screenshot, in pixels.
    pub width: u32,
    /// Screenshot heights vary between this and twice this, in pixels.
    pub min_height: u32,
}

impl DemoSize {
    /// Full-page screenshots of real size: 1280 pixels wide, 1,600 to 3,200 tall.
    pub const FULL: Self = Self {
        screenshots: 8,
        width: 1280,
        min_height: 1600,
    };
}

/// A demo tenant: its projects with how many runs each gets, the site it crawls and
/// the header colour of its screenshots.
struct DemoTenant {
    id: &'static str,
    projects: &'static [(&'static str, u32)],
    site: &'static str,
    accent: [u8; 3],
}

const TENANTS: &[DemoTenant] = &[
    DemoTenant {
        id: "acme",
        projects: &[("web-shop", 3), ("docs-site", 1)],
        site: "shop.acme.example",
        accent: [200, 60, 40],
    },
    DemoTenant {
        id: "acme-corp",
        projects: &[("portal", 2)],
        site: "portal.acme-corp.example",
        accent: [30, 90, 170],
    },
    DemoTenant {
        id: "globex",
        projects: &[("intranet", 1)],
        site: "intranet.globex.example",
        accent: [20, 140, 90],
    },
    DemoTenant {
        id: "initech",
        projects: &[("tps-reports", 1)],
        site: "tps.initech.example",
        accent: [120, 70, 160],
    },
];

const STEPS: &[&str] = &[
    "home",
    "search results",
    "product detail",
    "cart",
    "checkout <address> & \"delivery\"",
    "payment",
    "confirmation",
    "account settings",
    "order history",
    "help centre",
];

/// Fills `store` with demo data, unless it already holds anything at all.
pub async fn fill(store: &ArtifactStore, size: DemoSize) -> Result<DemoOutcome, DemoError> {
    let anything = store
        .backend()
        .list(&ListRequest {
            prefix: KeyPrefix::everything(),
            delimited: true,
            start_after: None,
            max_entries: 1,
        })
        .await?;
    if !anything.entries.is_empty() {
        return Ok(DemoOutcome::LeftUntouched);
    }
    let mut written = Written::default();
    for (t, demo) in TENANTS.iter().enumerate() {
        let tenant = TenantId::parse(demo.id)?;
        for (p, (project, runs)) in demo.projects.iter().enumerate() {
            let project = ProjectId::parse(project)?;
            for r in 0..*runs {
                let run = RunId::parse(&format!(
                    "2026-12-0{}T0{}00Z-{:02}{:02}",
                    1 + r,
                    2 + r,
                    t,
                    p
                ))?;
                let seed = (t * 100 + p * 10) as u64 + u64::from(r);
                let ctx = RunContext {
                    store,
                    tenant: &tenant,
                    project: &project,
                    run: &run,
                    site: demo.site,
                    accent: demo.accent,
                    seed,
                };
                ctx.write(size, &mut written).await?;
            }
        }
    }
    Ok(DemoOutcome::Filled {
        objects: written.objects,
        bytes: written.bytes,
    })
}

#[derive(Default)]
struct Written {
    objects: u64,
    bytes: u64,
}

struct RunContext<'a> {
    store: &'a ArtifactStore,
    tenant: &'a TenantId,
    project: &'a ProjectId,
    run: &'a RunId,
    site: &'a str,
    accent: [u8; 3],
    seed: u64,
}

impl RunContext<'_> {
    async fn write(&self, size: DemoSize, written: &mut Written) -> Result<(), DemoError> {
        let steps = &STEPS[..(size.screenshots as usize).min(STEPS.len())];
        let mut dice = pictures::Dice::new(self.seed);
        for (i, step) in steps.iter().enumerate() {
            let height = size.min_height + dice.below(size.min_height);
            let seed = self.seed * 1000 + i as u64;
            let (width, accent) = (size.width, self.accent);
            let png = tokio::task::spawn_blocking(move || {
                pictures::screenshot(seed, width, height, accent)
            })
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
            self.put(ArtifactKind::Screenshots, step, png, written)
                .await?;
            if i % 3 == 1 {
                let diff = tokio::task::spawn_blocking(move || pictures::diff(seed, width, height))
                    .await
                    .map_err(|e| StorageError::Unavailable(e.to_string()))?;
                self.put(ArtifactKind::Diffs, step, diff, written).await?;
            }
        }
        if self.tenant.as_str() != "initech" {
            self.put(ArtifactKind::Videos, "full crawl", VIDEO.to_vec(), written)
                .await?;
        }
        for (suite, range) in [
            ("test_navigation", 0..steps.len().min(4)),
            ("test_checkout", steps.len().min(3)..steps.len()),
        ] {
            let source = pictures::pytest(suite, self.site, &steps[range]);
            self.put(ArtifactKind::Tests, suite, source.into_bytes(), written)
                .await?;
        }
        Ok(())
    }

    async fn put(
        &self,
        kind: ArtifactKind,
        name: &str,
        body: Vec<u8>,
        written: &mut Written,
    ) -> Result<(), DemoError> {
        let key = ArtifactKey::new(
            self.tenant.clone(),
            self.project.clone(),
            self.run.clone(),
            kind,
            ArtifactName::parse(name)?,
        );
        written.objects += 1;
        written.bytes += body.len() as u64;
        self.store.save(&key, bytes_stream(body)).await?;
        Ok(())
    }
}
