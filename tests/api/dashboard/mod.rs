//! The event dashboard (`src/dashboard`).

mod event;
