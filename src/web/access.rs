//! Who may use which route: one rule per route pattern, read by the sign-in guard.
//!
//! The guard looks every request's matched route pattern up here and refuses a route
//! that has no rule (500, logged), so a page added without deciding who may see it is
//! unusable rather than open. The authorisation matrix test walks this table, and a
//! unit test checks that every pattern registered under `src/web/` has a rule.

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in, health checks, static files).
    Public,
    /// Any signed-in account.
    SignedIn,
    /// A signed-in admin.
    Admin,
}

/// The rule of one route pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The pattern as registered with actix (`/tenants/{org}`).
    pub pattern: &'static str,
    /// The methods the route answers.
    pub methods: &'static [&'static str],
    /// What it needs.
    pub access: Access,
    /// A concrete path of the pattern, for the authorisation matrix test.
    pub example: &'static str,
}

const fn rule(
    pattern: &'static str,
    methods: &'static [&'static str],
    access: Access,
    example: &'static str,
) -> Rule {
    Rule {
        pattern,
        methods,
        access,
        example,
    }
}

const GET: &[&str] = &["GET"];
const POST: &[&str] = &["POST"];
const GET_POST: &[&str] = &["GET", "POST"];

/// Every route of the console and what it needs.
pub const RULES: &[Rule] = &[
    rule("/healthz", GET, Access::Public, "/healthz"),
    rule("/readyz", GET, Access::Public, "/readyz"),
    rule("/login", GET_POST, Access::Public, "/login"),
    rule("/logout", POST, Access::SignedIn, "/logout"),
    rule("/", GET, Access::SignedIn, "/"),
    rule("/tenants", GET, Access::SignedIn, "/tenants"),
    rule("/tenants/{org}", GET, Access::SignedIn, "/tenants/acme"),
    rule(
        "/tenants/{org}/projects/{project}",
        GET,
        Access::SignedIn,
        "/tenants/acme/projects/web",
    ),
    rule(
        "/tenants/{org}/projects/{project}/runs/{run}",
        GET,
        Access::SignedIn,
        "/tenants/acme/projects/web/runs/r1",
    ),
    rule(
        "/artifacts/{key:.*}",
        GET,
        Access::SignedIn,
        "/artifacts/acme/web/r1/screenshots/home.png",
    ),
    rule(
        "/thumbnails/{key:.*}",
        GET,
        Access::SignedIn,
        "/thumbnails/acme/web/r1/screenshots/home.png",
    ),
    rule("/users", GET_POST, Access::Admin, "/users"),
    rule(
        "/users/{name}/disable",
        POST,
        Access::Admin,
        "/users/jane/disable",
    ),
    rule(
        "/users/{name}/password",
        POST,
        Access::Admin,
        "/users/jane/password",
    ),
];

/// Static files are served by one scope whose inner patterns actix reports in several
/// shapes; everything under this prefix is public.
pub const STATIC_PREFIX: &str = "/static";

/// The rule of a matched route pattern.
pub fn rule_for(pattern: &str) -> Option<&'static Rule> {
    if pattern == STATIC_PREFIX || pattern.starts_with("/static/") {
        return Some(&STATIC_RULE);
    }
    RULES.iter().find(|r| r.pattern == pattern)
}

const STATIC_RULE: Rule = rule(STATIC_PREFIX, GET, Access::Public, "/static/app.css");

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Pattern literals passed to `.route("...")` or `resource("...")` in a source file.
    fn registered_patterns(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        for call in [".route(", "resource("] {
            let mut rest = source;
            while let Some(at) = rest.find(call) {
                rest = &rest[at + call.len()..];
                if let Some(literal) = rest.trim_start().strip_prefix("\"/")
                    && let Some(end) = literal.find('"')
                {
                    found.push(format!("/{}", &literal[..end]));
                }
            }
        }
        found
    }

    fn rust_files(folder: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(folder).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_route_registered_in_the_web_folder_has_a_rule() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut missing = Vec::new();
        let mut seen = 0;

        let mut files = Vec::new();
        rust_files(&folder, &mut files);
        for path in files {
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            for pattern in registered_patterns(&source) {
                seen += 1;
                if rule_for(&pattern).is_none() {
                    missing.push(format!("{pattern} ({})", path.display()));
                }
            }
        }

        assert!(seen > 0, "no route registrations found");
        assert!(
            missing.is_empty(),
            "routes without an access rule: {missing:?}"
        );
    }

    #[test]
    fn static_files_are_public_and_unknown_patterns_have_no_rule() {
        assert_eq!(
            rule_for("/static/{tail}*").map(|r| r.access),
            Some(Access::Public)
        );
        assert_eq!(rule_for("/users").map(|r| r.access), Some(Access::Admin));
        assert!(rule_for("/nowhere").is_none());
    }
}
