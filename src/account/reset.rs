//! `voelgoed admin reset-2fa`: a user who lost their phone and their recovery codes
//! gets two-factor sign-in cleared and every session ended, audited as the system's.

use crate::audit::{self, Action, Entry, Subject};
use crate::auth::queries::delete_user_sessions;
use crate::auth::two_factor::queries;
use crate::db::{self, Pool};

/// Clears the user's two-factor sign-in (secret and recovery codes) and ends their
/// sessions: what the command prints. An unknown user is an error.
pub fn reset_two_factor_command(pool: &Pool, user_id: i64) -> anyhow::Result<String> {
    let mut conn = pool.get()?;
    let tenant = queries::organization_of_user(&mut conn, user_id)?
        .ok_or_else(|| anyhow::anyhow!("there is no user {user_id}"))?;
    let (was_on, ended) = db::write_transaction(&mut conn, |conn| {
        let was_on = queries::remove(conn, &tenant, user_id)?;
        let ended = delete_user_sessions(conn, user_id)?;
        let details = format!(
            "from the command line; it was {}; {ended} sessions ended",
            if was_on { "on" } else { "off" }
        );
        let entry = Entry {
            action: Action::TwoFactorReset,
            user_id: None,
            subject: Subject::User(user_id),
            details: &details,
        };
        audit::record(conn, &tenant, &entry, db::now_ms())?;
        Ok::<_, diesel::result::Error>((was_on, ended))
    })?;
    let state = if was_on { "was on" } else { "was not on" };
    Ok(format!(
        "two-factor sign-in of user {user_id} reset (it {state}); {ended} sessions ended"
    ))
}
