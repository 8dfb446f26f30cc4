//! The audit log: one entry for every organiser action that changes something or signs
//! in (sign-ins, failed sign-ins, sign-outs, refunds, voids, resends, kiosk links, devices,
//! webhook endpoints, entry policies, gate alerts acknowledged, team changes, two-factor
//! sign-in),
//! written in the same transaction as the action where there is one. Owners read it at
//! `GET /audit`, filtered by action, user and date, only ever their own organisation's.

mod filter;
pub mod handlers;
mod queries;
mod views;

pub use queries::{count_by_user_since, record, Entry};

/// What was done, as stored in `audit_log.action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignOut,
    SignOutEverywhere,
    Refund,
    /// Tickets cancelled without a refund.
    Void,
    ResendConfirmation,
    KioskLinkCreated,
    KioskLinkRevoked,
    DeviceCreated,
    DeviceRevoked,
    /// A single-use link that pairs a phone as a gate device.
    PairingLinkCreated,
    WebhookCreated,
    WebhookDisabled,
    WebhookEnabled,
    WebhookDeleted,
    EntryPolicyChanged,
    AlertAcknowledged,
    UserAdded,
    /// A user's role or events changed.
    UserChanged,
    UserDeactivated,
    UserReactivated,
    PasswordSet,
    /// A bulk job stopped before its remaining orders.
    BulkJobCancelled,
    /// Two-factor sign-in turned on (the enrolment confirmed with a code).
    TwoFactorEnrolled,
    /// Turned off by the user, with a code.
    TwoFactorDisabled,
    /// Cleared from the command line (a lost phone); the user's sessions ended.
    TwoFactorReset,
    /// A recovery code signed in (or confirmed a change) in place of an app's code.
    RecoveryCodeUsed,
    /// A wrong or reused two-factor code.
    TwoFactorFailed,
    /// The organisation's "required for owners and finance" changed.
    TwoFactorPolicyChanged,
    /// A zone of an event added, or its capacity, full rule or ticket types changed.
    ZoneSaved,
    /// A gate made a passage between zones (or back to outside ↔ the event).
    GatePassageSet,
    /// What a scan assuming the wrong zone does, per event.
    ZoneMismatchChanged,
    /// A supervisor's headcount corrected a zone's count.
    HeadcountCorrected,
}

impl Action {
    pub const ALL: [Action; 34] = [
        Self::SignIn,
        Self::SignInFailed,
        Self::SignOut,
        Self::SignOutEverywhere,
        Self::Refund,
        Self::Void,
        Self::ResendConfirmation,
        Self::KioskLinkCreated,
        Self::KioskLinkRevoked,
        Self::DeviceCreated,
        Self::DeviceRevoked,
        Self::PairingLinkCreated,
        Self::WebhookCreated,
        Self::WebhookDisabled,
        Self::WebhookEnabled,
        Self::WebhookDeleted,
        Self::EntryPolicyChanged,
        Self::AlertAcknowledged,
        Self::UserAdded,
        Self::UserChanged,
        Self::UserDeactivated,
        Self::UserReactivated,
        Self::PasswordSet,
        Self::BulkJobCancelled,
        Self::TwoFactorEnrolled,
        Self::TwoFactorDisabled,
        Self::TwoFactorReset,
        Self::RecoveryCodeUsed,
        Self::TwoFactorFailed,
        Self::TwoFactorPolicyChanged,
        Self::ZoneSaved,
        Self::GatePassageSet,
        Self::ZoneMismatchChanged,
        Self::HeadcountCorrected,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::SignInFailed => "sign-in-failed",
            Self::SignOut => "sign-out",
            Self::SignOutEverywhere => "sign-out-everywhere",
            Self::Refund => "refund",
            Self::Void => "void",
            Self::ResendConfirmation => "resend-confirmation",
            Self::KioskLinkCreated => "kiosk-link-created",
            Self::KioskLinkRevoked => "kiosk-link-revoked",
            Self::DeviceCreated => "device-created",
            Self::DeviceRevoked => "device-revoked",
            Self::PairingLinkCreated => "pairing-link-created",
            Self::WebhookCreated => "webhook-created",
            Self::WebhookDisabled => "webhook-disabled",
            Self::WebhookEnabled => "webhook-enabled",
            Self::WebhookDeleted => "webhook-deleted",
            Self::EntryPolicyChanged => "entry-policy-changed",
            Self::AlertAcknowledged => "alert-acknowledged",
            Self::UserAdded => "user-added",
            Self::UserChanged => "user-changed",
            Self::UserDeactivated => "user-deactivated",
            Self::UserReactivated => "user-reactivated",
            Self::PasswordSet => "password-set",
            Self::BulkJobCancelled => "bulk-job-cancelled",
            Self::TwoFactorEnrolled => "two-factor-enrolled",
            Self::TwoFactorDisabled => "two-factor-disabled",
            Self::TwoFactorReset => "two-factor-reset",
            Self::RecoveryCodeUsed => "recovery-code-used",
            Self::TwoFactorFailed => "two-factor-failed",
            Self::TwoFactorPolicyChanged => "two-factor-policy-changed",
            Self::ZoneSaved => "zone-saved",
            Self::GatePassageSet => "gate-passage-set",
            Self::ZoneMismatchChanged => "zone-mismatch-changed",
            Self::HeadcountCorrected => "headcount-corrected",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::SignIn => "Signed in",
            Self::SignInFailed => "Failed sign-in",
            Self::SignOut => "Signed out",
            Self::SignOutEverywhere => "Signed out everywhere",
            Self::Refund => "Refund",
            Self::Void => "Cancelled without refund",
            Self::ResendConfirmation => "Resent confirmation",
            Self::KioskLinkCreated => "Kiosk link created",
            Self::KioskLinkRevoked => "Kiosk link revoked",
            Self::DeviceCreated => "Device created",
            Self::DeviceRevoked => "Device revoked",
            Self::PairingLinkCreated => "Pairing link created",
            Self::WebhookCreated => "Webhook endpoint added",
            Self::WebhookDisabled => "Webhook endpoint disabled",
            Self::WebhookEnabled => "Webhook endpoint enabled",
            Self::WebhookDeleted => "Webhook endpoint deleted",
            Self::EntryPolicyChanged => "Entry policy changed",
            Self::AlertAcknowledged => "Gate alert acknowledged",
            Self::UserAdded => "User added",
            Self::UserChanged => "Role or events changed",
            Self::UserDeactivated => "User deactivated",
            Self::UserReactivated => "User reactivated",
            Self::PasswordSet => "New password set",
            Self::BulkJobCancelled => "Bulk job cancelled",
            Self::TwoFactorEnrolled => "Two-factor sign-in turned on",
            Self::TwoFactorDisabled => "Two-factor sign-in turned off",
            Self::TwoFactorReset => "Two-factor sign-in reset",
            Self::RecoveryCodeUsed => "Recovery code used",
            Self::TwoFactorFailed => "Wrong two-factor code",
            Self::TwoFactorPolicyChanged => "Two-factor policy changed",
            Self::ZoneSaved => "Zone saved",
            Self::GatePassageSet => "Gate passage set",
            Self::ZoneMismatchChanged => "Zone mismatch rule changed",
            Self::HeadcountCorrected => "Headcount corrected",
        }
    }
}

/// What an entry is about, as stored in `subject_type` / `subject_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    User(i64),
    Order(i64),
    KioskLink(i64),
    Device(i64),
    Webhook(i64),
    Event(i64),
    GateAlert(i64),
    BulkJob(i64),
    Organization(i64),
}

impl Subject {
    /// How an order is named as a subject (`audit_log.subject_type`), for the queries
    /// that read an order's history.
    pub const ORDER_TYPE: &'static str = "order";

    fn parts(&self) -> (&'static str, i64) {
        match *self {
            Self::User(id) => ("user", id),
            Self::Order(id) => (Self::ORDER_TYPE, id),
            Self::KioskLink(id) => ("kiosk_link", id),
            Self::Device(id) => ("device", id),
            Self::Webhook(id) => ("webhook", id),
            Self::Event(id) => ("event", id),
            Self::GateAlert(id) => ("gate_alert", id),
            Self::BulkJob(id) => ("bulk_job", id),
            Self::Organization(id) => ("organization", id),
        }
    }
}
