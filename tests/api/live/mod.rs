//! The live spine (`crates/platform/src/live`): server-sent events, coalescing, slow readers.

mod slow_readers;
mod sse;
