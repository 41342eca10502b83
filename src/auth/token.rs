//! Random tokens, their stored hashes and constant-time comparison.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AuthError;

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| AuthError::Internal(format!("no randomness available: {e}")))?;
    Ok(bytes)
}

/// A new 256-bit token as 64 hex characters (session ids, CSRF tokens).
pub fn new_token() -> Result<String, AuthError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// The hex SHA-256 of a token: what the database keeps instead of the token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets without leaking where they differ through timing.
pub fn same(a: &str, b: &str) -> bool {
    // Lengths are public (every token is 64 characters); contents are compared in
    // constant time.
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Whether a string has the shape of a token, checked before any database look-up.
pub fn well_formed(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_well_formed_and_hashed() {
        let a = new_token().expect("a");
        let b = new_token().expect("b");

        assert!(well_formed(&a));
        assert_ne!(a, b);
        assert_ne!(digest(&a), a);
        assert_eq!(digest(&a), digest(&a));
    }

    #[test]
    fn comparison_needs_equal_contents() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
        assert!(!well_formed("../../etc/passwd"));
    }
}
