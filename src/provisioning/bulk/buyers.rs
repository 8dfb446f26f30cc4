//! The buyers bulk orders are made for: names from several languages (accents, particles
//! and apostrophes, which the order search must handle) and addresses that look real.

use rand::Rng;

const FIRST_NAMES: &[&str] = &[
    "Anna", "Bram", "Chloé", "Daan", "Emma", "Finn", "Gugu", "Hugo", "Iris", "Jan", "Kemal", "Lotte", "Musa", "Noor",
    "Olivier", "Priya", "Quinten", "Ruth", "Sipho", "Tess", "Umar", "Vera", "Wouter", "Xena", "Yara", "Zanele",
];
const LAST_NAMES: &[&str] = &[
    "de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "Mokoena", "Naidoo", "Botha", "Dlamini",
    "Peeters", "Janssens", "Müller", "García", "Okafor", "Nguyen", "Kowalski", "O'Brien", "Rossi",
];

/// A buyer's name and a plausible, unique-enough e-mail address for order `id`.
pub(super) fn random_buyer(rng: &mut impl Rng, id: i64) -> (String, String) {
    let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
    let email = format!(
        "{}.{}{}@example.test",
        first.to_lowercase(),
        last.to_lowercase().replace([' ', '\''], ""),
        id % 997
    );
    (format!("{first} {last}"), email)
}
