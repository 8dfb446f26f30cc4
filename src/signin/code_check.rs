//! Checking a code of two-factor sign-in, wherever one is asked for (the sign-in's
//! second step, confirming an enrolment, turning it off): past the code step's
//! throttle, each time step accepted once, a recovery code used up, the outcome audited.

use crate::audit::Action;
use crate::auth::throttle::{self, Verdict};
use crate::auth::two_factor::{self, queries, recovery_code_hash, EnteredCode};
use crate::db::{self, DbConnection, Tenant};
use crate::error::AppError;

use super::sessions::audit_user;

/// Whose code, from where.
pub struct CodeAttempt {
    pub tenant: Tenant,
    pub user_id: i64,
    pub address: String,
}

/// Which secret the code is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The one in use (signing in, turning it off): recovery codes count too.
    Enrolled,
    /// The one being enrolled: only an app's code proves the app has it.
    Enrolling,
}

pub enum CodeCheck {
    /// Right: an app's code of a step not used before, or an unused recovery code (now
    /// used up).
    Accepted {
        recovery: bool,
    },
    /// Wrong, or used already: `failures` in a row on this account from this address.
    Wrong(i64),
    Throttled,
}

/// Checks `entered` against the user's secret (409 when there is none to check, as
/// `expect` says) and records the outcome; run it outside a transaction (the throttle
/// commits its attempt before counting).
pub fn check_code(
    conn: &mut DbConnection,
    who: &CodeAttempt,
    entered: &EnteredCode,
    expect: Expect,
) -> Result<CodeCheck, AppError> {
    let stored = queries::find_secret(conn, &who.tenant, who.user_id)?
        .filter(|s| s.confirmed == (expect == Expect::Enrolled))
        .ok_or_else(|| AppError::Conflict(missing(expect).into()))?;
    // Counted as the password step counts: an IPv6 client by its /64.
    let bucket = throttle::bucket(&who.address);
    let attempt = throttle::Attempt {
        limits: &throttle::CODE,
        email: &stored.email,
        address: &bucket,
    };
    let now = db::now_ms();
    let Verdict::Admitted { attempt_id, failures } = throttle::admit(conn, &attempt, now)? else {
        return Ok(CodeCheck::Throttled);
    };
    let accepted = match entered {
        EnteredCode::Totp(code) => match two_factor::matching_step(&stored.secret, code, now) {
            Some(step) => queries::use_step(conn, &who.tenant, who.user_id, step)?,
            None => false,
        },
        EnteredCode::Recovery(code) => {
            expect == Expect::Enrolled && queries::use_recovery_code(conn, who.user_id, &recovery_code_hash(code), now)?
        }
    };
    throttle::settle(conn, attempt_id, &attempt, accepted)?;
    let recovery = matches!(entered, EnteredCode::Recovery(_));
    let details = match (accepted, recovery) {
        (true, false) => return Ok(CodeCheck::Accepted { recovery }),
        (true, true) => format!(
            "from {}; {} recovery codes left",
            who.address,
            queries::unused_recovery_codes(conn, who.user_id)?
        ),
        (false, _) => format!("from {}", who.address),
    };
    let action = if accepted {
        Action::RecoveryCodeUsed
    } else {
        Action::TwoFactorFailed
    };
    audit_user(conn, &who.tenant, action, who.user_id, &details)?;
    Ok(if accepted {
        CodeCheck::Accepted { recovery }
    } else {
        CodeCheck::Wrong(failures)
    })
}

fn missing(expect: Expect) -> &'static str {
    match expect {
        Expect::Enrolled => "Two-factor sign-in is not on for this account: sign in again.",
        Expect::Enrolling => "There is no two-factor enrolment in progress: open the two-factor page again.",
    }
}
