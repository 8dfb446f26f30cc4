//! What the walk asks and how it reads the answers: a row's URL for a target, whether
//! an answer is a live stream, what an error page says, and the comparison of another
//! organisation's ids with missing ones.

use voelgoed::paths;

use super::table::{Row, Scope, Target};
use super::walk::Cell;
use super::world::Ids;

/// What a `GET` answered, kept to compare another organisation's id with a missing one.
pub struct Seen {
    pub cell: Cell,
    pub status: u16,
    pub body: Option<String>,
}

/// What an error page says (its `<main>`, or the start of the body), for the report.
pub fn message_of(body: &str) -> String {
    let text = crate::helpers::text_of(body, "main").unwrap_or_else(|| body.to_owned());
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(160)
        .collect()
}

pub fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// The concrete URL of `row` for the target's ids.
pub fn url(row: &Row, ids: &Ids) -> String {
    let id = match row.scope {
        Scope::Order | Scope::EventFilter => ids.order,
        Scope::ResendJob | Scope::HeldJob => ids.resend_job,
        Scope::ExportJob => ids.export_job,
        Scope::Member => ids.member,
        Scope::Webhook => ids.webhook,
        _ => ids.event,
    };
    let path = row
        .pattern
        .replace("{file}", "app.css")
        .replace("{link}", &ids.link.to_string())
        .replace("{alert}", &ids.alert.to_string())
        .replace("{device}", &ids.device.to_string())
        .replace("{zone}", &ids.zone.to_string())
        .replace("{gate}", &ids.gate.to_string())
        .replace(
            "{token}",
            match row.scope {
                Scope::Pairing => &ids.pairing,
                _ => &ids.token,
            },
        )
        .replace("{id}", &id.to_string());
    let query = match (row.scope, row.method) {
        (Scope::EventFilter, "GET") => format!("event={}", ids.event),
        _ => row.query.to_owned(),
    };
    paths::with_query(&path, &query)
}

/// Another organisation's id must answer exactly as an id nothing has, body and all.
pub fn unlike_a_missing_id(seen: &[Seen]) -> Vec<String> {
    let mut wrong = Vec::new();
    for other in seen
        .iter()
        .filter(|s| s.cell.target == Target::OtherOrg && s.status == 404)
    {
        let missing = seen.iter().find(|s| {
            s.cell.target == Target::Missing
                && s.cell.asker == other.cell.asker
                && s.cell.row.pattern == other.cell.row.pattern
        });
        if let Some(missing) = missing.filter(|m| m.status != 404 || m.body != other.body) {
            wrong.push(format!(
                "{}: another organisation's id answers unlike a missing one ({})",
                other.cell.name(),
                missing.status
            ));
        }
    }
    wrong
}
