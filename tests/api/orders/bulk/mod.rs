//! Bulk actions on the order list, run as jobs (`src/orders/bulk`).

mod cancel;
mod jobs;
mod scope;
