//! The team forms, parsed into domain values: a name, an e-mail address, a role and the
//! events (the `event` field, repeated) of a supervisor or steward.

use crate::auth::Role;
use crate::error::AppError;
use crate::forms::printable;

/// A form's fields in the order sent (the `event` field comes once per event).
pub type Fields = Vec<(String, String)>;

const MAX_NAME_CHARS: usize = 100;
/// Most events one form may assign: far more than any one person runs, and few enough
/// that a form cannot make the server check thousands (the body limit alone allows
/// tens of thousands).
pub const MAX_ASSIGNED_EVENTS: usize = 200;
const MAX_EMAIL_CHARS: usize = 254;

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim())
}

/// The role and events a user is given; events only for roles that do not see every
/// event.
pub struct Assignment {
    pub role: Role,
    pub events: Vec<i64>,
}

pub fn assignment(fields: &Fields) -> Result<Assignment, AppError> {
    let raw = field(fields, "role").unwrap_or_default();
    let role = Role::parse(raw)
        .ok_or_else(|| AppError::bad_request("Choose a role: owner, finance, supervisor or steward."))?;
    let given = fields.iter().filter(|(k, v)| k == "event" && !v.trim().is_empty());
    if given.clone().count() > MAX_ASSIGNED_EVENTS {
        return Err(AppError::bad_request(format!(
            "At most {MAX_ASSIGNED_EVENTS} events can be assigned to one user."
        )));
    }
    let mut events = given
        .map(|(_, v)| v.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::bad_request("An event must be given by its number."))?;
    events.sort_unstable();
    events.dedup();
    Ok(Assignment {
        role,
        events: if role.sees_every_event() { Vec::new() } else { events },
    })
}

/// Who a new user is.
pub struct NewMember {
    pub name: String,
    pub email: String,
    pub assignment: Assignment,
}

pub fn new_member(fields: &Fields) -> Result<NewMember, AppError> {
    let name = printable(field(fields, "name").unwrap_or_default(), "The name")?;
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::bad_request(format!(
            "A name of 1 to {MAX_NAME_CHARS} characters."
        )));
    }
    let email = printable(field(fields, "email").unwrap_or_default(), "The e-mail address")?.to_lowercase();
    let plausible = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !plausible || email.chars().count() > MAX_EMAIL_CHARS || email.contains(char::is_whitespace) {
        return Err(AppError::bad_request(
            "Give an e-mail address such as name@example.com.",
        ));
    }
    Ok(NewMember {
        name: name.to_owned(),
        email,
        assignment: assignment(fields)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_steward_keeps_their_events_and_an_owner_has_none() {
        let steward = assignment(&fields(&[("role", "steward"), ("event", "3"), ("event", "4")])).unwrap();
        assert_eq!((steward.role, steward.events), (Role::Steward, vec![3, 4]));
        let owner = assignment(&fields(&[("role", "owner"), ("event", "3")])).unwrap();
        assert!(owner.events.is_empty());
    }

    #[test]
    fn bad_fields_are_refused_with_a_reason() {
        assert!(assignment(&fields(&[("role", "admin")])).is_err());
        assert!(assignment(&fields(&[("role", "steward"), ("event", "x")])).is_err());
        let many: Vec<(&str, String)> = (0..=MAX_ASSIGNED_EVENTS).map(|i| ("event", i.to_string())).collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut with_role = vec![("role", "steward")];
        with_role.extend(many);
        assert!(assignment(&fields(&with_role)).is_err(), "too many events");
        for (name, email) in [
            ("", "a@b.test"),
            ("Ann", "nope"),
            ("Ann", "a b@c.test"),
            ("A\u{7}", "a@b.test"),
        ] {
            let given = fields(&[("name", name), ("email", email), ("role", "owner")]);
            assert!(new_member(&given).is_err(), "{name:?} {email:?}");
        }
    }
}
