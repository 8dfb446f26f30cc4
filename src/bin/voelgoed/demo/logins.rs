//! The demo's documented logins (README): an owner, finance, a supervisor and a steward
//! in "Demo Events" (the supervisor and the steward run the live event), and the owner
//! of "Other Org".

use voelgoed::auth::{hash_password, Role};
use voelgoed::db::{DbConnection, Tenant};
use voelgoed::provisioning;

pub const LOGINS: &[(&str, &str, &str)] = &[
    ("owner@demo.test", "demo-owner", "owner, Demo Events"),
    ("finance@demo.test", "demo-finance", "finance, Demo Events"),
    (
        "supervisor@demo.test",
        "demo-supervisor",
        "supervisor of the live event, Demo Events",
    ),
    (
        "steward@demo.test",
        "demo-steward",
        "steward of the live event, Demo Events",
    ),
    ("owner@other.test", "other-owner", "owner, Other Org"),
];

/// Demo Events with its logins: the organisation, its owner's id, and the user ids of
/// the door staff (supervisor, steward) who get the live event.
pub fn seed_logins(conn: &mut DbConnection) -> anyhow::Result<(Tenant, i64, Vec<i64>)> {
    let demo = provisioning::create_organization(conn, "Demo Events", "Europe/Amsterdam")?;
    let mut user = |email: &str, name: &str, password: &str, role: Role| -> anyhow::Result<i64> {
        Ok(provisioning::create_user_with_hash(
            conn,
            &demo,
            email,
            name,
            &hash_password(password)?,
            role,
        )?)
    };
    let owner = user("owner@demo.test", "Dana Owner", "demo-owner", Role::Owner)?;
    user("finance@demo.test", "Femke Finance", "demo-finance", Role::Finance)?;
    let supervisor = user(
        "supervisor@demo.test",
        "Sam Supervisor",
        "demo-supervisor",
        Role::Supervisor,
    )?;
    let steward = user("steward@demo.test", "Stijn Steward", "demo-steward", Role::Steward)?;
    Ok((demo, owner, vec![supervisor, steward]))
}

/// Gives the door staff an event (the live one).
pub fn assign_event(conn: &mut DbConnection, demo: &Tenant, staff: &[i64], event_id: i64) -> anyhow::Result<()> {
    for user in staff {
        anyhow::ensure!(
            provisioning::assign_events(conn, demo, *user, &[event_id])?,
            "event {event_id} is not one of Demo Events"
        );
    }
    Ok(())
}
