//! The tenant: the organisation a request acts for. Query functions that touch
//! organisation data take a `&Tenant`, so scoping is a type requirement, not a habit.

/// An organisation id that was proven by a session, a device token or a kiosk link.
/// Only the auth layer, provisioning and the tools acting for an organisation (the
/// `voelgoed` binary's seeds, simulator and benchmarks) construct it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tenant(i64);

impl Tenant {
    /// For code that has authenticated the caller as acting for `organization_id`.
    pub fn authenticated(organization_id: i64) -> Self {
        Self(organization_id)
    }

    pub fn organization_id(&self) -> i64 {
        self.0
    }
}
