//! Bulk actions on orders, run as jobs: the order list's form (`form.rs`) makes a job of
//! the chosen orders, or of all orders matching the filter, once per form key
//! (`queries.rs`); one runner per process (`runner.rs`) claims unfinished jobs under a
//! lease and does the action to each order through the single-order functions
//! (`work.rs`); the job page shows its progress live and, when done, the outcome per
//! order (`handlers.rs`, `views.rs`), and an export job's CSV (`download.rs`). Jobs are
//! made, run and read with their users' roles and events (`scope.rs`).

mod cancel;
mod download;
mod form;
mod handlers;
mod model;
mod queries;
mod runner;
mod scope;
mod views;
mod work;

pub use handlers::{cancel_job, job_csv, job_stream, show_job, start_job};
pub use model::{BulkAction, NewJob, Progress, RefundNote, MAX_JOB_ORDERS, MAX_SELECTED_IDS};
pub use queries::{create_job, find_job, progress};
pub use runner::{start_runner, BulkWaker, LEASE};
pub use work::CHUNK;
