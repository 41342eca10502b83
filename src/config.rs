//! Typed settings, read once from the environment (and an optional `.env` file) and
//! checked before anything starts.
//!
//! Every variable, its default and its meaning is listed in the README.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// A setting that is missing or wrong; its message names the variable and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    message: String,
}

impl ConfigError {
    fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

/// Where the artifacts live.
#[derive(Debug, Clone)]
pub enum StorageSettings {
    /// A folder with the SaaS's key layout below it.
    Local { root: PathBuf },
    /// An S3-compatible bucket.
    S3(S3Settings),
}

/// How to reach an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, ...).
#[derive(Clone)]
pub struct S3Settings {
    /// `S3_BUCKET`.
    pub bucket: String,
    /// `S3_ENDPOINT_URL`; `None` means AWS S3 in `region`.
    pub endpoint: Option<Url>,
    /// `S3_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `S3_SECRET_ACCESS_KEY`; never printed.
    pub secret_access_key: SecretString,
    /// `S3_REGION`, default `auto` (what R2 expects).
    pub region: String,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint.as_ref().map(Url::as_str))
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("region", &self.region)
            .finish()
    }
}

/// Which database holds accounts, sessions, purge jobs, usage history and the audit trail.
#[derive(Clone)]
pub enum DatabaseSettings {
    /// An embedded SQLite file (the default, under the data folder).
    Sqlite { path: PathBuf },
    /// PostgreSQL; the URL may hold a password, so it is never printed.
    Postgres { url: SecretString },
}

impl DatabaseSettings {
    /// The URL sqlx connects with. It may hold a password: never log it.
    pub fn connect_url(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("sqlite://{}?mode=rwc", path.display()),
            Self::Postgres { url } => url.expose_secret().to_owned(),
        }
    }

    /// A description safe for logs and error messages (no password).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("SQLite file {}", path.display()),
            Self::Postgres { url } => match Url::parse(url.expose_secret()) {
                Ok(u) => format!(
                    "PostgreSQL at {}:{}{}",
                    u.host_str().unwrap_or("localhost"),
                    u.port().unwrap_or(5432),
                    u.path()
                ),
                Err(_) => "PostgreSQL".to_owned(),
            },
        }
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Every setting the console reads.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BIND`, default `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// `DATA_DIR`, default `./data`: the SQLite file, the thumbnail cache and the
    /// first-run password file live here.
    pub data_dir: PathBuf,
    pub storage: StorageSettings,
    pub database: DatabaseSettings,
    /// `COOKIE_SECURE`, default false: mark cookies `Secure` (set it when served over HTTPS).
    pub cookie_secure: bool,
    /// `THUMBNAIL_CACHE_MB`, default 256: size cap of the thumbnail cache, in MiB.
    pub thumbnail_cache_bytes: u64,
    /// `USAGE_SCAN_MINUTES`, default 60: how often `serve` rescans storage usage; 0 = never.
    pub usage_scan_minutes: u64,
    /// Session lifetimes and the optional proxy sign-on.
    pub auth: AuthSettings,
}

/// How sign-in sessions behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// `SESSION_IDLE_MINUTES`, default 30: a session unused this long ends.
    pub session_idle: chrono::TimeDelta,
    /// `SESSION_MAX_HOURS`, default 12: a session ends this long after sign-in.
    pub session_max_age: chrono::TimeDelta,
    /// `TRUSTED_PROXY_HEADER` with `TRUSTED_PROXIES`: single sign-on through a proxy.
    pub proxy: Option<ProxyAuthSettings>,
}

/// Single sign-on behind an authenticating proxy (e.g. oauth2-proxy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyAuthSettings {
    /// `TRUSTED_PROXY_HEADER`: the request header naming the signed-in account,
    /// e.g. `X-Forwarded-User`.
    pub header: String,
    /// `TRUSTED_PROXIES`: comma-separated addresses the header is believed from; from
    /// any other peer it is ignored.
    pub proxies: Vec<std::net::IpAddr>,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, which returns a variable's value if it is set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let bind = match get("BIND") {
            Some(v) => v.trim().parse().map_err(|_| {
                ConfigError::new(
                    "BIND",
                    format!("BIND={v} is not an address like 127.0.0.1:8080"),
                )
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let data_dir = get("DATA_DIR").map_or_else(|| PathBuf::from("./data"), PathBuf::from);
        let use_s3 = parse_bool("USE_S3", get("USE_S3"))?;
        let storage = if use_s3 {
            StorageSettings::S3(s3_settings(&get)?)
        } else {
            let root =
                get("ARTIFACTS_DIR").map_or_else(|| data_dir.join("artifacts"), PathBuf::from);
            StorageSettings::Local { root }
        };
        let database = database_settings(get("DATABASE_URL"), &data_dir)?;
        let cookie_secure = parse_bool("COOKIE_SECURE", get("COOKIE_SECURE"))?;
        let thumbnail_cache_mb: u64 = match get("THUMBNAIL_CACHE_MB") {
            Some(v) => v.trim().parse().map_err(|_| {
                ConfigError::new(
                    "THUMBNAIL_CACHE_MB",
                    format!("THUMBNAIL_CACHE_MB={v} is not a whole number of MiB"),
                )
            })?,
            None => 256,
        };

        let usage_scan_minutes: u64 = match get("USAGE_SCAN_MINUTES") {
            Some(v) => v.trim().parse().map_err(|_| {
                ConfigError::new(
                    "USAGE_SCAN_MINUTES",
                    format!("USAGE_SCAN_MINUTES={v} is not a whole number of minutes"),
                )
            })?,
            None => 60,
        };

        Ok(Self {
            bind,
            data_dir,
            storage,
            database,
            cookie_secure,
            thumbnail_cache_bytes: thumbnail_cache_mb * 1024 * 1024,
            usage_scan_minutes,
            auth: auth_settings(&get)?,
        })
    }
}

fn auth_settings(get: &impl Fn(&str) -> Option<String>) -> Result<AuthSettings, ConfigError> {
    let idle = parse_positive("SESSION_IDLE_MINUTES", get("SESSION_IDLE_MINUTES"), 30)?;
    let max = parse_positive("SESSION_MAX_HOURS", get("SESSION_MAX_HOURS"), 12)?;
    let proxy = match (get("TRUSTED_PROXY_HEADER"), get("TRUSTED_PROXIES")) {
        (None, None) => None,
        (Some(header), Some(list)) => Some(proxy_settings(header, &list)?),
        (Some(_), None) => {
            return Err(ConfigError::new(
                "TRUSTED_PROXIES",
                "TRUSTED_PROXY_HEADER requires TRUSTED_PROXIES (the proxy addresses to believe)",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::new(
                "TRUSTED_PROXY_HEADER",
                "TRUSTED_PROXIES requires TRUSTED_PROXY_HEADER (e.g. X-Forwarded-User)",
            ));
        }
    };
    Ok(AuthSettings {
        session_idle: chrono::TimeDelta::minutes(idle),
        session_max_age: chrono::TimeDelta::hours(max),
        proxy,
    })
}

fn proxy_settings(header: String, list: &str) -> Result<ProxyAuthSettings, ConfigError> {
    let header = header.trim().to_owned();
    if header.is_empty()
        || !header
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ConfigError::new(
            "TRUSTED_PROXY_HEADER",
            format!("TRUSTED_PROXY_HEADER={header} is not a header name like X-Forwarded-User"),
        ));
    }
    let proxies = list
        .split(',')
        .map(|p| {
            p.trim().parse().map_err(|_| {
                ConfigError::new(
                    "TRUSTED_PROXIES",
                    format!("TRUSTED_PROXIES: {} is not an IP address", p.trim()),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProxyAuthSettings { header, proxies })
}

fn parse_positive(
    variable: &'static str,
    value: Option<String>,
    default: i64,
) -> Result<i64, ConfigError> {
    let Some(v) = value else { return Ok(default) };
    match v.trim().parse::<i64>() {
        Ok(n) if (1..=100_000).contains(&n) => Ok(n),
        _ => Err(ConfigError::new(
            variable,
            format!("{variable}={v} is not a whole number from 1 to 100000"),
        )),
    }
}

fn parse_bool(variable: &'static str, value: Option<String>) -> Result<bool, ConfigError> {
    match value.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::new(
            variable,
            format!("{variable}={v} is not true or false"),
        )),
    }
}

fn s3_settings(get: &impl Fn(&str) -> Option<String>) -> Result<S3Settings, ConfigError> {
    let bucket = get("S3_BUCKET")
        .ok_or_else(|| ConfigError::new("S3_BUCKET", "USE_S3=true requires S3_BUCKET"))?;
    let endpoint = match get("S3_ENDPOINT_URL") {
        Some(v) => Some(parse_endpoint(&v)?),
        None => None,
    };
    let access_key_id = get("S3_ACCESS_KEY_ID").ok_or_else(|| {
        ConfigError::new("S3_ACCESS_KEY_ID", "USE_S3=true requires S3_ACCESS_KEY_ID")
    })?;
    let secret_access_key = get("S3_SECRET_ACCESS_KEY").ok_or_else(|| {
        ConfigError::new(
            "S3_SECRET_ACCESS_KEY",
            "USE_S3=true requires S3_SECRET_ACCESS_KEY",
        )
    })?;
    let region = get("S3_REGION").unwrap_or_else(|| "auto".to_owned());
    if !region
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(ConfigError::new(
            "S3_REGION",
            format!("S3_REGION={region} is not a region name like auto or eu-west-1"),
        ));
    }
    Ok(S3Settings {
        bucket,
        endpoint,
        access_key_id,
        secret_access_key: SecretString::from(secret_access_key),
        region,
    })
}

fn parse_endpoint(value: &str) -> Result<Url, ConfigError> {
    let bad = |why: &str| {
        // The endpoint should hold no credentials, but never echo user info if it does.
        let shown = Url::parse(value)
            .map(|mut u| {
                let _ = u.set_password(None);
                let _ = u.set_username("");
                u.to_string()
            })
            .unwrap_or_else(|_| "the value".to_owned());
        ConfigError::new(
            "S3_ENDPOINT_URL",
            format!("S3_ENDPOINT_URL ({shown}) {why}; expected e.g. http://127.0.0.1:9000"),
        )
    };
    let url = Url::parse(value).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if url.host_str().is_none() {
        return Err(bad("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not hold credentials (use S3_ACCESS_KEY_ID)"));
    }
    if url.query().is_some() || url.path() != "/" {
        return Err(bad("must be a bare endpoint without path or query"));
    }
    Ok(url)
}

fn database_settings(
    value: Option<String>,
    data_dir: &std::path::Path,
) -> Result<DatabaseSettings, ConfigError> {
    let Some(value) = value else {
        return Ok(DatabaseSettings::Sqlite {
            path: data_dir.join("console.db"),
        });
    };
    let bad = |why: &str| ConfigError::new("DATABASE_URL", format!("DATABASE_URL {why}"));
    if let Some(path) = value
        .strip_prefix("sqlite://")
        .or_else(|| value.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(bad(
                "names no SQLite file (e.g. sqlite://./data/console.db)",
            ));
        }
        return Ok(DatabaseSettings::Sqlite {
            path: PathBuf::from(path),
        });
    }
    let url = Url::parse(&value).map_err(|_| bad("is not a URL (postgres://user@host/db)"))?;
    match url.scheme() {
        "postgres" | "postgresql" if url.host_str().is_some() => Ok(DatabaseSettings::Postgres {
            url: SecretString::from(value),
        }),
        "postgres" | "postgresql" => Err(bad("has no host")),
        other => Err(bad(&format!(
            "has the scheme {other}: only postgres:// and sqlite:// are supported"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_need_nothing_installed() {
        let s = settings(&[]).expect("defaults");

        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(
            matches!(s.storage, StorageSettings::Local { ref root } if root.ends_with("artifacts"))
        );
        assert!(matches!(s.database, DatabaseSettings::Sqlite { .. }));
    }

    #[test]
    fn usage_scans_default_to_hourly_and_can_be_turned_off() {
        assert_eq!(settings(&[]).expect("defaults").usage_scan_minutes, 60);
        let off = settings(&[("USAGE_SCAN_MINUTES", "0")]).expect("0 is allowed");
        assert_eq!(off.usage_scan_minutes, 0);
        let err = settings(&[("USAGE_SCAN_MINUTES", "1.5")]).expect_err("must fail");
        assert_eq!(err.variable, "USAGE_SCAN_MINUTES");
    }

    #[test]
    fn s3_without_a_bucket_names_the_variable() {
        let err = settings(&[("USE_S3", "true")]).expect_err("must fail");

        assert_eq!(err.variable, "S3_BUCKET");
        assert_eq!(err.to_string(), "USE_S3=true requires S3_BUCKET");
    }

    #[test]
    fn a_malformed_endpoint_is_refused() {
        for bad in [
            "localhost:9000",
            "ftp://x",
            "http://k:s@host:9000",
            "http://h/bucket",
        ] {
            let err = settings(&[
                ("USE_S3", "true"),
                ("S3_BUCKET", "b"),
                ("S3_ACCESS_KEY_ID", "a"),
                ("S3_SECRET_ACCESS_KEY", "topsecret"),
                ("S3_ENDPOINT_URL", bad),
            ])
            .expect_err("must fail");

            assert_eq!(err.variable, "S3_ENDPOINT_URL", "{bad}");
            assert!(!err.to_string().contains(":s@"), "{err}");
        }
    }

    #[test]
    fn the_secret_key_never_shows_in_debug_output() {
        let s = settings(&[
            ("USE_S3", "true"),
            ("S3_BUCKET", "b"),
            ("S3_ACCESS_KEY_ID", "a"),
            ("S3_SECRET_ACCESS_KEY", "topsecret"),
            ("DATABASE_URL", "postgres://u:hunter2@db:5432/console"),
        ])
        .expect("valid");

        let shown = format!("{s:?}");

        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("region: \"auto\""));
    }

    #[test]
    fn proxy_sign_on_needs_a_header_and_addresses() {
        let s = settings(&[
            ("TRUSTED_PROXY_HEADER", "X-Forwarded-User"),
            ("TRUSTED_PROXIES", "127.0.0.1, ::1"),
        ])
        .expect("valid");

        let proxy = s.auth.proxy.expect("configured");
        assert_eq!(proxy.header, "X-Forwarded-User");
        assert_eq!(proxy.proxies.len(), 2);
        assert_eq!(s.auth.session_idle, chrono::TimeDelta::minutes(30));
        let alone = settings(&[("TRUSTED_PROXY_HEADER", "X-Forwarded-User")]);
        assert_eq!(alone.expect_err("alone").variable, "TRUSTED_PROXIES");
        let bad = settings(&[
            ("TRUSTED_PROXY_HEADER", "X-U"),
            ("TRUSTED_PROXIES", "proxy"),
        ]);
        assert_eq!(bad.expect_err("bad").variable, "TRUSTED_PROXIES");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("USE_S3", "maybe"),
            ("BIND", "everywhere"),
            ("DATABASE_URL", "mysql://x/y"),
            ("THUMBNAIL_CACHE_MB", "lots"),
            ("SESSION_IDLE_MINUTES", "0"),
            ("SESSION_MAX_HOURS", "half a day"),
        ] {
            let err = settings(&[(var, value)]).expect_err(var);

            assert_eq!(err.variable, var);
        }
    }
}
