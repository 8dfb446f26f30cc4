//! What the team page changes, each in one write transaction with its audit entry: add a
//! user, change a role or events, deactivate, reactivate, set a password. A refusal
//! (the last active owner, an address in use, an event not the organisation's) rolls
//! back and says why.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use rand::Rng;

use super::form::{Assignment, NewMember};
use crate::audit::{self, Action, Entry, Subject};
use crate::auth::users::{self, Member};
use crate::auth::{queries, Role};
use crate::db::{self, DbConnection, Tenant};
use crate::error::AppError;

/// Who acts on whom.
#[derive(Clone, Copy)]
pub struct Acting {
    pub tenant: Tenant,
    pub owner_id: i64,
}

/// A password for a person to type once and change: 16 characters of Crockford base32
/// (80 bits), in groups of four.
pub fn new_password() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..16).map(|_| ALPHABET[rng.random_range(0..32)] as char).collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Runs `work` in a write transaction; an `Err` it returns rolls everything back.
fn refusable<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<Result<T, AppError>, DieselError>,
) -> Result<T, AppError> {
    let mut refused = None;
    let done = db::write_transaction(conn, |conn| match work(conn)? {
        Ok(value) => Ok(value),
        Err(refusal) => {
            refused = Some(refusal);
            Err(DieselError::RollbackTransaction)
        }
    });
    match (done, refused) {
        (_, Some(refusal)) => Err(refusal),
        (done, None) => Ok(done?),
    }
}

fn audit(
    conn: &mut DbConnection,
    acting: Acting,
    action: Action,
    user_id: i64,
    details: &str,
) -> Result<(), DieselError> {
    let entry = Entry {
        action,
        user_id: Some(acting.owner_id),
        subject: Subject::User(user_id),
        details,
    };
    audit::record(conn, &acting.tenant, &entry, db::now_ms())
}

fn describe(assignment: &Assignment) -> String {
    match assignment.events.as_slice() {
        [] => assignment.role.as_str().to_owned(),
        events => format!("{}, events {events:?}", assignment.role.as_str()),
    }
}

const UNKNOWN_EVENT: &str = "An event chosen is not one of the organisation's.";
/// An address is how a person signs in, so it belongs to one user of one organisation.
/// Whose it is stays unsaid: the same words for a user of this organisation and of
/// another, so the form cannot be used to find out who has an account elsewhere.
const ADDRESS_UNUSABLE: &str = "This e-mail address cannot be used for a new user: ask them for another one.";
const LAST_OWNER: &str = "The organisation needs an active owner: make someone else owner first.";

/// A new user of the organisation: their id.
pub fn add(conn: &mut DbConnection, acting: Acting, new: &NewMember, password_hash: &str) -> Result<i64, AppError> {
    refusable(conn, |conn| {
        if queries::email_in_use(conn, &new.email)? {
            return Ok(Err(AppError::Conflict(ADDRESS_UNUSABLE.into())));
        }
        let role = new.assignment.role.as_str();
        let id = match users::insert_user(conn, &acting.tenant, &new.email, &new.name, password_hash, role) {
            // Taken in between, by a request of this organisation or another.
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Ok(Err(AppError::Conflict(ADDRESS_UNUSABLE.into())))
            }
            inserted => inserted?,
        };
        if !users::set_user_events(conn, &acting.tenant, id, &new.assignment.events)? {
            return Ok(Err(AppError::bad_request(UNKNOWN_EVENT)));
        }
        audit(conn, acting, Action::UserAdded, id, &describe(&new.assignment))?;
        Ok(Ok(id))
    })
}

/// Whether `member` is the last active owner, whom nothing may demote or deactivate.
fn is_last_owner(conn: &mut DbConnection, tenant: &Tenant, member: &Member) -> Result<bool, DieselError> {
    Ok(member.role == Role::Owner && member.is_active() && users::active_owners(conn, tenant)? <= 1)
}

/// A new role and events for a user of the organisation.
pub fn change(conn: &mut DbConnection, acting: Acting, user_id: i64, to: &Assignment) -> Result<(), AppError> {
    refusable(conn, |conn| {
        let member = users::find_member(conn, &acting.tenant, user_id)?;
        if to.role != Role::Owner && is_last_owner(conn, &acting.tenant, &member)? {
            return Ok(Err(AppError::Conflict(LAST_OWNER.into())));
        }
        users::set_role(conn, &acting.tenant, user_id, to.role)?;
        if !users::set_user_events(conn, &acting.tenant, user_id, &to.events)? {
            return Ok(Err(AppError::bad_request(UNKNOWN_EVENT)));
        }
        let details = format!("{} → {}", member.role.as_str(), describe(to));
        audit(conn, acting, Action::UserChanged, user_id, &details)?;
        Ok(Ok(()))
    })
}

/// Deactivates the user and deletes their sessions (the caller tells their streams).
pub fn deactivate(conn: &mut DbConnection, acting: Acting, user_id: i64) -> Result<(), AppError> {
    refusable(conn, |conn| {
        let member = users::find_member(conn, &acting.tenant, user_id)?;
        if is_last_owner(conn, &acting.tenant, &member)? {
            return Ok(Err(AppError::Conflict(LAST_OWNER.into())));
        }
        users::set_deactivated(conn, &acting.tenant, user_id, Some(db::now_ms()))?;
        let ended = queries::delete_user_sessions(conn, user_id)?;
        audit(
            conn,
            acting,
            Action::UserDeactivated,
            user_id,
            &format!("{ended} sessions ended"),
        )?;
        Ok(Ok(()))
    })
}

pub fn reactivate(conn: &mut DbConnection, acting: Acting, user_id: i64) -> Result<(), AppError> {
    refusable(conn, |conn| {
        users::find_member(conn, &acting.tenant, user_id)?;
        users::set_deactivated(conn, &acting.tenant, user_id, None)?;
        audit(conn, acting, Action::UserReactivated, user_id, "")?;
        Ok(Ok(()))
    })
}

/// A new password hash for the user; their sessions end (the caller tells their
/// streams). The user, for the page that shows the password.
pub fn set_password(conn: &mut DbConnection, acting: Acting, user_id: i64, hash: &str) -> Result<Member, AppError> {
    refusable(conn, |conn| {
        let member = users::find_member(conn, &acting.tenant, user_id)?;
        users::set_password_hash(conn, &acting.tenant, user_id, hash)?;
        let ended = queries::delete_user_sessions(conn, user_id)?;
        audit(
            conn,
            acting,
            Action::PasswordSet,
            user_id,
            &format!("{ended} sessions ended"),
        )?;
        Ok(Ok(member))
    })
}
