//! The sign-in screen: `GET/POST /login`, `GET/POST /login/code` (the code of two-factor
//! sign-in, `second_step`), `POST /logout`, `POST /logout/everywhere`.
//! It checks credentials past the throttle (`credentials`), opens and ends sessions
//! with their audit entries (`sessions`), checks two-factor codes (`code_check`, also
//! used by the account pages), and sets the cookies (`cookies`); the
//! sessions themselves are the `auth` plumbing's.

mod code_check;
mod cookies;
mod credentials;
pub mod handlers;
pub mod second_step;
mod sessions;
mod views;

pub use code_check::{check_code, CodeAttempt, CodeCheck, Expect};
pub use sessions::audit_user;
