//! Argon2id password hashes (PHC strings with their own salt and parameters).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::AuthError;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

/// False for a wrong password and for a stored hash that cannot be parsed.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

/// Password checks off the database pool and the async workers, at most a few at a
/// time: argon2 is slow and memory-hungry by design, so a crowd of sign-ins (forty
/// wrong guesses in parallel) queues here instead of taking every core from the gates.
#[derive(Clone)]
pub struct PasswordChecks {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// How long a sign-in waits for its turn before it is told to try again.
    wait: std::time::Duration,
}

impl PasswordChecks {
    pub fn new(at_once: usize, wait: std::time::Duration) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(at_once.max(1))),
            wait,
        }
    }

    /// `verify_password` on the blocking pool, in turn.
    pub async fn verify(&self, password: String, stored_hash: String) -> Result<bool, AuthError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AuthError::Busy("Too many sign-ins at once. Try again in a moment.".into()))?
            .map_err(|e| AuthError::Unexpected(e.into()))?;
        tokio::task::spawn_blocking(move || {
            let matches = verify_password(&password, &stored_hash);
            drop(permit);
            matches
        })
        .await
        .map_err(|e| AuthError::Unexpected(e.into()))
    }
}
