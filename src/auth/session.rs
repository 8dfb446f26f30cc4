//! The request extractor that proves a session (`CurrentUser`); `csrf` checks the forms
//! posted within one.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use super::{queries, token_hash, AuthError, EventScope, Permission, Role};
use crate::config::Settings;
use crate::db::{self, Pool, Tenant};
use crate::ui::layout::Viewer;

/// The session cookie on plain HTTP (localhost, tests).
pub const SESSION_COOKIE: &str = "vg_session";
/// The session cookie when served securely: the browser keeps a `__Host-` cookie only
/// when it is Secure, for path `/` and without a domain, so no subdomain can plant one.
pub const SECURE_SESSION_COOKIE: &str = "__Host-vg_session";

/// A signed-in user with a live session.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub session_id: i64,
    pub user_id: i64,
    pub name: String,
    pub organization_name: String,
    pub role: Role,
    pub csrf_token: String,
    tenant: Tenant,
    events: EventScope,
    two_factor: TwoFactor,
}

/// The user's two-factor sign-in as their session read it.
#[derive(Clone, Copy, Debug)]
struct TwoFactor {
    /// The organisation requires it of this user's role.
    required: bool,
    on: bool,
}

/// Whether a session whose user owes two-factor enrolment (the organisation requires
/// it of their role and they have none) may be used: only by the enrolment page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owing {
    Refused,
    Allowed,
}

impl CurrentUser {
    /// The organisation this user acts for: the only way page handlers get a tenant.
    pub fn tenant(&self) -> Tenant {
        self.tenant
    }

    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            name: &self.name,
            organization: &self.organization_name,
            csrf_token: &self.csrf_token,
            is_owner: self.role == Role::Owner,
        }
    }

    pub fn require_owner(&self) -> Result<(), AuthError> {
        match self.role {
            Role::Owner => Ok(()),
            _ => Err(AuthError::Refused("Only an organisation owner can do this.".into())),
        }
    }

    /// Whether the matrix lets this user's role do `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.role.may(permission)
    }

    /// 403 unless the matrix lets this user's role do `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AuthError> {
        match self.may(permission) {
            true => Ok(()),
            false => Err(AuthError::Refused(permission.refusal().into())),
        }
    }

    /// Whether the event is one of this user's (every event of the organisation for
    /// owners and finance; the assigned ones for supervisors and stewards). An event of
    /// another organisation is refused by the tenant-scoped query that follows.
    pub fn may_see_event(&self, event_id: i64) -> bool {
        self.events.includes(event_id)
    }

    /// 404, as for another organisation's event, unless the event is one of this user's.
    pub fn require_event(&self, event_id: i64) -> Result<(), AuthError> {
        match self.may_see_event(event_id) {
            true => Ok(()),
            false => Err(AuthError::NotFound),
        }
    }

    /// `require` and `require_event` together: what an event's page asks.
    pub fn require_on_event(&self, permission: Permission, event_id: i64) -> Result<(), AuthError> {
        self.require_event(event_id)?;
        self.require(permission)
    }

    /// An e-mail address as this user may see it: masked unless their role has
    /// `SeeEmails`.
    pub fn shown_email(&self, email: &str) -> String {
        match self.may(Permission::SeeEmails) {
            true => email.to_owned(),
            false => super::masked_email(email),
        }
    }

    /// Text that may hold e-mail addresses (audit lines, delivery errors) as this user
    /// may see it: with every address masked unless their role has `SeeEmails`.
    pub fn shown_text(&self, text: &str) -> String {
        match self.may(Permission::SeeEmails) {
            true => text.to_owned(),
            false => super::masked_addresses_in(text),
        }
    }

    /// The events this user sees.
    pub fn events(&self) -> &EventScope {
        &self.events
    }

    /// Whether the user signs in with a code as well as their password.
    pub fn two_factor_on(&self) -> bool {
        self.two_factor.on
    }

    /// Whether the organisation requires two-factor sign-in of this user's role.
    pub fn two_factor_required(&self) -> bool {
        self.two_factor.required
    }

    /// The signed-in user of the request; a session that owes two-factor enrolment is
    /// refused with `EnrolFirst` unless `owing` allows it.
    pub(super) async fn load(req: &HttpRequest, owing: Owing) -> Result<Self, AuthError> {
        let user = Self::from_cookie(req).await?;
        match user.two_factor.required && !user.two_factor.on && owing == Owing::Refused {
            true => Err(AuthError::EnrolFirst),
            false => Ok(user),
        }
    }

    async fn from_cookie(req: &HttpRequest) -> Result<Self, AuthError> {
        let (pool, settings) = services(req)?;
        let token = req.cookie(session_cookie_name(req)).ok_or(AuthError::SignedOut)?;
        let hash = token_hash(token.value());
        let idle_ms = settings.session_idle_ms();
        let row = db::run_blocking(&pool, move |conn| -> Result<_, AuthError> {
            let now = db::now_ms();
            let row = queries::find_session_user(conn, &hash, now, now - idle_ms)?;
            // Using the session restarts its idle timeout; written at most every
            // `touch_every` so a busy page does not write on every request.
            if let Some(row) = row.as_ref().filter(|r| now - r.last_seen_at >= touch_every(idle_ms)) {
                queries::touch_session(conn, row.session_id, now)?;
            }
            Ok(row)
        })
        .await?
        .ok_or(AuthError::SignedOut)?;
        let role = Role::parse(&row.role)
            .ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("unknown role {}", row.role)))?;
        Ok(Self {
            session_id: row.session_id,
            user_id: row.user_id,
            name: row.name,
            organization_name: row.organization_name,
            role,
            csrf_token: row.csrf_token,
            tenant: Tenant::authenticated(row.organization_id),
            events: EventScope::for_role(role, row.events),
            two_factor: TwoFactor {
                required: row.two_factor_required && role.owes_two_factor(),
                on: row.two_factor_on,
            },
        })
    }
}

/// A minute, or a tenth of the idle timeout when that is shorter.
fn touch_every(idle_ms: i64) -> i64 {
    (idle_ms / 10).min(60_000)
}

/// Which cookie carries the session for this request: see `SECURE_SESSION_COOKIE`.
pub fn session_cookie_name(req: &HttpRequest) -> &'static str {
    if crate::client::is_secure(req) {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The pages' pool and the settings, which every session check reads.
fn services(req: &HttpRequest) -> Result<(web::Data<Pool>, web::Data<Settings>), AuthError> {
    let missing = || AuthError::Unexpected(anyhow::anyhow!("the pool or the settings are not configured"));
    let pool = req.app_data::<web::Data<Pool>>().cloned().ok_or_else(missing)?;
    let settings = req.app_data::<web::Data<Settings>>().cloned().ok_or_else(missing)?;
    Ok((pool, settings))
}

impl FromRequest for CurrentUser {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::load(&req, Owing::Refused).await })
    }
}

/// Compares secrets without returning early at the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
