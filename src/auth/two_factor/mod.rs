//! Two-factor sign-in: TOTP codes (RFC 6238: HMAC-SHA-1, six digits, 30-second steps,
//! one step of clock skew either way), single-use recovery codes, and what a person
//! types for either (`EnteredCode`). The secret and the codes' hashes are stored by
//! `queries`; the session that waits for a code after a correct password is proved by
//! `PendingSignIn`, which nothing but the code step accepts.

mod codes;
mod pending;
pub mod queries;

pub use codes::{group_for_reading, new_recovery_codes, recovery_code_hash, EnteredCode, RECOVERY_CODES};
pub use pending::{PendingSignIn, PENDING_MS};

use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The issuer authenticator apps show beside the account.
pub const ISSUER: &str = "Voelgoed";
/// Seconds a code lasts.
pub const STEP_SECONDS: u64 = 30;

/// A new shared secret: 160 random bits (RFC 4226's recommendation), in base32.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    Secret::from(bytes).to_base32()
}

fn totp(secret: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .build()
        .ok()
}

/// The time step (30-second count since the epoch) whose code `code` is, within one
/// step of `now_ms`; None when it is no such code. Accepting a step only once is the
/// caller's (`queries::use_step`).
pub fn matching_step(secret: &str, code: &str, now_ms: i64) -> Option<i64> {
    let now = u64::try_from(now_ms / 1000).ok()?;
    let step = totp(secret)?.check(code, now)?;
    i64::try_from(step).ok()
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(secret: &str, email: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let label = utf8_percent_encode(email, NON_ALPHANUMERIC);
    format!(
        "otpauth://totp/{ISSUER}:{label}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP_SECONDS}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_its_neighbours_only() {
        let secret = new_secret();
        let now_ms = 1_800_000_000_000;
        let step = now_ms / 1000 / 30;
        let code = totp(&secret)
            .unwrap()
            .generate(u64::try_from(now_ms / 1000).unwrap())
            .to_string();
        assert_eq!(matching_step(&secret, &code, now_ms), Some(step));
        assert_eq!(matching_step(&secret, &code, now_ms + 30_000), Some(step));
        assert_eq!(matching_step(&secret, &code, now_ms + 90_000), None);
        assert_eq!(matching_step("not base32!", &code, now_ms), None);
    }

    #[test]
    fn the_secret_is_160_bits_of_unpadded_base32() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert!(secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert!(otpauth_uri(&secret, "a@b.test").contains("Voelgoed:a%40b%2Etest?secret="));
    }
}
