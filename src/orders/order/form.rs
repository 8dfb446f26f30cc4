//! The refund form as it arrives (`GET` for the confirmation step, `POST` for the
//! refund), parsed into a `RefundScope` and a `RefundRequest` with its reason and note;
//! bad fields are a 400.

use super::refunds::{RefundRequest, RefundScope, MAX_KEY_CHARS};
use super::void::VoidRequest;
use crate::error::AppError;
use crate::orders::model::{RefundReason, MAX_NOTE_CHARS};

/// Form fields as pairs: checkboxes repeat `ticket`.
pub type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Most tickets one refund form may name: an order larger than this is refunded whole.
pub const MAX_TICKETS_CHOSEN: usize = 500;

/// `scope=all`, or `scope=tickets` with one `ticket=ID` per chosen ticket.
pub fn refund_scope(fields: &Fields) -> Result<RefundScope, AppError> {
    match field(fields, "scope") {
        Some("all") => Ok(RefundScope::WholeOrder),
        Some("tickets") | None => {
            let chosen = fields.iter().filter(|(k, _)| k == "ticket");
            if chosen.clone().count() > MAX_TICKETS_CHOSEN {
                return Err(AppError::bad_request(format!(
                    "Choose at most {MAX_TICKETS_CHOSEN} tickets, or refund the whole order."
                )));
            }
            chosen
                .map(|(_, v)| v.trim().parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map(RefundScope::Tickets)
                .map_err(|_| AppError::bad_request("ticket must be a ticket id"))
        }
        Some(_) => Err(AppError::bad_request("scope must be all or tickets")),
    }
}

/// The confirmed refund `user_id` asks for.
pub fn refund_request(fields: &Fields, user_id: i64, order_id: i64) -> Result<RefundRequest, AppError> {
    Ok(RefundRequest {
        user_id,
        order_id,
        scope: refund_scope(fields)?,
        idempotency_key: idempotency_key(fields)?,
        shown_amount: shown_amount(fields)?,
        reason: reason(fields)?,
        note: note(fields)?,
    })
}

/// The confirmed void `user_id` asks for.
pub fn void_request(fields: &Fields, user_id: i64, order_id: i64) -> Result<VoidRequest, AppError> {
    Ok(VoidRequest {
        user_id,
        order_id,
        reason: reason(fields)?,
        note: note(fields)?,
    })
}

/// `reason`: one of `RefundReason::ALL`, required.
pub fn reason(fields: &Fields) -> Result<RefundReason, AppError> {
    match field(fields, "reason").map(str::trim).filter(|v| !v.is_empty()) {
        None => Err(AppError::bad_request("Choose a reason.")),
        Some(raw) => RefundReason::parse(raw).ok_or_else(|| {
            let known: Vec<&str> = RefundReason::ALL.iter().map(RefundReason::as_str).collect();
            AppError::bad_request(format!("reason must be one of {}", known.join(", ")))
        }),
    }
}

/// `note`: optional, trimmed, at most `MAX_NOTE_CHARS` characters; empty is none. Line
/// breaks are kept (as `\n`), other control characters refused (PostgreSQL refuses NUL).
pub fn note(fields: &Fields) -> Result<Option<String>, AppError> {
    let note = field(fields, "note").unwrap_or_default().replace("\r\n", "\n");
    let note = note.trim();
    if note.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::bad_request("note must not contain control characters"));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::bad_request(format!(
            "The note is too long: at most {MAX_NOTE_CHARS} characters."
        )));
    }
    Ok(Some(note.to_owned()).filter(|n| !n.is_empty()))
}

fn idempotency_key(form: &Fields) -> Result<String, AppError> {
    match field(form, "idempotency_key").map(str::trim) {
        Some(key) if !key.is_empty() && key.chars().count() <= MAX_KEY_CHARS => Ok(key.to_owned()),
        _ => Err(AppError::bad_request(
            "The refund form has no valid idempotency key: open the confirmation step again.",
        )),
    }
}

fn shown_amount(form: &Fields) -> Result<Option<i64>, AppError> {
    let Some(raw) = field(form, "amount").map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(amount) if amount > 0 => Ok(Some(amount)),
        Ok(_) => Err(AppError::bad_request("A refund must be of more than zero.")),
        Err(_) => Err(AppError::bad_request(
            "amount must be a whole number of minor units (cents)",
        )),
    }
}
