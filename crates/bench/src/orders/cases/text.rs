//! The free-text box as typed: prefixes of names, e-mails and order codes, a single
//! letter, and a name prefix with every other filter.

use rand::seq::IndexedRandom;
use rand::Rng;

use voelgoed::orders::list::OrderFilter;

use super::{prefix, status, text, Case, DAY};

pub(super) const CASES: &[Case] = &[
    ("text: name prefix (3 chars)", |s, rng| {
        let name = s.names.choose(rng).map_or(String::new(), |n| prefix(n, 3));
        (
            OrderFilter {
                text: text(&name),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: full name", |s, rng| {
        let name = s.names.choose(rng).cloned().unwrap_or_default();
        (
            OrderFilter {
                text: text(&name),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: e-mail prefix (8 chars)", |s, rng| {
        let email = s.emails.choose(rng).map_or(String::new(), |e| prefix(e, 8));
        (
            OrderFilter {
                text: text(&email),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: code prefix (VG- + 3)", |s, rng| {
        let code = s.codes.choose(rng).map_or(String::new(), |c| prefix(c, 6));
        (
            OrderFilter {
                text: text(&code),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: code without VG- (4 chars)", |s, rng| {
        let code: String = s
            .codes
            .choose(rng)
            .map_or(String::new(), |c| c.chars().skip(3).take(4).collect());
        (
            OrderFilter {
                text: text(&code),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: one letter", |_, rng| {
        let letter = (b'a' + rng.random_range(0..26u8)) as char;
        (
            OrderFilter {
                text: text(&letter.to_string()),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("text: name prefix + status + event + 30 days", |s, rng| {
        let name = s.names.choose(rng).map_or(String::new(), |n| prefix(n, 4));
        let from = rng.random_range(s.first..=(s.last - 30 * DAY).max(s.first));
        let filter = OrderFilter {
            text: text(&name),
            status: status(rng),
            event_id: s.events.choose(rng).copied(),
            created_from: Some(from),
            created_before: Some(from + 30 * DAY),
        };
        (filter, None)
    }),
];
