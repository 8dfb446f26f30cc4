//! The job page (`GET /orders/jobs/{id}`): a real `<progress>` bar with its numbers in
//! words beside it, pushed live (the same `job_state` fragment renders the page and
//! every SSE message), and once done the counts, the refused orders with each reason,
//! and for an export the download. Views get ready data and never query.

use chrono_tz::Tz;
use maud::{html, Markup};

use super::model::{BulkAction, Job, Outcome, Progress, Refusal};
use crate::paths;
use crate::ui::components::{count, local_time};
use crate::ui::layout::{self, Viewer};

/// The SSE event (and `sse-swap` name) carrying the job's state.
pub const PROGRESS_SSE_EVENT: &str = "job-progress";
/// The element the job's state is swapped into.
pub const STATE_ID: &str = "job-state";

/// Everything the job page and its pushed state show.
pub struct JobView<'a> {
    pub job: &'a Job,
    pub progress: &'a Progress,
    pub refusals: &'a [Refusal],
    /// Whether the viewer may download the export's CSV (owners).
    pub can_download: bool,
}

pub fn job_page(viewer: &Viewer, view: &JobView, can_cancel: bool, timezone: &Tz) -> Markup {
    let job = view.job;
    layout::page(
        &format!("Bulk job {}", job.id),
        Some(viewer),
        html! {
            h1 { (job.action.label()) ": " (count(job.total)) " orders" }
            p.muted {
                "Bulk job " (job.id) ", started " (local_time(job.created_at, timezone, "%d %b %Y %H:%M:%S"))
                @if let Some(reason) = job.refund_reason { " · reason: " (reason.label()) }
                @if let Some(note) = &job.refund_note { " · note: " (note) }
                " · " a href=(paths::ORDERS) { "Back to the orders" }
            }
            section.job hx-ext="sse" sse-connect=(paths::order_job_stream(job.id)) {
                p.muted { span.connection data-connection role="status" { "Connecting…" } }
                div id=(STATE_ID) sse-swap=(PROGRESS_SSE_EVENT) {
                    (job_state(view))
                }
            }
            @if can_cancel {
                form.job-cancel method="post" action=(paths::order_job_cancel(job.id)) {
                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                    button type="submit" { "Cancel the job" }
                    " "
                    span.muted { "Orders it has not reached are left as they are." }
                }
            }
        },
    )
}

/// The bar, its numbers, and when finished the outcome.
pub fn job_state(view: &JobView) -> Markup {
    let (job, progress) = (view.job, view.progress);
    html! {
        p.job-progress data-finished=(progress.finished) {
            label for="job-bar" { "Progress " }
            progress id="job-bar" max=(progress.total) value=(progress.processed()) aria-describedby="job-progress-text" {
                (progress.percent()) " %"
            }
            " "
            span id="job-progress-text" {
                (count(progress.processed())) " of " (count(progress.total)) " orders processed ("
                (progress.percent()) " %)"
                @if progress.finished {
                    @if progress.cancelled > 0 { ": cancelled" } @else { ": done" }
                }
            }
        }
        p.job-counts {
            span data-outcome="done" { (count(progress.done)) " done" } ", "
            span data-outcome="refused" { (count(progress.refused)) " refused" } ", "
            span data-outcome="failed" { (count(progress.failed)) " failed" }
            @if progress.cancelled > 0 {
                ", " span data-outcome="cancelled" { (count(progress.cancelled)) " not processed (cancelled)" }
            }
        }
        @if progress.finished {
            @if job.action == BulkAction::Export && progress.done > 0 && view.can_download {
                p { a id="job-download" href=(paths::order_job_csv(job.id)) download { "Download the CSV (" (count(progress.done)) " orders, one row per ticket)" } }
            }
            @if !view.refusals.is_empty() { (refusal_table(view)) }
        }
    }
}

fn refusal_table(view: &JobView) -> Markup {
    let (shown, refused) = (view.refusals.len() as i64, view.progress.refused + view.progress.failed);
    html! {
        h2 { "Not processed" }
        table.job-refusals {
            thead { tr { th { "Order" } th { "Outcome" } th { "Why" } } }
            tbody {
                @for refusal in view.refusals {
                    tr data-order=(refusal.order_id) {
                        td {
                            @match &refusal.code {
                                Some(code) => a href=(paths::order(refusal.order_id)) { (code) },
                                None => { "order " (refusal.order_id) },
                            }
                        }
                        td { (match refusal.outcome { Outcome::Failed => "failed", _ => "refused" }) }
                        td.reason { (refusal.reason) }
                    }
                }
            }
        }
        @if refused > shown { p.muted { "… and " (count(refused - shown)) " more." } }
    }
}
