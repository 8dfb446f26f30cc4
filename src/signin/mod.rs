//! The sign-in screen: `GET/POST /login`, `POST /logout`, `POST /logout/everywhere`.
//! It checks credentials past the throttle (`credentials`), opens and ends sessions
//! with their audit entries (`sessions`), and sets the cookies (`cookies`); the
//! sessions themselves are the `auth` plumbing's.

mod cookies;
mod credentials;
pub mod handlers;
mod sessions;
mod views;
