//! The order list screen: `GET /orders` (filter form, results, "load more") and its
//! live rows (`GET /sse/orders`: new orders on top, changed rows redrawn in place). The
//! filter is parsed from the query string into domain values (`filter.rs`); the queries
//! serve it from indexes (`search.rs`), free text from the text index (`text_index.rs`,
//! typos through `words.rs`).

mod buyer_match;
mod changes;
mod filter;
mod handlers;
mod labels;
mod search;
mod stream;
mod summary;
mod text_index;
mod views;
mod words;

pub use changes::{newest_change_id, orders_changed_since, ChangedOrders, CHANGES_PER_LOOK};
pub use filter::{Cursor, FilterQuery, OrderFilter, SearchText, INDEXED_WORD_CHARS, MAX_SEARCH_CHARS};
pub use handlers::{list_orders, of_users_events, read_filter, ZonedFilter};
pub use labels::{event_choices, event_labels, organization_timezone, EventChoice, EventLabel};
pub use search::{
    find_orders, matching_ids, newest_order_id, order_summaries, orders_since, OrderLine, OrderPage, OrderSummary,
    PAGE_ROWS,
};
pub use stream::orders_stream;
pub use summary::{search_key, KEY_STEP};
pub use text_index::{pause_text_index, rebuild_text_index, resume_text_index};
pub(super) use views::{status_badge, TIME_FORMAT};
pub use words::{fill_buyer_words_once, fold, rebuild_buyer_words, record_buyer_words, TYPO_MIN_LETTERS};
