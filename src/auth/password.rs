//! Password hashing with argon2id, always off the async worker threads.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use secrecy::{ExposeSecret, SecretString};

use super::{AuthError, token};

/// Shortest password the console accepts when a person chooses it.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted; bounds the work an anonymous request can cause.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Letters and digits without look-alikes (0/O, 1/l/I), for generated passwords.
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const GENERATED_CHARS: usize = 20;

/// A fresh random password (about 117 bits), for first run and `user add`.
pub fn generate() -> Result<SecretString, AuthError> {
    let mut out = String::with_capacity(GENERATED_CHARS);
    while out.len() < GENERATED_CHARS {
        let bytes = token::random_bytes::<32>()?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        for b in bytes.iter().map(|&b| usize::from(b)).filter(|&b| b < limit) {
            if out.len() < GENERATED_CHARS {
                out.push(char::from(ALPHABET[b % ALPHABET.len()]));
            }
        }
    }
    Ok(SecretString::from(out))
}

/// Checks a password a person chose.
pub fn check_strength(password: &SecretString) -> Result<(), AuthError> {
    let chars = password.expose_secret().chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AuthError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AuthError::Invalid(format!(
            "a password may have at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// Hashes a password into an argon2id PHC string (default parameters: 19 MiB, t=2).
pub async fn hash(password: SecretString) -> Result<String, AuthError> {
    let salt_bytes = token::random_bytes::<16>()?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| AuthError::Internal(format!("salt: {e}")))?;
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AuthError::Internal(format!("password hashing task: {e}")))?
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub async fn verify(password: SecretString, phc: String) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &phc))
        .await
        .map_err(|e| AuthError::Internal(format!("password check task: {e}")))
}

/// Runs the same work as [`verify`] against a hash no password is known for, so an
/// unknown user name costs as much time as a wrong password.
pub async fn verify_dummy(password: SecretString) -> Result<(), AuthError> {
    let phc = dummy_hash()?.to_owned();
    verify(password, phc).await.map(|_| ())
}

fn verify_blocking(password: &SecretString, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

fn dummy_hash() -> Result<&'static str, AuthError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    // Computed once per process from a random password, so it is never a fixed,
    // guessable credential.
    let secret = generate()?;
    let salt = SaltString::encode_b64(&token::random_bytes::<16>()?)
        .map_err(|e| AuthError::Internal(format!("salt: {e}")))?;
    let phc = Argon2::default()
        .hash_password(secret.expose_secret().as_bytes(), &salt)
        .map_err(|e| AuthError::Internal(format!("password hashing failed: {e}")))?
        .to_string();
    Ok(DUMMY.get_or_init(|| phc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let phc = hash(SecretString::from("correct horse battery"))
            .await
            .expect("hash");

        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(
            verify(SecretString::from("correct horse battery"), phc.clone())
                .await
                .expect("v")
        );
        assert!(
            !verify(SecretString::from("correct horse batterx"), phc)
                .await
                .expect("v")
        );
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_never_matches() {
        let ok = verify(SecretString::from("anything"), "not-a-hash".to_owned()).await;

        assert!(!ok.expect("no error"));
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate().expect("a");
        let b = generate().expect("b");

        assert_eq!(a.expose_secret().len(), GENERATED_CHARS);
        assert!(a.expose_secret().bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn short_chosen_passwords_are_refused() {
        assert!(check_strength(&SecretString::from("short")).is_err());
        assert!(check_strength(&SecretString::from("long enough pass")).is_ok());
    }
}
