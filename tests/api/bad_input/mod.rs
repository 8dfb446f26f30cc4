//! Bad and hostile input, by route family: a clear 4xx, never a 5xx, nothing changed,
//! nothing echoed unescaped. Each family's property tests (random input, proptest) sit
//! beside its hand-written cases; a feature's own form validation stays with the feature.

mod bounded_forms;
mod control_characters;
mod orders;
mod pages;
mod scans;
mod sign_in;
