//! Searches as people type them: surnames, parts of e-mails, whole order codes, ticket
//! codes as printed, a typo, a name without its accents, and a search with every filter.

use rand::seq::IndexedRandom;
use rand::Rng;

use voelgoed::orders::list::OrderFilter;

use super::{as_printed, status, surname, text, with_typo, Case, DAY};

pub(super) const CASES: &[Case] = &[
    ("search: surname", |s, rng| {
        (
            OrderFilter {
                text: text(&surname(s, rng)),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("search: e-mail part before @ (7 chars inside)", |s, rng| {
        let email = s.emails.choose(rng).cloned().unwrap_or_default();
        let local = email.split('@').next().unwrap_or_default();
        let part: String = local.chars().skip(2).take(7).collect();
        (
            OrderFilter {
                text: text(&part),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("search: e-mail part after @ (domain)", |s, rng| {
        let email = s.emails.choose(rng).cloned().unwrap_or_default();
        let domain: String = email.split('@').nth(1).unwrap_or_default().chars().take(7).collect();
        (
            OrderFilter {
                text: text(&domain),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("search: whole order code", |s, rng| {
        let code = s.codes.choose(rng).cloned().unwrap_or_default();
        (
            OrderFilter {
                text: text(&code),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("search: ticket code as printed", |s, rng| {
        let code = s.tickets.choose(rng).map(|c| as_printed(c)).unwrap_or_default();
        (
            OrderFilter {
                text: text(&code),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("search: surname with one typo", |s, rng| {
        let mut word = surname(s, rng);
        while word.chars().count() < 4 {
            word = surname(s, rng);
        }
        (
            OrderFilter {
                text: text(&with_typo(&word, rng)),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("search: accented name typed without accents", |_, rng| {
        let word = ["chloe", "muller", "garcia"].choose(rng).copied().unwrap_or("chloe");
        (
            OrderFilter {
                text: text(word),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("search: surname + status + event + 30 days", |s, rng| {
        let from = rng.random_range(s.first..=(s.last - 30 * DAY).max(s.first));
        let filter = OrderFilter {
            text: text(&surname(s, rng)),
            status: status(rng),
            event_id: s.events.choose(rng).copied(),
            created_from: Some(from),
            created_before: Some(from + 30 * DAY),
        };
        (filter, None)
    }),
    ("search: deep page of a surname search", |s, rng| {
        let filter = OrderFilter {
            text: text(&surname(s, rng)),
            ..OrderFilter::default()
        };
        (filter, s.cursors.choose(rng).copied())
    }),
];
