//! Kiosk links and the displays they open (`src/kiosk`).

mod link_life;
mod links;
