//! The filter combinations `voelgoed-bench bench-orders` times, each drawing its random values
//! from samples of the largest organisation's real data.

use rand::seq::IndexedRandom;
use rand::Rng;

use voelgoed::db::Tenant;
use voelgoed::orders::list::{Cursor, OrderFilter, SearchText};
use voelgoed::orders::OrderStatus;

/// What the random filters draw from: real values of the organisation.
pub(super) struct Samples {
    pub(super) tenant: Tenant,
    pub(super) events: Vec<i64>,
    pub(super) codes: Vec<String>,
    pub(super) emails: Vec<String>,
    pub(super) names: Vec<String>,
    /// Ticket codes of the organisation's orders.
    pub(super) tickets: Vec<String>,
    pub(super) cursors: Vec<Cursor>,
    pub(super) first: i64,
    pub(super) last: i64,
}

pub(super) type Case = (
    &'static str,
    fn(&Samples, &mut rand::rngs::ThreadRng) -> (OrderFilter, Option<Cursor>),
);

pub(super) const DAY: i64 = 86_400_000;

pub(super) fn text(prefix: &str) -> Option<SearchText> {
    Some(SearchText::new(prefix))
}

pub(super) fn prefix(value: &str, chars: usize) -> String {
    value.chars().take(chars).collect()
}

pub(super) fn week(s: &Samples, rng: &mut rand::rngs::ThreadRng) -> (Option<i64>, Option<i64>) {
    let from = rng.random_range(s.first..=(s.last - 7 * DAY).max(s.first));
    (Some(from), Some(from + 7 * DAY))
}

/// The last word of a buyer's name: a surname ("de Vries" gives "Vries").
pub(super) fn surname(s: &Samples, rng: &mut rand::rngs::ThreadRng) -> String {
    let name = s.names.choose(rng).cloned().unwrap_or_default();
    name.split_whitespace().last().unwrap_or_default().to_owned()
}

/// `word` with one typo: two neighbours swapped or one letter replaced.
pub(super) fn with_typo(word: &str, rng: &mut rand::rngs::ThreadRng) -> String {
    let mut chars: Vec<char> = word.to_lowercase().chars().collect();
    let at = rng
        .random_range(1..chars.len().max(3) - 1)
        .min(chars.len().saturating_sub(2));
    if rng.random_bool(0.5) && chars[at] != chars[at + 1] {
        chars.swap(at, at + 1);
    } else {
        chars[at] = if chars[at] == 'x' { 'q' } else { 'x' };
    }
    chars.into_iter().collect()
}

/// A ticket code as a phone screen prints it: lower case, in groups of five.
pub(super) fn as_printed(code: &str) -> String {
    let chars: Vec<char> = code.to_lowercase().chars().collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

pub(super) fn status(rng: &mut rand::rngs::ThreadRng) -> Option<OrderStatus> {
    OrderStatus::ALL.choose(rng).copied()
}

pub(super) const CASES: &[Case] = &[
    ("no filter", |_, _| (OrderFilter::default(), None)),
    ("status (any of 5)", |_, rng| {
        (
            OrderFilter {
                status: status(rng),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("status = pending (1 %)", |_, _| {
        (
            OrderFilter {
                status: Some(OrderStatus::Pending),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event", |s, rng| {
        (
            OrderFilter {
                event_id: s.events.choose(rng).copied(),
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event + status", |s, rng| {
        let filter = OrderFilter {
            event_id: s.events.choose(rng).copied(),
            status: status(rng),
            ..OrderFilter::default()
        };
        (filter, None)
    }),
    ("7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        (
            OrderFilter {
                created_from,
                created_before,
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("status + 7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        (
            OrderFilter {
                status: status(rng),
                created_from,
                created_before,
                ..OrderFilter::default()
            },
            None,
        )
    }),
    ("event + status + 7-day range", |s, rng| {
        let (created_from, created_before) = week(s, rng);
        let filter = OrderFilter {
            event_id: s.events.choose(rng).copied(),
            status: status(rng),
            created_from,
            created_before,
            ..OrderFilter::default()
        };
        (filter, None)
    }),
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
    ("next page (cursor after page 1)", |s, _| {
        (OrderFilter::default(), s.cursors.first().copied())
    }),
    ("deep page (random cursor)", |s, rng| {
        (OrderFilter::default(), s.cursors.choose(rng).copied())
    }),
    ("deep page + status", |s, rng| {
        (
            OrderFilter {
                status: status(rng),
                ..OrderFilter::default()
            },
            s.cursors.choose(rng).copied(),
        )
    }),
    ("next page of a name search", |s, rng| {
        let name = s.names.choose(rng).map_or(String::new(), |n| prefix(n, 3));
        let filter = OrderFilter {
            text: text(&name),
            ..OrderFilter::default()
        };
        (filter, s.cursors.choose(rng).copied())
    }),
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
