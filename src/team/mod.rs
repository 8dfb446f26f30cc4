//! The team page (`/team`, owners only): the organisation's users with their roles,
//! events and status; adding a user (with a generated password shown once), changing a
//! role or the events of a supervisor or steward, deactivating (their sessions and live
//! streams end at once) and reactivating, and setting a new password (shown once; the
//! old sessions end). Every change is audited; the last active owner cannot be demoted
//! or deactivated. `two_factor_policy` is the organisation's "two-factor sign-in
//! required for owners and finance".

mod form;
pub mod handlers;
mod members;
pub mod two_factor_policy;
mod views;

pub use members::new_password;
