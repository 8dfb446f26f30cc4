//! One order's views: the order page (buyer, tickets with scans, money, refunds,
//! e-mails, audit log, and the actions the viewer may take) and the refund confirmation.

use maud::{html, Markup};

use super::details::{OrderDetails, TicketLine};
use super::refunds::RefundPlan;
use crate::orders::list::{status_badge, TIME_FORMAT};
use crate::orders::model::{RefundReason, MAX_NOTE_CHARS};
use crate::paths;
use crate::ui::components::{badge, local_time, Money};
use crate::ui::layout::{self, Viewer};

/// What the order page may offer the viewer.
pub struct Actions {
    pub can_refund: bool,
}

pub fn order_page(viewer: &Viewer, details: &OrderDetails, actions: &Actions) -> Markup {
    let order = &details.order;
    let event = &details.event;
    let money = |minor| Money {
        minor,
        currency: &event.currency,
    };
    let refundable = actions.can_refund && order.status.is_refundable();
    layout::page(
        &format!("Order {}", order.code),
        Some(viewer),
        html! {
            p { a href=(paths::ORDERS) { "← Orders" } }
            h1 { "Order " (order.code) " " (status_badge(order.status)) }
            div.cards {
                div.card {
                    span.label { "Buyer" }
                    p { strong data-buyer { (order.buyer_name) } br; (order.buyer_email) }
                }
                div.card {
                    span.label { "Event" }
                    p { a href=(paths::event_dashboard(order.event_id)) { (event.name) } br;
                        "Ordered " (local_time(order.created_at, &event.timezone, TIME_FORMAT)) }
                }
                div.card {
                    span.label { "Money" }
                    dl.tally {
                        dt { "Gross" } dd data-money="gross" { (money(order.gross)) }
                        dt { "Platform fees" } dd data-money="fees" { (money(order.fees)) }
                        dt { "Refunded" } dd data-money="refunded" { (money(details.refunded())) }
                        dt { "Net" } dd data-money="net" { (money(order.net)) }
                    }
                }
            }
            h2 { "Tickets" }
            p { a href=(paths::order_tickets(order.id)) data-ticket-codes { "Tickets as QR codes (to print or scan)" } }
            (tickets_section(details, refundable))
            h2 { "Refunds" }
            @if details.refunds.is_empty() { p.muted { "No refunds." } }
            @else {
                ul { @for refund in &details.refunds {
                    li data-refund {
                        (money(refund.amount)) " by " (refund.by) " on " (local_time(refund.created_at, &event.timezone, TIME_FORMAT))
                        " · " span data-refund-reason=(refund.reason.as_str()) { (refund.reason.label()) }
                        @if let Some(note) = &refund.note { br; q.note data-refund-note { (note) } }
                    }
                } }
            }
            h2 { "E-mails" }
            (emails_section(details, viewer))
            h2 { "Audit log" }
            @if details.audit.is_empty() { p.muted { "No actions taken on this order yet." } }
            @else {
                ul.audit { @for entry in &details.audit {
                    li {
                        (local_time(entry.created_at, &event.timezone, TIME_FORMAT)) " · "
                        strong { (entry.action) } " by " (entry.by.as_deref().unwrap_or("the system")) ": " (entry.details)
                    }
                } }
            }
        },
    )
}

fn tickets_section(details: &OrderDetails, refundable: bool) -> Markup {
    let event = &details.event;
    let table = html! {
        div.table-scroll role="region" aria-label="Tickets" tabindex="0" {
            // `stack`: cards on a phone (app.css), with roles to stay a table there.
            table.tickets.stack role="table" {
                thead role="rowgroup" { tr role="row" { @if refundable { th role="columnheader" { span.visually-hidden { "Refund" } } }
                    th role="columnheader" { "Code" } th role="columnheader" { "Type" } th.num role="columnheader" { "Price" }
                    th role="columnheader" { "Status" } th role="columnheader" { "Scans" } } }
                tbody role="rowgroup" {
                    @for ticket in &details.tickets {
                        tr role="row" data-ticket=(ticket.code) {
                            @if refundable {
                                td role="cell" data-label="Refund" { @if ticket.status.is_valid() {
                                    input type="checkbox" name="ticket" value=(ticket.id) aria-label={ "Refund ticket " (ticket.code) };
                                } }
                            }
                            td role="cell" data-label="Code" { code { (ticket.code) } }
                            td role="cell" data-label="Type" { (ticket.ticket_type) }
                            td.num role="cell" data-label="Price" { (Money { minor: ticket.price, currency: &event.currency }) }
                            td role="cell" data-label="Status" { (badge(ticket.status.as_str(), ticket.status.as_str())) @if ticket.inside_since.is_some() { " " (badge("valid", "inside")) } }
                            td role="cell" data-label="Scans" { (scan_history(details, ticket)) }
                        }
                    }
                }
            }
        }
    };
    html! {
        @if refundable {
            form method="get" action=(paths::order_refund(details.order.id)) {
                (table)
                p {
                    button type="submit" name="scope" value="tickets" { "Refund chosen tickets…" } " "
                    button type="submit" name="scope" value="all" { "Refund whole order…" } " "
                    a.button href=(paths::order_void(details.order.id)) data-void { "Cancel tickets without refunding…" }
                }
            }
        } @else {
            (table)
        }
    }
}

fn scan_history(details: &OrderDetails, ticket: &TicketLine) -> Markup {
    let scans: Vec<_> = details
        .scans
        .iter()
        .filter(|s| s.ticket_id == Some(ticket.id))
        .collect();
    html! {
        @if scans.is_empty() { span.muted { "none" } }
        @else {
            ul.scans { @for scan in scans {
                li {
                    (local_time(scan.scanned_at, &details.event.timezone, "%d %b %H:%M:%S")) " "
                    (scan.direction) " at " (scan.gate) " " (badge(&scan.result, &scan.result))
                    @if let Some(reason) = &scan.reason { " " small { (reason) } }
                }
            } }
        }
    }
}

fn emails_section(details: &OrderDetails, viewer: &Viewer) -> Markup {
    let tz = &details.event.timezone;
    html! {
        @if details.emails.is_empty() { p.muted { "No e-mails sent from the console yet." } }
        @else {
            div.table-scroll role="region" aria-label="E-mails" tabindex="0" { table.emails.stack role="table" {
                thead role="rowgroup" { tr role="row" { th role="columnheader" { "Queued" } th role="columnheader" { "To" }
                    th role="columnheader" { "Delivery" } th.num role="columnheader" { "Attempts" } th role="columnheader" { "Last error" } } }
                tbody role="rowgroup" { @for email in &details.emails {
                    tr role="row" data-email-status=(email.status.as_str()) {
                        td.time role="cell" data-label="Queued" { (local_time(email.created_at, tz, TIME_FORMAT)) }
                        td role="cell" data-label="To" { (email.recipient) small { (email.subject) } }
                        td role="cell" data-label="Delivery" { (badge(email.status.as_str(), email.status.as_str()))
                            @if let Some(sent) = email.sent_at { small { "sent " (local_time(sent, tz, TIME_FORMAT)) } } }
                        td.num role="cell" data-label="Attempts" data-attempts { (email.attempts) }
                        td role="cell" data-label="Last error" data-last-error { (email.last_error.as_deref().unwrap_or("")) }
                    }
                } }
            } }
        }
        @if details.order.status.can_resend_confirmation() {
            form method="post" action=(paths::order_resend_confirmation(details.order.id)) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                button type="submit" { "Resend confirmation e-mail" }
            }
        }
    }
}

/// What the owner sees before a refund happens: the tickets, the amount computed on the
/// server, and the final button carrying a fresh idempotency key.
pub struct Confirmation<'a> {
    pub order_id: i64,
    pub order_code: &'a str,
    pub currency: &'a str,
    pub plan: &'a RefundPlan,
    pub whole_order: bool,
    pub idempotency_key: &'a str,
}

pub fn refund_confirmation_page(viewer: &Viewer, c: &Confirmation) -> Markup {
    let money = |minor| Money {
        minor,
        currency: c.currency,
    };
    layout::page(
        &format!("Refund order {}", c.order_code),
        Some(viewer),
        html! {
            p { a href=(paths::order(c.order_id)) { "← Order " (c.order_code) } }
            h1 { "Refund " (money(c.plan.amount)) "?" }
            p { "These tickets will be refunded and refused at the gates from that moment. "
                "Platform fees are not returned." }
            ul.refund-tickets { @for ticket in &c.plan.tickets {
                li { code { (ticket.code) } " · " (ticket.ticket_type) " · " (money(ticket.price)) }
            } }
            form method="post" action=(paths::order_refund(c.order_id)) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                input type="hidden" name="idempotency_key" value=(c.idempotency_key);
                input type="hidden" name="amount" value=(c.plan.amount);
                @if c.whole_order {
                    input type="hidden" name="scope" value="all";
                } @else {
                    input type="hidden" name="scope" value="tickets";
                    @for ticket in &c.plan.tickets { input type="hidden" name="ticket" value=(ticket.id); }
                }
                (reason_fields())
                button type="submit" data-confirm-refund { "Refund " (money(c.plan.amount)) }
                " " a href=(paths::order(c.order_id)) { "Cancel" }
            }
        },
    )
}

/// The reason (required, from the short list) and the optional note of a refund or a void.
pub fn reason_fields() -> Markup {
    html! {
        p.field {
            label for="reason" { "Reason" }
            select #reason name="reason" required {
                option value="" { "Choose a reason…" }
                @for reason in RefundReason::ALL { option value=(reason.as_str()) { (reason.label()) } }
            }
        }
        p.field {
            label for="note" { "Note " span.muted { "(optional, up to " (MAX_NOTE_CHARS) " characters)" } }
            textarea #note name="note" rows="3" maxlength=(MAX_NOTE_CHARS) {}
        }
    }
}

/// What the owner sees before a void: the tickets it cancels, that no money moves, and
/// the reason to give.
pub fn void_confirmation_page(viewer: &Viewer, details: &OrderDetails, tickets: &[TicketLine]) -> Markup {
    let order = &details.order;
    let money = |minor| Money {
        minor,
        currency: &details.event.currency,
    };
    layout::page(
        &format!("Cancel order {} without refunding", order.code),
        Some(viewer),
        html! {
            p { a href=(paths::order(order.id)) { "← Order " (order.code) } }
            h1 { "Cancel " (tickets.len()) " ticket(s) without refunding?" }
            p { "These tickets will be refused at the gates from that moment and can be sold again. "
                "No money moves: nothing is paid back and the order's " (money(order.net)) " net stays." }
            ul.void-tickets { @for ticket in tickets {
                li { code { (ticket.code) } " · " (ticket.ticket_type) }
            } }
            form method="post" action=(paths::order_void(order.id)) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                (reason_fields())
                button type="submit" data-confirm-void { "Cancel tickets without refunding" }
                " " a href=(paths::order(order.id)) { "Keep the order" }
            }
        },
    )
}
