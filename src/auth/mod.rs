//! Who is asking: sessions, roles, passwords, the sign-in throttle and CSRF protection.
//! The sign-in screen that uses them is the `signin` feature.
//!
//! Sessions live in the database (so every instance of a scaled-out deployment shares
//! them and signing out revokes them everywhere); the cookie holds a random token whose
//! SHA-256 is stored. `CurrentUser` is the extractor that proves a session and yields the
//! `Tenant` every query needs. `CsrfForm` checks the session's CSRF token on POST forms.

mod error;
mod password;
pub mod queries;
mod session;
mod session_end;
pub mod throttle;

pub use error::AuthError;
pub use password::{hash_password, verify_password, PasswordChecks};
pub use session::{
    constant_time_eq, session_cookie_name, CsrfForm, CurrentUser, SECURE_SESSION_COOKIE, SESSION_COOKIE,
};
pub use session_end::{start_purge, SessionWatch};

/// What a user may do in their organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything, including refunds and kiosk links.
    Owner,
    /// Watches dashboards and gates; changes nothing about money.
    Supervisor,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(Self::Owner),
            "supervisor" => Some(Self::Supervisor),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Supervisor => "supervisor",
        }
    }
}

/// A random token, hex-encoded: 32 bytes from the OS-seeded CSPRNG.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

/// SHA-256 of a token, hex-encoded: what the database stores instead of the token.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new session for a user who proved who they are some other way (the benchmark's
/// organiser): the token to send as the session cookie.
pub fn open_session(conn: &mut crate::db::DbConnection, user_id: i64, ttl_ms: i64) -> diesel::QueryResult<String> {
    let token = random_token();
    let now = crate::db::now_ms();
    queries::create_session(
        conn,
        user_id,
        &token_hash(&token),
        &random_token(),
        now,
        now.saturating_add(ttl_ms),
    )?;
    Ok(token)
}
