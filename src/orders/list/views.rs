//! The order list's views: the full page, the results fragment htmx swaps, the rows
//! "load more" appends and the rows pushed live. One order's page: `order/views.rs`.
//! Views get ready data and never query.

use chrono_tz::Tz;
use maud::{html, Markup};

use super::filter::{FilterQuery, MAX_SEARCH_CHARS};
use super::labels::EventChoice;
use super::search::OrderLine;
use crate::orders::model::{OrderStatus, RefundReason, MAX_NOTE_CHARS};
use crate::paths;
use crate::ui::components::{badge, count, local_time, Money};
use crate::ui::layout::{self, Viewer};

/// The element htmx swaps when a filter changes: table, export link and live stream.
pub const RESULTS_ID: &str = "order-results";
/// The "load more" row; htmx names it in `HX-Target` when it asks for the next rows.
pub const LOAD_MORE_ID: &str = "load-more";
/// The SSE event carrying new orders' rows, put on top of the table.
pub const ROWS_SSE_EVENT: &str = "order-rows";

pub(in crate::orders) const TIME_FORMAT: &str = "%d %b %Y %H:%M";

/// What the list shows under the filter form.
pub struct Results<'a> {
    pub lines: &'a [OrderLine],
    pub timezone: &'a Tz,
    /// `/orders?…&after=…` of the next page, when there is one.
    pub next_page: Option<String>,
    /// The live stream of new orders (first pages only).
    pub stream_url: Option<String>,
    /// The CSV export of this filter, for owners (it holds every ticket code).
    pub csv_url: Option<String>,
    /// The bulk actions' form (first pages only).
    pub bulk: Option<BulkChoice>,
}

/// The form every row's checkbox belongs to (`form=` on the checkbox).
pub const BULK_FORM_ID: &str = "bulk-form";

/// What the bulk actions' form offers: the checked rows, or every order matching the
/// filter (counted up to one past what a job takes).
pub struct BulkChoice {
    pub csrf_token: String,
    /// Made for this render: a second submit of the same form returns the same job.
    pub job_key: String,
    pub matching: i64,
    pub limit: i64,
    pub filter: Vec<(&'static str, String)>,
    /// Owners may also refund and export.
    pub owner: bool,
}

pub fn orders_page(viewer: &Viewer, query: &FilterQuery, events: &[EventChoice], results: &Results) -> Markup {
    layout::page(
        "Orders",
        Some(viewer),
        html! {
            h1 { "Orders" }
            (filter_form(query, events))
            (order_results(results))
        },
    )
}

/// A plain GET form (works without JavaScript); with htmx, typing (debounced) or any
/// change swaps only the results and puts the filter in the URL.
fn filter_form(query: &FilterQuery, events: &[EventChoice]) -> Markup {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let event = value(&query.event);
    let status = value(&query.status);
    html! {
        form.filters id="order-filter" role="search" method="get" action=(paths::ORDERS)
            hx-get=(paths::ORDERS) hx-target={ "#" (RESULTS_ID) } hx-swap="outerHTML" hx-push-url="true"
            hx-trigger="input delay:300ms, submit" {
            label { "Search"
                input type="search" name="q" value=(value(&query.q)) maxlength=(MAX_SEARCH_CHARS)
                    placeholder="Code, e-mail or name" autocomplete="off";
            }
            label { "Status"
                select name="status" {
                    option value="" { "All statuses" }
                    @for s in OrderStatus::ALL { option value=(s.as_str()) selected[status == s.as_str()] { (s.label()) } }
                }
            }
            label { "Event"
                select name="event" {
                    option value="" { "All events" }
                    @for choice in events { option value=(choice.id) selected[event == choice.id.to_string()] { (choice.name) } }
                }
            }
            label { "From" input type="date" name="from" value=(value(&query.from)); }
            label { "To" input type="date" name="to" value=(value(&query.to)); }
            button type="submit" { "Filter" }
        }
    }
}

/// The table with its export link and live stream: what a filter change replaces.
pub fn order_results(results: &Results) -> Markup {
    html! {
        div id=(RESULTS_ID) hx-ext=[results.stream_url.as_ref().map(|_| "sse")] sse-connect=[results.stream_url.as_deref()] {
            p.muted {
                @if let Some(csv_url) = &results.csv_url {
                    a href=(csv_url) download { "Export these orders (CSV, one row per ticket)" }
                }
                @if results.stream_url.is_some() {
                    @if results.csv_url.is_some() { " · " }
                    span.connection data-connection role="status" { "Connecting…" } " " span.connection data-live-status sse-swap="live-status" role="status" {}
                }
            }
            @if results.lines.is_empty() {
                p.notice data-empty { "No orders match this filter." }
            }
            @if let Some(bulk) = &results.bulk { (bulk_form(bulk)) }
            div.table-scroll role="region" aria-label="Orders" tabindex="0" {
                // `stack`: cards on a phone (app.css); the roles keep it a table to
                // screen readers there, where CSS display would drop its semantics.
                table.orders.stack role="table" {
                    thead role="rowgroup" { tr role="row" {
                        @for (name, class) in COLUMNS { th class=[(!class.is_empty()).then_some(class)] role="columnheader" { (name) } }
                    } }
                    tbody role="rowgroup" id="order-rows" sse-swap=[results.stream_url.as_ref().map(|_| ROWS_SSE_EVENT)] hx-swap="afterbegin" {
                        (order_rows(results.lines, results.timezone, results.next_page.as_deref()))
                    }
                }
            }
        }
    }
}

/// Rows, then the "load more" row when there is a next page: it loads itself when
/// scrolled into view, and is a plain link without JavaScript.
pub fn order_rows(lines: &[OrderLine], timezone: &Tz, next_page: Option<&str>) -> Markup {
    html! {
        @for line in lines { (order_row(line, timezone, Row::Listed)) }
        @if let Some(next) = next_page {
            tr id=(LOAD_MORE_ID) {
                td colspan=(COLUMNS.len()) {
                    a href=(next) hx-get=(next) hx-trigger="click, revealed" hx-target={ "#" (LOAD_MORE_ID) }
                        hx-swap="outerHTML" { "Load more orders" }
                }
            }
        }
    }
}

/// Rows of orders that changed, each replacing the row of that order where a list shows
/// it (an out-of-band swap of `#order-<id>`; a list without it ignores it), so nothing
/// moves and the reader keeps their place. A row that no longer passes the list's
/// filter stays where it is, marked as such, until the next filter or reload.
pub fn changed_rows(passing: &[OrderLine], left_filter: &[OrderLine], timezone: &Tz) -> Markup {
    html! {
        @for line in passing { (order_row(line, timezone, Row::Redrawn)) }
        @for line in left_filter { (order_row(line, timezone, Row::LeftFilter)) }
    }
}

/// The list's columns (headings, `data-label`s of the cells) and their classes.
const COLUMNS: [(&str, &str); 7] = [
    ("Code", ""),
    ("Buyer", ""),
    ("Event", ""),
    ("Tickets", "num"),
    ("Total", "num"),
    ("Status", ""),
    ("Created", "time"),
];

/// How a row is sent: in a page, or pushed to replace the row already shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Row {
    Listed,
    Redrawn,
    LeftFilter,
}

/// The one order row (every list, page, "load more" and push uses it). Each cell says
/// what it is in `data-label`, which the phone layout shows on its cards.
fn order_row(line: &OrderLine, timezone: &Tz, row: Row) -> Markup {
    let order = &line.order;
    html! {
        tr id={ "order-" (order.id) } role="row" data-order=(order.id)
            hx-swap-oob=[(row != Row::Listed).then_some("true")] data-left-filter[row == Row::LeftFilter] {
            td role="cell" data-label="Code" {
                input type="checkbox" name="order" value=(order.id) form=(BULK_FORM_ID) aria-label={ "Select order " (order.code) };
                " " a href=(paths::order(order.id)) { (order.code) }
            }
            td role="cell" data-label="Buyer" { (order.buyer_name) small { (order.buyer_email) } }
            td role="cell" data-label="Event" { (line.event_name) }
            td.num role="cell" data-label="Tickets" { (count(line.tickets)) }
            td.num role="cell" data-label="Total" { (Money { minor: order.gross, currency: &line.currency }) }
            td role="cell" data-label="Status" { (status_badge(order.status))
                @if row == Row::LeftFilter { " " small.muted { "no longer matches this filter" } } }
            td.time role="cell" data-label="Created" { (local_time(order.created_at, timezone, TIME_FORMAT)) }
        }
    }
}

/// Bulk actions: one collapsed "Bulk actions" control above the list; inside, a plain
/// POST form (htmx posts it and shows a refusal in `#flash`). The rows' checkboxes
/// belong to the form wherever they are, so they count while it is closed.
fn bulk_form(bulk: &BulkChoice) -> Markup {
    let too_many = bulk.matching > bulk.limit;
    html! {
        details.bulk-actions {
            summary { "Bulk actions" }
            form.bulk.stack id=(BULK_FORM_ID) method="post" action=(paths::ORDER_JOBS) hx-post=(paths::ORDER_JOBS) hx-swap="none" {
                input type="hidden" name="csrf_token" value=(bulk.csrf_token);
                input type="hidden" name="job_key" value=(bulk.job_key);
                @for (name, value) in &bulk.filter { input type="hidden" name=(name) value=(value); }
                fieldset {
                    legend { "Which orders" }
                    label.choice { input type="radio" name="scope" value="selected" checked; span { "The orders checked below" } }
                    label.choice { input type="radio" name="scope" value="filter" disabled[too_many || bulk.matching == 0];
                        span {
                            @if too_many { "All orders matching this filter (more than " (count(bulk.limit)) ": narrow it down)" }
                            @else { "All " span data-matching { (count(bulk.matching)) } " orders matching this filter" }
                        }
                    }
                }
                label { "Action" select name="action" {
                    option value="resend" { "Resend confirmations" }
                    @if bulk.owner { option value="refund" { "Refund whole orders" } option value="export" { "Export (CSV)" } }
                } }
                @if bulk.owner {
                    label { "Refund reason" select name="reason" {
                        option value="" { "Choose (refunds only)" }
                        @for reason in RefundReason::ALL { option value=(reason.as_str()) { (reason.label()) } }
                    } }
                    label { "Refund note" input type="text" name="note" maxlength=(MAX_NOTE_CHARS); }
                }
                button type="submit" { "Start" }
            }
        }
    }
}

/// An order status as a badge, with the stored status in `data-status`.
pub(in crate::orders) fn status_badge(status: OrderStatus) -> Markup {
    html! { span.order-status data-status=(status.as_str()) { (badge(status.as_str(), status.label())) } }
}
