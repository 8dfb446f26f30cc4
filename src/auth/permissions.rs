//! The permission matrix: what each role may do, in one table, and which events a
//! signed-in user sees. Every handler asks `CurrentUser::require(Permission::…)`;
//! event pages also ask `CurrentUser::require_event`. `docs/security.md` shows the same table.

use super::Role;

/// Something a handler lets a user do or see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// The events list (/events): every role, each seeing only their events.
    ViewOverview,
    /// An event's dashboard and its live stream (sales and revenue).
    ViewDashboard,
    /// The scan monitor and its live stream.
    WatchGates,
    /// An event's kiosk links: list, create and revoke them (a display itself is opened
    /// from its link, by anyone holding it).
    ManageKioskLinks,
    /// An event's gate devices: pair a phone as one (a single-use link), revoke one.
    ManageDevices,
    /// One ticket by its code, with its scan history.
    DoorLookup,
    /// The order list, an order's page, the live order rows.
    ViewOrders,
    /// Buyers' e-mail addresses (masked for everyone else).
    SeeEmails,
    /// Refunds and voids.
    RefundOrders,
    /// Resend an order's confirmation e-mail.
    ResendConfirmation,
    /// Bulk resends held only by a job's size: without it, a user's bulk resends count
    /// against the same per-user limit as their single ones (every event's buyers
    /// mailed at once is for the roles that see every event).
    ResendBeyondUserLimit,
    /// The CSV export and bulk jobs' CSVs: every ticket code of the orders.
    ExportOrders,
    /// The audit log.
    ViewAudit,
    /// Webhook endpoints.
    ManageWebhooks,
    /// The team page: users, roles, events, passwords.
    ManageTeam,
    /// An event's entry rules.
    SetEntryPolicy,
    /// Acknowledge a gate alert.
    AcknowledgeAlert,
    /// An event's zones, their capacities and the gates' passages between them.
    ManageZones,
    /// Enter a counted headcount for a zone, which corrects its count.
    CorrectHeadcount,
}

impl Permission {
    pub const ALL: [Permission; 19] = [
        Self::ViewOverview,
        Self::ViewDashboard,
        Self::WatchGates,
        Self::ManageKioskLinks,
        Self::ManageDevices,
        Self::DoorLookup,
        Self::ViewOrders,
        Self::SeeEmails,
        Self::RefundOrders,
        Self::ResendConfirmation,
        Self::ResendBeyondUserLimit,
        Self::ExportOrders,
        Self::ViewAudit,
        Self::ManageWebhooks,
        Self::ManageTeam,
        Self::SetEntryPolicy,
        Self::AcknowledgeAlert,
        Self::ManageZones,
        Self::CorrectHeadcount,
    ];

    /// Who may: owner, finance, supervisor, steward.
    const fn matrix(self) -> [bool; 4] {
        use Permission::*;
        match self {
            ViewOverview => [true, true, true, true],
            ViewDashboard => [true, true, true, false],
            WatchGates => [true, false, true, true],
            ManageKioskLinks => [true, false, true, false],
            ManageDevices => [true, false, true, false],
            DoorLookup => [true, false, true, true],
            ViewOrders => [true, true, true, false],
            SeeEmails => [true, true, false, false],
            RefundOrders => [true, true, false, false],
            ResendConfirmation => [true, true, true, false],
            ResendBeyondUserLimit => [true, true, false, false],
            ExportOrders => [true, true, false, false],
            ViewAudit => [true, false, false, false],
            ManageWebhooks => [true, false, false, false],
            ManageTeam => [true, false, false, false],
            SetEntryPolicy => [true, false, false, false],
            AcknowledgeAlert => [true, false, true, false],
            ManageZones => [true, false, false, false],
            CorrectHeadcount => [true, false, true, false],
        }
    }

    /// What a refusal says.
    pub fn refusal(self) -> &'static str {
        match self {
            Self::ManageTeam | Self::ManageWebhooks | Self::ViewAudit | Self::SetEntryPolicy | Self::ManageZones => {
                "Only an organisation owner can do this."
            }
            Self::SeeEmails | Self::RefundOrders | Self::ExportOrders => "Only an owner or finance can do this.",
            _ => "Your role does not allow this.",
        }
    }
}

impl Role {
    /// The matrix: whether this role may do `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        let column = match self {
            Role::Owner => 0,
            Role::Finance => 1,
            Role::Supervisor => 2,
            Role::Steward => 3,
        };
        permission.matrix()[column]
    }
}

/// The events a user sees: every event of the organisation (owner, finance) or the ones
/// assigned to them (supervisor, steward), loaded with the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventScope {
    Every,
    Assigned(Vec<i64>),
}

impl EventScope {
    pub fn for_role(role: Role, assigned: Vec<i64>) -> Self {
        match role.sees_every_event() {
            true => Self::Every,
            false => Self::Assigned(assigned),
        }
    }

    pub fn includes(&self, event_id: i64) -> bool {
        match self {
            Self::Every => true,
            Self::Assigned(events) => events.contains(&event_id),
        }
    }

    /// The assigned events, None when every event is seen.
    pub fn assigned(&self) -> Option<&[i64]> {
        match self {
            Self::Every => None,
            Self::Assigned(events) => Some(events),
        }
    }
}

/// An e-mail address as a role without `SeeEmails` sees it: the first letter and the
/// domain (`j•••@example.com`), enough to tell two buyers apart, not to write to one.
pub fn masked_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

/// Text (an audit line, a mail server's error) with every e-mail address in it masked
/// as `masked_email` masks one.
pub fn masked_addresses_in(text: &str) -> String {
    let local = |c: char| c.is_alphanumeric() || "._%+-'".contains(c);
    let domain = |c: char| c.is_alphanumeric() || ".-".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let start = rest[..at].rfind(|c: char| !local(c)).map_or(0, |i| i + 1);
        let end = at + 1 + rest[at + 1..].find(|c: char| !domain(c)).unwrap_or(rest.len() - at - 1);
        let address = rest[start..end].trim_end_matches('.');
        out.push_str(&rest[..start]);
        match start < at && address.len() > at - start + 1 {
            true => out.push_str(&masked_email(address)),
            false => out.push_str(address),
        }
        rest = &rest[start + address.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_text_are_masked_and_the_rest_kept() {
        assert_eq!(
            masked_addresses_in("confirmation e-mail queued to vera.okafor116@example.test (again)."),
            "confirmation e-mail queued to v•••@example.test (again)."
        );
        assert_eq!(
            masked_addresses_in("550 5.1.1 <jan@x.nl>: unknown, cc ann@y.org"),
            "550 5.1.1 <j•••@x.nl>: unknown, cc a•••@y.org"
        );
        assert_eq!(
            masked_addresses_in("no address @ all, a@ or @b"),
            "no address @ all, a@ or @b"
        );
        assert_eq!(masked_addresses_in("ünï@ex.test"), "ü•••@ex.test");
    }

    #[test]
    fn a_masked_address_keeps_its_first_letter_and_domain() {
        assert_eq!(masked_email("jane.doe@example.com"), "j•••@example.com");
        assert_eq!(masked_email("nonsense"), "•••");
    }

    #[test]
    fn owners_may_everything_and_stewards_nothing_with_money() {
        for permission in Permission::ALL {
            assert!(Role::Owner.may(permission), "{permission:?}");
        }
        for money in [
            Permission::ViewDashboard,
            Permission::ViewOrders,
            Permission::RefundOrders,
            Permission::ExportOrders,
        ] {
            assert!(!Role::Steward.may(money), "{money:?}");
        }
    }

    #[test]
    fn finance_has_no_devices_and_supervisors_no_emails_exports_or_refunds() {
        for door in [Permission::ManageKioskLinks, Permission::WatchGates] {
            assert!(!Role::Finance.may(door), "{door:?}");
        }
        for refused in [
            Permission::SeeEmails,
            Permission::ExportOrders,
            Permission::RefundOrders,
            Permission::ResendBeyondUserLimit,
        ] {
            assert!(!Role::Supervisor.may(refused), "{refused:?}");
        }
        assert!(Role::Supervisor.may(Permission::DoorLookup));
        assert!(Role::Steward.may(Permission::DoorLookup));
    }

    #[test]
    fn supervisors_and_stewards_see_only_their_events() {
        let scope = EventScope::for_role(Role::Steward, vec![3]);
        assert!(scope.includes(3) && !scope.includes(4));
        assert!(EventScope::for_role(Role::Finance, vec![]).includes(4));
    }
}
