//! The parts of every page that are not the page itself: who is signed in, the CSRF
//! token of the sign-out form, the breadcrumbs, the navigation and the version.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

/// Who is signed in, as the sign-in guard records it in the request's extensions.
///
/// The guard inserts one of these for every signed-in request; every page then shows the
/// user's name and a sign-out form carrying `csrf_token`.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account name shown in the header.
    pub name: String,
    /// `viewer` or `admin`, shown beside the name.
    pub role: String,
    /// The token the sign-out form posts back.
    pub csrf_token: String,
}

/// One step of the breadcrumb trail; the last one is the current page and has no link.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

impl Crumb {
    /// A step that links somewhere.
    pub fn link(label: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            href: Some(href.into()),
        }
    }

    /// The current page.
    pub fn here(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            href: None,
        }
    }
}

/// The shared frame of every page: header, navigation, breadcrumbs and footer.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The signed-in user, when the guard knows one.
    pub user: Option<SignedIn>,
    /// Which navigation entry to highlight (`overview`, `tenants`, ...).
    pub section: &'static str,
    pub breadcrumbs: Vec<Crumb>,
    /// The console's version, for the footer.
    pub version: &'static str,
    /// Appended to static asset URLs so a new version is never served from a stale cache.
    pub asset_version: &'static str,
}

impl Chrome {
    /// The frame of a page answering `req`.
    pub fn for_request(req: &HttpRequest) -> Self {
        Self {
            user: req.extensions().get::<SignedIn>().cloned(),
            section: "",
            breadcrumbs: Vec::new(),
            version: super::VERSION,
            asset_version: super::VERSION,
        }
    }

    /// Whether the signed-in user may manage accounts (and sees the Users entry).
    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == "admin")
    }

    /// Highlights a navigation entry.
    pub fn section(mut self, section: &'static str) -> Self {
        self.section = section;
        self
    }

    /// Sets the breadcrumb trail.
    pub fn crumbs(mut self, crumbs: Vec<Crumb>) -> Self {
        self.breadcrumbs = crumbs;
        self
    }

    /// The sign-out form's token, or an empty string when nobody is signed in.
    pub fn csrf_token(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.csrf_token.as_str())
    }
}

impl FromRequest for Chrome {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::for_request(req)))
    }
}
