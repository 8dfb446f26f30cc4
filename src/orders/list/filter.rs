//! The order list's filter and page cursor: parsed from the query string into domain
//! values ("parse, don't validate"), so queries only ever see checked input.

use chrono_tz::Tz;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::db::Tenant;
use crate::error::AppError;
use crate::forms::{self, parse_day, start_of_day};
use crate::orders::codes::{CODE_ALPHABET, ORDER_CODE_PREFIX, TICKET_CODE_CHARS};
use crate::orders::model::OrderStatus;

/// Longest free-text query: codes, e-mail addresses and names are all far shorter.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Free text as the search reads it: words for the buyer's name and e-mail (the text
/// index), an order-code prefix and a ticket code. Short text (no word of 3 characters)
/// is matched as a prefix of the name, the e-mail or the code, as each column stores it
/// (e-mail addresses and, through an expression index, names lower-case, codes upper).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchText {
    pub lower: String,
    /// The words as typed, lower-cased (the indexes fold accents themselves).
    pub words: Vec<String>,
    /// The order-code prefix the text stands for: `VG-7FZ` as typed, or `7FZ` read as
    /// `VG-7FZ` (spaces and dashes as printed are ignored); None for `V`, `VG` or `VG-`,
    /// which every code starts with, or for text no code can hold.
    pub code: Option<String>,
    /// The ticket code the text is, exactly (upper-cased, without spaces and dashes).
    pub ticket_code: Option<String>,
    /// For a user who sees addresses masked: the text matches a buyer's e-mail only when
    /// it is the whole address, and otherwise only the name (or a code), so that typing
    /// parts of addresses cannot tell what they hold.
    pub whole_addresses_only: bool,
}

/// Shortest word the text index matches (one trigram).
pub const INDEXED_WORD_CHARS: usize = 3;

impl SearchText {
    pub fn new(text: &str) -> Self {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect();
        let bare = ORDER_CODE_PREFIX.replace('-', "");
        let code = match compact.strip_prefix(&bare) {
            _ if bare.starts_with(&compact) => None,
            Some(rest) if is_code_text(rest) => Some(format!("{ORDER_CODE_PREFIX}{rest}")),
            _ if is_code_text(&compact) => Some(format!("{ORDER_CODE_PREFIX}{compact}")),
            _ => None,
        };
        let ticket_code = (compact.chars().count() == TICKET_CODE_CHARS && is_code_text(&compact)).then_some(compact);
        let lower = text.to_lowercase();
        Self {
            words: lower.split_whitespace().map(str::to_owned).collect(),
            lower,
            code,
            ticket_code,
            whole_addresses_only: false,
        }
    }

    /// True when the text index serves the text: some word has 3 characters or more.
    pub fn indexed(&self) -> bool {
        self.words.iter().any(|w| w.chars().count() >= INDEXED_WORD_CHARS)
    }

    /// The exclusive upper end of a prefix range: every string starting with `prefix`
    /// sorts below `prefix` followed by the highest code point.
    pub fn range_end(prefix: &str) -> String {
        format!("{prefix}\u{10FFFF}")
    }
}

/// True for text made only of code characters (Crockford base32, as codes are printed).
fn is_code_text(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

/// Which orders the list shows. Dates are already instants (unix ms) in the
/// organisation's timezone: `created_from` inclusive, `created_before` exclusive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub text: Option<SearchText>,
    pub status: Option<OrderStatus>,
    pub event_id: Option<i64>,
    pub created_from: Option<i64>,
    pub created_before: Option<i64>,
}

/// Where a page starts: just after this (created_at, id) in newest-first order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: i64,
}

impl Cursor {
    /// `created_at.id.check`: the check catches an edited or truncated cursor. It is not
    /// a secret: a cursor grants nothing, it only says where a page of the tenant's own
    /// orders starts.
    pub fn encode(&self, tenant: &Tenant) -> String {
        format!(
            "{}.{}.{}",
            self.created_at,
            self.id,
            Self::check(tenant, self.created_at, self.id)
        )
    }

    pub fn decode(raw: &str, tenant: &Tenant) -> Result<Self, AppError> {
        let invalid =
            || AppError::bad_request("The page cursor (after=) is not valid: start again from the first page.");
        let mut parts = raw.split('.');
        let (Some(created_at), Some(id), Some(check), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let created_at: i64 = created_at.parse().map_err(|_| invalid())?;
        let id: i64 = id.parse().map_err(|_| invalid())?;
        if check != Self::check(tenant, created_at, id) {
            return Err(invalid());
        }
        Ok(Self { created_at, id })
    }

    fn check(tenant: &Tenant, created_at: i64, id: i64) -> String {
        let digest = Sha256::digest(format!(
            "voelgoed-orders:{}:{created_at}:{id}",
            tenant.organization_id()
        ));
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }
}

/// The list's query string as the form sends it: empty fields mean "all".
#[derive(Deserialize, Default, Clone, Debug)]
pub struct FilterQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub event: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub after: Option<String>,
    /// Set for users who see addresses masked (never from the query string).
    #[serde(skip)]
    pub whole_addresses_only: bool,
}

impl FilterQuery {
    /// The filter, with dates read as days in `tz` (the organisation's).
    pub fn filter(&self, tz: &Tz) -> Result<OrderFilter, AppError> {
        let text = match forms::given(self.q.as_deref()) {
            Some(q) if q.chars().count() > MAX_SEARCH_CHARS => {
                return Err(AppError::bad_request(format!(
                    "The search text is longer than {MAX_SEARCH_CHARS} characters."
                )))
            }
            Some(q) => Some(SearchText {
                whole_addresses_only: self.whole_addresses_only,
                ..SearchText::new(forms::printable(q, "The search text")?)
            }),
            None => None,
        };
        let status = forms::given(self.status.as_deref())
            .map(|raw| {
                OrderStatus::parse(raw).ok_or_else(|| {
                    AppError::bad_request("status must be pending, paid, partially_refunded, refunded or cancelled")
                })
            })
            .transpose()?;
        let from = parse_day(self.from.as_deref(), "from")?;
        let to = parse_day(self.to.as_deref(), "to")?;
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(AppError::bad_request("The from date is after the to date."));
            }
        }
        Ok(OrderFilter {
            text,
            status,
            event_id: forms::optional_id(self.event.as_deref(), "event")?,
            created_from: from.map(|day| start_of_day(day, tz)).transpose()?,
            created_before: to
                .and_then(|day| day.succ_opt())
                .map(|day| start_of_day(day, tz))
                .transpose()?,
        })
    }

    pub fn cursor(&self, tenant: &Tenant) -> Result<Option<Cursor>, AppError> {
        forms::given(self.after.as_deref())
            .map(|raw| Cursor::decode(raw, tenant))
            .transpose()
    }

    /// The filter fields as a query string (without the cursor), for links and streams.
    pub fn filter_query_string(&self) -> String {
        let fields = [
            ("q", &self.q),
            ("status", &self.status),
            ("event", &self.event),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let given: Vec<(&str, &str)> = fields
            .iter()
            .filter_map(|(name, value)| forms::given(value.as_deref()).map(|v| (*name, v)))
            .collect();
        serde_urlencoded::to_string(given).unwrap_or_default()
    }

    /// The query string of the page after `cursor` with the same filter.
    pub fn next_page_query_string(&self, tenant: &Tenant, cursor: Cursor) -> String {
        let filter = self.filter_query_string();
        let after = serde_urlencoded::to_string([("after", cursor.encode(tenant))]).unwrap_or_default();
        if filter.is_empty() {
            after
        } else {
            format!("{filter}&{after}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: &str, to: &str) -> FilterQuery {
        FilterQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            ..FilterQuery::default()
        }
    }

    #[test]
    fn dates_are_whole_days_in_the_organisations_timezone() {
        let filter = query("2026-11-25", "2026-11-25")
            .filter(&chrono_tz::Europe::Amsterdam)
            .expect("valid dates");
        // Midnight in Amsterdam (UTC+1 in November) is 23:00 UTC the day before.
        assert_eq!(filter.created_from, Some(1_795_561_200_000));
        assert_eq!(filter.created_before, Some(1_795_561_200_000 + 86_400_000));
    }

    #[test]
    fn a_code_is_found_with_or_without_its_prefix_and_the_bare_prefix_matches_no_code() {
        assert_eq!(SearchText::new("vg-7fz").code.as_deref(), Some("VG-7FZ"));
        assert_eq!(SearchText::new("7fz").code.as_deref(), Some("VG-7FZ"));
        assert_eq!(SearchText::new("vg").code, None);
        assert_eq!(SearchText::new("VG-").code, None);
        assert_eq!(SearchText::new("Anna").lower, "anna");
        assert_eq!(SearchText::new("vg-7fz 2").code.as_deref(), Some("VG-7FZ2"));
        assert_eq!(SearchText::new("o'brien").code, None);
    }

    #[test]
    fn a_ticket_code_is_read_in_any_case_with_the_spaces_and_dashes_it_is_printed_with() {
        let code = "ABCD1234EFGH5678JKMN";
        for typed in [
            "abcd1234efgh5678jkmn",
            "ABCD-1234-EFGH-5678-JKMN",
            " abcd 1234 efgh 5678 jkmn ",
        ] {
            assert_eq!(SearchText::new(typed).ticket_code.as_deref(), Some(code), "{typed}");
        }
        assert_eq!(SearchText::new("ABCD1234EFGH5678JKM").ticket_code, None);
        assert_eq!(SearchText::new("Jan Jansen").words, ["jan", "jansen"]);
    }

    #[test]
    fn reversed_or_malformed_dates_are_refused() {
        assert!(query("2026-11-26", "2026-11-25").filter(&Tz::UTC).is_err());
        assert!(query("25/11/2026", "").filter(&Tz::UTC).is_err());
    }

    #[test]
    fn a_cursor_survives_a_round_trip_and_an_edit_is_caught() {
        let tenant = Tenant::authenticated(7);
        let cursor = Cursor {
            created_at: 1_700_000_000_000,
            id: 42,
        };
        let raw = cursor.encode(&tenant);
        assert_eq!(Cursor::decode(&raw, &tenant).expect("intact cursor"), cursor);
        assert!(Cursor::decode(&raw.replace(".42.", ".41."), &tenant).is_err());
        assert!(Cursor::decode(&raw, &Tenant::authenticated(8)).is_err());
        assert!(Cursor::decode("garbage", &tenant).is_err());
    }
}
