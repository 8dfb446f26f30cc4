//! Orders (`src/orders`): the list and its export, search, one order's page with refunds
//! and voids, e-mails, capacity, live rows and bulk jobs.

mod bulk;
mod capacity;
mod email_masking;
mod emails;
mod list;
mod live_rows;
mod refunds;
mod search;
mod ticket_codes;
mod voids;
