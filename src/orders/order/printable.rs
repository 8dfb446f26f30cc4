//! `GET /orders/{id}/tickets`: an order's tickets as QR codes, one card each, to print or
//! to hold a screen up to a scanner (the demo's tickets scan from a laptop this way).

use actix_web::{web, HttpResponse};
use maud::{html, Markup};

use super::details::{self, OrderDetails};
use crate::auth::{CurrentUser, Permission};
use crate::db::Pool;
use crate::domain::OrderId;
use crate::error::AppError;
use crate::paths;
use crate::ui::components::{badge, qr_code};
use crate::ui::html;
use crate::ui::layout::{self, Viewer};

pub async fn printable_tickets(
    pool: web::Data<Pool>,
    user: CurrentUser,
    path: web::Path<OrderId>,
) -> Result<HttpResponse, AppError> {
    user.require(Permission::ViewOrders)?;
    let details = details::visible_order_details(&pool, &user, path.into_inner().get()).await?;
    Ok(html(tickets_page(&user.viewer(), &details)))
}

fn tickets_page(viewer: &Viewer, details: &OrderDetails) -> Markup {
    let order = &details.order;
    layout::page(
        &format!("Tickets of order {}", order.code),
        Some(viewer),
        html! {
            p.no-print { a href=(paths::order(order.id)) { "← Order " (order.code) } }
            h1 { "Tickets of order " (order.code) }
            p.muted { (details.event.name) " · " (order.buyer_name) }
            ul.ticket-codes {
                @for ticket in &details.tickets {
                    li.card data-ticket=(ticket.code) {
                        (qr_code(&ticket.code, &format!("QR code of ticket {}", ticket.code)))
                        p { code { (ticket.code) } }
                        p { (ticket.ticket_type) " " (badge(ticket.status.as_str(), ticket.status.as_str())) }
                    }
                }
            }
        },
    )
}
