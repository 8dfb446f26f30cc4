//! The live spine (`src/live`): server-sent events, coalescing, slow readers.

mod slow_readers;
mod sse;
