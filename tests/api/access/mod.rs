//! Who may do what: sign-in, sessions and their throttle, two-factor sign-in and its
//! policy, the team page, roles and rights changes, and tenancy (`src/auth`, `src/signin`,
//! `src/account`, `src/team`). The full route × role matrix is `role_matrix/`.

mod auth;
mod rights_change;
mod role_limits;
mod roles;
mod sessions;
mod sign_in_throttle;
mod team;
mod tenancy;
mod two_factor;
mod two_factor_policy;
