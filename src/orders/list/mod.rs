//! The order list screen: `GET /orders` (filter form, results, "load more") and its
//! live rows (`GET /sse/orders`: new orders on top, changed rows redrawn in place). The filter is parsed from the query string into
//! domain values (`filter.rs`); the queries serve it from indexes (`search.rs`).

mod changes;
mod filter;
mod handlers;
mod labels;
mod search;
mod stream;
mod views;

pub use changes::{newest_change_id, orders_changed_since, ChangedOrders, CHANGES_PER_LOOK};
pub use filter::{Cursor, FilterQuery, OrderFilter, SearchText, MAX_SEARCH_CHARS};
pub use handlers::{list_orders, read_filter, ZonedFilter};
pub use labels::{event_choices, event_labels, organization_timezone, EventChoice, EventLabel};
pub use search::{
    find_orders, matching_ids, newest_order_id, order_summaries, orders_since, OrderLine, OrderPage, OrderSummary,
    PAGE_ROWS,
};
pub use stream::orders_stream;
pub(super) use views::{status_badge, TIME_FORMAT};
