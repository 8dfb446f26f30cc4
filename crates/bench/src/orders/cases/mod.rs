//! The filter combinations `voelgoed-bench bench-orders` times, each drawing its random values
//! from samples of the largest organisation's real data: one file per family of cases.

mod filters;
mod pages;
mod search;
mod text;

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

/// Every case, family by family, in the order the report prints them.
pub(super) fn all() -> impl Iterator<Item = &'static Case> {
    [filters::CASES, text::CASES, pages::CASES, search::CASES]
        .into_iter()
        .flatten()
}
