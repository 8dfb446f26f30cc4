//! Sign-in throttling, by account and by client address, safe against parallel guesses.
//! Each step of signing in (the password, then the code of two-factor sign-in) is
//! throttled on its own, with its own `Limits`.
//!
//! The rules (15-minute window; pending attempts count as failures):
//! - one address may fail `per_account_and_address` times on one account;
//! - one address may fail `per_address` times in all, whatever the accounts;
//! - an account may fail `per_account` times from all addresses together, except (for
//!   passwords) from an address it signed in from successfully in the last 30 days.
//!
//! So a guesser elsewhere locks only themselves out, never the owner at their usual
//! place; and a success clears that address's failures on the account.
//!
//! Atomic: each attempt is written as pending and committed before anything is counted,
//! and it is admitted only when the counts including it stay within the limits. Of the
//! admitted attempts the one counted last saw every other admitted one, so no burst of
//! parallel guesses gets more than a limit's worth past. Refused attempts are forgotten,
//! and one already past a limit before its row is written is refused without a write.

use super::attempts;
use crate::db::DbConnection;

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const PER_ACCOUNT_AND_ADDRESS: i64 = 5;
pub const PER_ADDRESS: i64 = 30;
pub const PER_ACCOUNT: i64 = 100;
/// How long a successful sign-in makes its address known-good for the account.
pub const KNOWN_ADDRESS_MS: i64 = 30 * 24 * 3600 * 1000;

/// How many failures one step of signing in allows.
pub struct Limits {
    /// The step, as stored in `sign_in_attempts.step`.
    pub step: &'static str,
    pub per_account_and_address: i64,
    pub per_address: i64,
    pub per_account: i64,
    /// Whether an address the account signed in from lately passes the account-wide cap.
    pub known_addresses_pass: bool,
}

/// The password step.
pub const PASSWORD: Limits = Limits {
    step: attempts::PASSWORD_STEP,
    per_account_and_address: PER_ACCOUNT_AND_ADDRESS,
    per_address: PER_ADDRESS,
    per_account: PER_ACCOUNT,
    known_addresses_pass: true,
};

/// The code step of two-factor sign-in (and the codes that change it). Whoever gets
/// here knows the password, so the account-wide cap is low and has no exceptions: 20
/// guesses in 15 minutes against three codes valid at a time of a million.
pub const CODE: Limits = Limits {
    step: attempts::CODE_STEP,
    per_account_and_address: PER_ACCOUNT_AND_ADDRESS,
    per_address: PER_ADDRESS,
    per_account: 20,
    known_addresses_pass: false,
};

pub enum Verdict {
    /// Go ahead and check the password (or code); `failures` on this account from this
    /// address, this attempt included.
    Admitted {
        attempt_id: i64,
        failures: i64,
    },
    Throttled,
}

/// Whose attempt at which step, from where.
pub struct Attempt<'a> {
    pub limits: &'a Limits,
    pub email: &'a str,
    pub address: &'a str,
}

pub fn admit(conn: &mut DbConnection, attempt: &Attempt, now: i64) -> diesel::QueryResult<Verdict> {
    // Reading first costs a refused attempt no write: a guesser hammering away past
    // the limit does not compete with the gates for the database's write lock.
    if within_limits(conn, attempt, now, 0)?.is_none() {
        return Ok(Verdict::Throttled);
    }
    let attempt_id = attempts::begin_attempt(conn, attempt.limits.step, attempt.email, attempt.address, now)?;
    match within_limits(conn, attempt, now, 1)? {
        Some(failures) => Ok(Verdict::Admitted { attempt_id, failures }),
        None => {
            attempts::forget_attempt(conn, attempt_id)?;
            Ok(Verdict::Throttled)
        }
    }
}

/// The account's failures from this address when one more attempt (`own` of them
/// already counted) stays within every limit; None when it does not.
fn within_limits(conn: &mut DbConnection, attempt: &Attempt, now: i64, own: i64) -> diesel::QueryResult<Option<i64>> {
    let (limits, email, address) = (attempt.limits, attempt.email, attempt.address);
    let (since, step) = (now - WINDOW_MS, limits.step);
    let extra = 1 - own;
    let failures = attempts::unsuccessful_for_account(conn, step, email, Some(address), since)? + extra;
    let throttled = failures > limits.per_account_and_address
        || attempts::unsuccessful_from_address(conn, step, address, since)? + extra > limits.per_address
        || (attempts::unsuccessful_for_account(conn, step, email, None, since)? + extra > limits.per_account
            && !(limits.known_addresses_pass
                && attempts::is_known_address(conn, email, address, now - KNOWN_ADDRESS_MS)?));
    Ok((!throttled).then_some(failures))
}

/// The attempt's outcome; a success also clears the address's failures on the account
/// at this step.
pub fn settle(conn: &mut DbConnection, attempt_id: i64, attempt: &Attempt, succeeded: bool) -> diesel::QueryResult<()> {
    if succeeded {
        // Marked first: clearing forgets every unsuccessful attempt, pending ones too.
        attempts::finish_attempt(conn, attempt_id, attempts::SUCCEEDED)?;
        attempts::clear_failures(conn, attempt.limits.step, attempt.email, attempt.address)
    } else {
        attempts::finish_attempt(conn, attempt_id, attempts::FAILED)
    }
}

/// The client (its address as `client::address_text` writes it) as the throttle counts
/// it: an IPv4 address, or an IPv6 address's /64 network (one subscriber's, which hands
/// out any of its 2^64 addresses at will); anything else as it is.
pub fn bucket(address: &str) -> String {
    use std::net::{IpAddr, Ipv6Addr};
    match address.parse::<IpAddr>() {
        Err(_) => address.to_owned(),
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}
