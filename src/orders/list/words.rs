//! Typo tolerance for the order search: each organisation's buyer-name words, folded
//! (lower case, accents removed), stored with their one-deletion variants in
//! `order_search_words` (a symmetric-delete dictionary). A query word of four letters
//! or more looks up its own deletions there; the words found within one edit
//! (substitution, insertion, deletion or transposition of neighbours) join the search.

use std::collections::BTreeSet;

use diesel::prelude::*;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::db::schema::{order_search_words, orders};
use crate::db::{DbConnection, Tenant};
use crate::with_backend;

/// Shortest word (in letters) that is matched with a typo, in the name and in the query.
pub const TYPO_MIN_LETTERS: usize = 4;

/// Longest word kept in the dictionary: longer ones are no names (and would make many
/// variants).
const LONGEST_WORD: usize = 40;

/// `text` lower-cased with its accents removed (é = e), as both indexes compare it.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The folded words of a name that typos are matched against: letters only, split at
/// anything else ("O'Brien" gives "o" and "brien").
pub fn name_words(name: &str) -> BTreeSet<String> {
    fold(name)
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| (TYPO_MIN_LETTERS..=LONGEST_WORD).contains(&w.chars().count()))
        .map(str::to_owned)
        .collect()
}

/// `word` and every string one deleted letter away from it.
pub fn variants(word: &str) -> BTreeSet<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: BTreeSet<String> = (0..chars.len())
        .map(|skip| {
            chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, c)| c)
                .collect()
        })
        .collect();
    out.insert(word.to_owned());
    out
}

/// True when `a` and `b` are at most one edit apart (optimal string alignment distance:
/// a substitution, an insertion, a deletion or two neighbours swapped).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[..a.len() - suffix.min(a.len())], &b[..b.len() - suffix.min(b.len())]);
    match (a.len(), b.len()) {
        (0, 0) | (0, 1) | (1, 0) | (1, 1) => true,
        (2, 2) => a[0] == b[1] && a[1] == b[0],
        _ => false,
    }
}

/// Adds the words of a buyer's name to the organisation's dictionary (in the caller's
/// transaction): called by every write of an order's buyer.
pub fn record_buyer_words(conn: &mut DbConnection, tenant: &Tenant, buyer_name: &str) -> QueryResult<()> {
    let rows: Vec<_> = name_words(buyer_name)
        .into_iter()
        .flat_map(|word| variants(&word).into_iter().map(move |variant| (variant, word.clone())))
        .map(|(variant, word)| {
            (
                order_search_words::organization_id.eq(tenant.organization_id()),
                order_search_words::variant.eq(variant),
                order_search_words::word.eq(word),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    with_backend!(conn, |c| diesel::insert_into(order_search_words::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Fills the dictionary from every order's buyer (after a bulk load, or for orders
/// written before it existed): one pass over the distinct names.
pub fn rebuild_buyer_words(conn: &mut DbConnection) -> QueryResult<usize> {
    let names: Vec<(i64, String)> = orders::table
        .select((orders::organization_id, orders::buyer_name))
        .distinct()
        .load(conn)?;
    conn.transaction(|conn| {
        for (org, name) in &names {
            record_buyer_words(conn, &Tenant::authenticated(*org), name)?;
        }
        Ok(names.len())
    })
}

/// Fills the dictionary on the first start after the migration that added it (empty
/// while orders exist); otherwise one look at each table.
pub fn fill_buyer_words_once(conn: &mut DbConnection) -> QueryResult<()> {
    let has_words = order_search_words::table
        .select(order_search_words::organization_id)
        .first::<i64>(conn)
        .optional()?
        .is_some();
    let has_orders = orders::table
        .select(orders::id)
        .first::<i64>(conn)
        .optional()?
        .is_some();
    if has_orders && !has_words {
        let names = rebuild_buyer_words(conn)?;
        tracing::info!(names, "filled the order search's typo dictionary");
    }
    Ok(())
}

/// Words of the organisation's buyers one edit away from `word` (folded), itself
/// excluded; none for words shorter than `TYPO_MIN_LETTERS` or with other than letters.
pub fn corrections(conn: &mut DbConnection, tenant: &Tenant, word: &str) -> QueryResult<Vec<String>> {
    let length = word.chars().count();
    if !(TYPO_MIN_LETTERS..=LONGEST_WORD).contains(&length) || !word.chars().all(char::is_alphabetic) {
        return Ok(Vec::new());
    }
    let found: Vec<String> = order_search_words::table
        .filter(order_search_words::organization_id.eq(tenant.organization_id()))
        .filter(order_search_words::variant.eq_any(variants(word)))
        .select(order_search_words::word)
        .distinct()
        .limit(64)
        .load(conn)?;
    Ok(found
        .into_iter()
        .filter(|candidate| candidate != word && within_one_edit(candidate, word))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("Chloé Müller GARCÍA"), "chloe muller garcia");
    }

    #[test]
    fn name_words_are_the_folded_words_of_four_letters_or_more() {
        let words: Vec<String> = name_words("Jan van der Merwe-Müller O'Brien").into_iter().collect();
        assert_eq!(words, ["brien", "merwe", "muller"]);
    }

    #[test]
    fn one_edit_of_any_kind_is_within_reach_and_two_are_not() {
        for (typo, name) in [
            ("jansn", "jansen"),
            ("jamsen", "jansen"),
            ("janssen", "jansen"),
            ("jnasen", "jansen"),
            ("ansen", "jansen"),
        ] {
            assert!(within_one_edit(typo, name), "{typo} ~ {name}");
        }
        for (typo, name) in [("jnasn", "jansen"), ("jsnaen", "jansen"), ("jan", "jansen")] {
            assert!(!within_one_edit(typo, name), "{typo} !~ {name}");
        }
    }

    #[test]
    fn a_word_and_a_one_edit_typo_share_a_variant() {
        for typo in ["jansn", "jamsen", "janssen", "jnasen"] {
            assert!(!variants(typo).is_disjoint(&variants("jansen")), "{typo}");
        }
    }
}
