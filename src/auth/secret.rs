//! Secrets and their hashes: random tokens, passwords hashed with argon2id, tokens hashed
//! with SHA-256.
//!
//! Why two hashes: a password is chosen by a person and may be guessable, so it is stored as a
//! slow, salted, memory-hard argon2id hash (a PHC string, default parameters: 19 MiB, 2
//! passes), which makes each guess against a stolen file expensive. An API or session token
//! is 32 random bytes (256 bits) from the operating system: nobody can guess it, so a fast
//! unsalted SHA-256 is enough to keep a stolen file from yielding usable tokens, and it lets a
//! token be looked up by its hash on every request without costing tens of milliseconds.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

use super::AuthError;

/// What every API token starts with, so that a leaked one is recognisable (e.g. by scanners).
pub const TOKEN_PREFIX: &str = "cdt_";

/// `n` bytes from the operating system's random number generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AuthError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Crypto(format!("no randomness: {e}")))?;
    Ok(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// SHA-256 of `text`, as lowercase hex: how tokens are stored.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// A new API token: `cdt_` and 64 hex digits (32 random bytes).
pub fn new_token() -> Result<String, AuthError> {
    Ok(format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?)))
}

/// A random password of 16 characters from 55 letters and digits that cannot be mistaken for
/// one another (about 92 bits).
pub fn random_password() -> Result<String, AuthError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // Bytes at or above the largest multiple of the alphabet's size are skipped, so every
    // character is equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(16);
    while out.len() < 16 {
        for b in random_bytes::<32>()? {
            if usize::from(b) < limit && out.len() < 16 {
                out.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// The argon2id PHC string of `password`, with a fresh random salt. CPU-heavy (see
/// [`verify_password`]).
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Crypto(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the PHC string `hash`. A malformed hash matches nothing.
/// CPU-heavy: tens of milliseconds in a release build (more in a debug build); on an async
/// runtime call it through `spawn_blocking`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Spends the same effort as checking a real password, for a login name that has no account
/// or no password: the answer then takes as long as a wrong password does.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| {
        // A hash of a random password, so that nothing matches it. Hashing costs about what
        // verifying does; if hashing fails (no randomness), verification of "" still runs.
        random_password()
            .and_then(|p| hash_password(&p))
            .unwrap_or_default()
    });
    let _ = verify_password(password, hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed_to_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 4 + 64, "{a}");
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn random_passwords_are_16_unambiguous_characters() {
        let p = random_password().unwrap();
        assert_eq!(p.chars().count(), 16);
        assert!(!p.contains(['0', 'O', 'l', '1', 'I']), "{p}");
        assert_ne!(p, random_password().unwrap());
    }

    #[test]
    fn passwords_verify_against_their_argon2id_hash_only() {
        let started = std::time::Instant::now();
        let hash = hash_password("correct horse").unwrap();
        let hashed = started.elapsed();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        let started = std::time::Instant::now();
        assert!(verify_password("correct horse", &hash));
        eprintln!("argon2id: hash {hashed:?}, verify {:?}", started.elapsed());
        assert!(!verify_password("correct horsf", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
    }
}
