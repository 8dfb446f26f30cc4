//! Who is asking: sessions, roles, passwords, the sign-in throttle and CSRF protection.
//! The sign-in screen that uses them is the `signin` feature.
//!
//! Sessions live in the database (so every instance of a scaled-out deployment shares
//! them and signing out revokes them everywhere); the cookie holds a random token whose
//! SHA-256 is stored. `CurrentUser` is the extractor that proves a session and yields the
//! `Tenant` every query needs. `CsrfForm` checks the session's CSRF token on POST forms.
//! `two_factor` is the second step of signing in, and the enrolment the policy demands.

pub mod attempts;
mod csrf;
mod error;
mod password;
mod permissions;
pub mod queries;
mod session;
mod session_end;
mod stream_guard;
pub mod throttle;
pub mod two_factor;
pub mod users;

/// Tokens and their stored hashes live with the plumbing, where the gate engine finds them too.
pub use crate::tokens::{random_token, token_hash};
pub use csrf::{CsrfForm, Enrolling, EnrolmentForm};
pub use error::AuthError;
pub use password::{hash_password, verify_password, PasswordChecks};
pub use permissions::{masked_addresses_in, masked_email, EventScope, Permission};
pub use session::{constant_time_eq, session_cookie_name, CurrentUser, SECURE_SESSION_COOKIE, SESSION_COOKIE};
pub use session_end::{start_purge, SessionWatch};
pub use stream_guard::{guard_streams, StreamQuota, MAX_PER_SESSION};

/// What a user may do in their organisation: what each role may is the matrix in
/// `permissions.rs`; which events they see, `EventScope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything, on every event of the organisation.
    Owner,
    /// Orders, refunds, exports and dashboards of every event; no devices or kiosk links.
    Finance,
    /// Dashboards, the scan monitor, kiosk links and the door lookup of their events.
    Supervisor,
    /// The scan monitor, the door lookup and kiosk displays of their events; no money.
    Steward,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Finance, Role::Supervisor, Role::Steward];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Finance => "finance",
            Self::Supervisor => "supervisor",
            Self::Steward => "steward",
        }
    }

    /// Whether an organisation's "two-factor sign-in required" applies to the role: the
    /// roles that move money and change the team.
    pub fn owes_two_factor(&self) -> bool {
        matches!(self, Self::Owner | Self::Finance)
    }

    /// Whether the role sees every event of the organisation, or only those assigned.
    pub fn sees_every_event(&self) -> bool {
        matches!(self, Self::Owner | Self::Finance)
    }
}

/// A new session for a user who proved who they are some other way (the benchmark's
/// organiser): the token to send as the session cookie.
pub fn open_session(conn: &mut crate::db::DbConnection, user_id: i64, ttl_ms: i64) -> diesel::QueryResult<String> {
    let token = random_token();
    let now = crate::db::now_ms();
    let session = queries::NewSession {
        user_id,
        token_hash: &token_hash(&token),
        csrf_token: &random_token(),
        now,
        expires_at: now.saturating_add(ttl_ms),
        awaiting_code: false,
    };
    queries::create_session(conn, &session)?;
    Ok(token)
}
