//! Enrolling, confirming and turning off two-factor sign-in, each change audited in its
//! transaction; codes are checked by the sign-in's `check_code` (throttled, each step
//! once).

use actix_web::http::StatusCode;

use crate::audit::Action;
use crate::auth::two_factor::{self, new_recovery_codes, queries, recovery_code_hash, EnteredCode};
use crate::auth::{AuthError, CurrentUser};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::signin::{audit_user, check_code, CodeAttempt, CodeCheck, Expect};

/// What the two-factor page shows.
pub enum TwoFactorPage {
    /// Not on yet: the secret being enrolled and the account it is for.
    Enrolling {
        secret: String,
        email: String,
    },
    On {
        recovery_codes_left: i64,
    },
}

/// The page's state; an enrolment is started (or the one in progress kept, so a
/// reload does not undo a scan) when two-factor sign-in is not on.
pub fn page(conn: &mut DbConnection, user: &CurrentUser) -> Result<TwoFactorPage, AppError> {
    let tenant = user.tenant();
    if queries::find_secret(conn, &tenant, user.user_id)?.is_some_and(|s| s.confirmed) {
        let recovery_codes_left = queries::unused_recovery_codes(conn, user.user_id)?;
        return Ok(TwoFactorPage::On { recovery_codes_left });
    }
    let fresh = two_factor::new_secret();
    match queries::start_enrolment(conn, &tenant, user.user_id, &fresh, db::now_ms())? {
        Some(s) => Ok(TwoFactorPage::Enrolling {
            secret: s.secret,
            email: s.email,
        }),
        // Confirmed in between, by another tab.
        None => page(conn, user),
    }
}

pub enum Confirmation {
    /// On: the recovery codes, to show once.
    Enrolled(Vec<String>),
    /// Not on: why, with the page to show again.
    Refused(StatusCode, String, TwoFactorPage),
}

/// Confirms the enrolment with the app's code `typed`: ten new recovery codes.
pub fn confirm(
    conn: &mut DbConnection,
    user: &CurrentUser,
    address: String,
    typed: &str,
) -> Result<Confirmation, AppError> {
    let refused = |conn: &mut DbConnection, status, why: &str| {
        Ok(Confirmation::Refused(status, why.to_owned(), page(conn, user)?))
    };
    let code = match EnteredCode::parse_app_code(typed) {
        Ok(code) => code,
        Err(AuthError::BadForm(why)) => return refused(conn, StatusCode::BAD_REQUEST, &why),
        Err(other) => return Err(other.into()),
    };
    match check_code(
        conn,
        &attempt(user, address),
        &EnteredCode::Totp(code),
        Expect::Enrolling,
    )? {
        CodeCheck::Accepted { .. } => {}
        CodeCheck::Wrong(_) => return refused(conn, StatusCode::FORBIDDEN, WRONG),
        CodeCheck::Throttled => return refused(conn, StatusCode::TOO_MANY_REQUESTS, THROTTLED),
    }
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_code_hash(c)).collect();
    let (tenant, user_id) = (user.tenant(), user.user_id);
    let enrolled = db::write_transaction(conn, |conn| {
        let confirmed = queries::confirm(conn, &tenant, user_id, &hashes, db::now_ms())?;
        let details = format!("{} recovery codes", hashes.len());
        confirmed
            .then(|| audit_user(conn, &tenant, Action::TwoFactorEnrolled, user_id, &details))
            .transpose()
    })?;
    match enrolled {
        Some(()) => Ok(Confirmation::Enrolled(codes)),
        None => Err(AppError::Conflict("Two-factor sign-in is already on.".into())),
    }
}

/// Turns two-factor sign-in off with a code (or a recovery code); refused when the
/// organisation requires it of the user's role.
pub fn disable(conn: &mut DbConnection, user: &CurrentUser, address: String, typed: &str) -> Result<(), AppError> {
    if user.two_factor_required() {
        return Err(AppError::Forbidden(
            "Your organisation requires two-factor sign-in of your role: it stays on.".into(),
        ));
    }
    let entered = EnteredCode::parse(typed)?;
    let recovery = match check_code(conn, &attempt(user, address), &entered, Expect::Enrolled)? {
        CodeCheck::Accepted { recovery } => recovery,
        CodeCheck::Wrong(_) => return Err(AppError::Forbidden(format!("{WRONG} Two-factor sign-in stays on."))),
        CodeCheck::Throttled => return Err(AppError::TooManyRequests(THROTTLED.into())),
    };
    let (tenant, user_id) = (user.tenant(), user.user_id);
    let details = if recovery {
        "with a recovery code"
    } else {
        "with an app's code"
    };
    db::write_transaction(conn, |conn| {
        queries::remove(conn, &tenant, user_id)?;
        audit_user(conn, &tenant, Action::TwoFactorDisabled, user_id, details)
    })?;
    Ok(())
}

const WRONG: &str = "That code is not right, or was used already.";
const THROTTLED: &str = "Too many wrong codes. Wait 15 minutes and try again.";

fn attempt(user: &CurrentUser, address: String) -> CodeAttempt {
    CodeAttempt {
        tenant: user.tenant(),
        user_id: user.user_id,
        address,
    }
}
