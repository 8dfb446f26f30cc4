//! Sign-in throttling, by account and by client address, safe against parallel guesses.
//!
//! The rules (15-minute window; pending attempts count as failures):
//! - one address may fail `PER_ACCOUNT_AND_ADDRESS` times on one account;
//! - one address may fail `PER_ADDRESS` times in all, whatever the accounts;
//! - an account may fail `PER_ACCOUNT` times from all addresses together, except from
//!   an address it signed in from successfully in the last 30 days.
//!
//! So a guesser elsewhere locks only themselves out, never the owner at their usual
//! place; and a success clears that address's failures on the account.
//!
//! Atomic: each attempt is written as pending and committed before anything is counted,
//! and it is admitted only when the counts including it stay within the limits. Of the
//! admitted attempts the one counted last saw every other admitted one, so no burst of
//! parallel guesses gets more than a limit's worth past. Refused attempts are forgotten,
//! and one already past a limit before its row is written is refused without a write.

use super::queries;
use crate::db::DbConnection;

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const PER_ACCOUNT_AND_ADDRESS: i64 = 5;
pub const PER_ADDRESS: i64 = 30;
pub const PER_ACCOUNT: i64 = 100;
/// How long a successful sign-in makes its address known-good for the account.
pub const KNOWN_ADDRESS_MS: i64 = 30 * 24 * 3600 * 1000;

pub enum Verdict {
    /// Go ahead and check the password; `failures` on this account from this address,
    /// this attempt included.
    Admitted {
        attempt_id: i64,
        failures: i64,
    },
    Throttled,
}

pub fn admit(conn: &mut DbConnection, email: &str, address: &str, now: i64) -> diesel::QueryResult<Verdict> {
    // Reading first costs a refused attempt no write: a guesser hammering away past
    // the limit does not compete with the gates for the database's write lock.
    if within_limits(conn, email, address, now, 0)?.is_none() {
        return Ok(Verdict::Throttled);
    }
    let attempt_id = queries::begin_attempt(conn, email, address, now)?;
    match within_limits(conn, email, address, now, 1)? {
        Some(failures) => Ok(Verdict::Admitted { attempt_id, failures }),
        None => {
            queries::forget_attempt(conn, attempt_id)?;
            Ok(Verdict::Throttled)
        }
    }
}

/// The account's failures from this address when one more attempt (`own` of them
/// already counted) stays within every limit; None when it does not.
fn within_limits(
    conn: &mut DbConnection,
    email: &str,
    address: &str,
    now: i64,
    own: i64,
) -> diesel::QueryResult<Option<i64>> {
    let since = now - WINDOW_MS;
    let extra = 1 - own;
    let failures = queries::unsuccessful_for_account(conn, email, Some(address), since)? + extra;
    let throttled = failures > PER_ACCOUNT_AND_ADDRESS
        || queries::unsuccessful_from_address(conn, address, since)? + extra > PER_ADDRESS
        || (queries::unsuccessful_for_account(conn, email, None, since)? + extra > PER_ACCOUNT
            && !queries::is_known_address(conn, email, address, now - KNOWN_ADDRESS_MS)?);
    Ok((!throttled).then_some(failures))
}

/// The attempt's outcome; a success also clears the address's failures on the account.
pub fn settle(
    conn: &mut DbConnection,
    attempt_id: i64,
    email: &str,
    address: &str,
    succeeded: bool,
) -> diesel::QueryResult<()> {
    if succeeded {
        // Marked first: clearing forgets every unsuccessful attempt, pending ones too.
        queries::finish_attempt(conn, attempt_id, queries::SUCCEEDED)?;
        queries::clear_failures(conn, email, address)
    } else {
        queries::finish_attempt(conn, attempt_id, queries::FAILED)
    }
}
