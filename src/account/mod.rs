//! The signed-in user's own account: two-factor sign-in (`/account/two-factor`). Its
//! page enrols (a QR code drawn on the server as SVG, the key written out, confirmed
//! with a code; ten recovery codes shown once), shows the status and turns it off with
//! a code unless the organisation requires it of the user's role. A user who owes
//! enrolment reaches this page and nothing else. `reset_two_factor_command` is
//! `voelgoed admin reset-2fa`, for a lost phone.

mod enrolment;
pub mod handlers;
mod reset;
mod views;

pub use reset::reset_two_factor_command;
