//! Bad and hostile input, by route family: a clear 4xx, never a 5xx, nothing changed,
//! nothing echoed unescaped. Property tests: `hostile`.

mod bounded_forms;
mod hostile;
mod orders;
mod pages;
mod scans;
