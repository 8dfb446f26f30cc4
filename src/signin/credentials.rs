//! Checking a sign-in attempt: past the throttle, against the stored hash, with the
//! outcome recorded. No connection is held while argon2 runs.

use crate::audit::Action;
use crate::auth::queries::{self, Credentials};
use crate::auth::throttle::{self, Verdict};
use crate::auth::{hash_password, random_token, PasswordChecks};
use crate::db::{self, Pool, Tenant};
use crate::error::AppError;

use super::sessions::audit_user;
use crate::error::with_db;

/// Who tries to sign in, from where (the throttle counts the address by
/// `throttle::bucket`; the audit log names it whole).
pub struct Attempt {
    pub email: String,
    pub address: String,
}

pub enum SignIn {
    Accepted(Credentials),
    /// Wrong e-mail or password: `failures` in a row from this address on this account.
    Rejected(i64),
    Throttled,
}

/// Admits the attempt past the throttle (`throttle::admit`), checks the password off
/// the database pool (`PasswordChecks`), then records the outcome.
pub async fn check(
    pool: &Pool,
    passwords: &PasswordChecks,
    attempt: &Attempt,
    password: String,
) -> Result<SignIn, AppError> {
    let (email, bucket) = (attempt.email.clone(), throttle::bucket(&attempt.address));
    let (verdict, credentials) = with_db(pool, move |conn| {
        let counted = throttled(&email, &bucket);
        let verdict = throttle::admit(conn, &counted, db::now_ms())?;
        let credentials = match verdict {
            Verdict::Throttled => None,
            Verdict::Admitted { .. } => queries::find_credentials(conn, &email)?,
        };
        Ok((verdict, credentials))
    })
    .await?;
    let Verdict::Admitted { attempt_id, failures } = verdict else {
        return Ok(SignIn::Throttled);
    };
    // Verify against a real hash even for unknown emails so timing does not tell
    // which half was wrong.
    let stored = credentials
        .as_ref()
        .map_or_else(|| unknown_user_hash().to_owned(), |c| c.password_hash.clone());
    let matches = passwords.verify(password, stored).await?;
    let (email, address) = (attempt.email.clone(), attempt.address.clone());
    let bucket = throttle::bucket(&address);
    with_db(pool, move |conn| {
        let succeeded = matches && credentials.is_some();
        throttle::settle(conn, attempt_id, &throttled(&email, &bucket), succeeded)?;
        match credentials {
            Some(c) if succeeded => Ok(SignIn::Accepted(c)),
            Some(c) => {
                let tenant = Tenant::authenticated(c.organization_id);
                let details = format!("from {address}");
                audit_user(conn, &tenant, Action::SignInFailed, c.user_id, &details)?;
                Ok(SignIn::Rejected(failures))
            }
            None => Ok(SignIn::Rejected(failures)),
        }
    })
    .await
}

/// The password step's attempt, as the throttle counts it.
fn throttled<'a>(email: &'a str, address: &'a str) -> throttle::Attempt<'a> {
    throttle::Attempt {
        limits: &throttle::PASSWORD,
        email,
        address,
    }
}

/// An Argon2id hash of a random string nobody knows, made once per process.
fn unknown_user_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}
