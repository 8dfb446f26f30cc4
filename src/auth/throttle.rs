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
//! parallel guesses gets more than a limit's worth past. Refused attempts are forgotten.

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
    let attempt_id = queries::begin_attempt(conn, email, address, now)?;
    let since = now - WINDOW_MS;
    let failures = queries::unsuccessful_for_account(conn, email, Some(address), since)?;
    let throttled = failures > PER_ACCOUNT_AND_ADDRESS
        || queries::unsuccessful_from_address(conn, address, since)? > PER_ADDRESS
        || (queries::unsuccessful_for_account(conn, email, None, since)? > PER_ACCOUNT
            && !queries::is_known_address(conn, email, address, now - KNOWN_ADDRESS_MS)?);
    if throttled {
        queries::forget_attempt(conn, attempt_id)?;
        return Ok(Verdict::Throttled);
    }
    Ok(Verdict::Admitted { attempt_id, failures })
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
