//! The matrix: each route of `src/routes.rs` once, with what it needs and what its ids
//! name. Adding a route is one line here. What each role gets on each target is not
//! written per cell: `expected` derives it from the library's own `Role::may` and the
//! scope rule of docs/security.md.

use voelgoed::auth::{Permission, Role};
use voelgoed::paths;

use Access::*;
use Permission::*;
use Scope::*;

/// What a route asks of the one asking.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A scanning device's bearer token; a session does not count.
    DeviceToken,
    /// A session waiting for its two-factor code; a full session does not count (the
    /// walk has none waiting: every asker is 401).
    PendingSignIn,
    /// A kiosk link's token in the path is the whole capability.
    KioskToken,
    /// A pairing link's token in the path is the whole capability (good once).
    PairingToken,
    /// Any signed-in user, on their own session or account.
    SignedIn,
    /// A signed-in user whose role has the permission (`Role::may`).
    Needs(Permission),
    /// An owner, or the maker of what the ids name, among those whose role has the
    /// permission (the walk's objects are the owner's).
    OwnerOrMaker(Permission),
}

/// What the route's ids (or its `event` filter) name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Nothing: the organisation's own list or form.
    Org,
    /// `?event=` (a `POST`: the bulk form's `scope=filter&event=`).
    EventFilter,
    /// `/events/{id}…`.
    Event,
    /// `/events/{id}/kiosk-links/{link}…`: a link of that event.
    KioskLink,
    /// `/events/{id}/alerts/{alert}…`: a gate alert of that event.
    Alert,
    /// `/kiosk/{token}…`.
    Token,
    /// `/events/{id}/devices/{device}…`: a device of that event.
    Device,
    /// `/events/{id}/zones/{zone}…`: a zone of that event.
    Zone,
    /// `/events/{id}/gates/{gate}…`: a gate of that event.
    Gate,
    /// `/pair/{token}`: a pairing link.
    Pairing,
    /// `/orders/{id}…`.
    Order,
    /// `/orders/jobs/{id}` and its stream: a (finished) resend job.
    ResendJob,
    /// A finished export job (its CSV).
    ExportJob,
    /// A resend job of the owner's that no runner has reached yet (one per cell).
    HeldJob,
    /// `/team/{id}…`: a user.
    Member,
    /// `/settings/webhooks/{id}…`.
    Webhook,
}

impl Scope {
    /// The path names the event, so the session's own events decide before anything
    /// is read (`CurrentUser::require_on_event`).
    pub fn names_event_in_path(self) -> bool {
        matches!(self, Event | KioskLink | Alert | Device | Zone | Gate)
    }

    /// The targets a route of this scope is walked on.
    pub fn targets(self) -> &'static [Target] {
        use Target::*;
        match self {
            Org => &[Own],
            // Users and webhook endpoints are the organisation's, of no event.
            Member | Webhook => &[Own, OtherOrg, Missing],
            KioskLink | Alert | Device | Zone | Gate => &[Own, OtherEvent, OtherOrg, Missing, Crossed],
            _ => &[Own, OtherEvent, OtherOrg, Missing],
        }
    }
}

/// Where the ids point, seen from organisation A's users (the supervisor and the
/// steward are assigned A's first event only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Of A's first event (or A itself).
    Own,
    /// Of another event of A's, not assigned to the supervisor and the steward.
    OtherEvent,
    /// Of organisation B.
    OtherOrg,
    /// An id nothing has: the answer another organisation's must be indistinguishable from.
    Missing,
    /// The own event's path with the other event's link or alert in it.
    Crossed,
}

/// Who asks: nobody, or the user of organisation A with this role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asker {
    Anonymous,
    Member(Role),
}

pub const ASKERS: [Asker; 5] = [
    Asker::Anonymous,
    Asker::Member(Role::Owner),
    Asker::Member(Role::Finance),
    Asker::Member(Role::Supervisor),
    Asker::Member(Role::Steward),
];

/// What a cell must answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 2xx or 3xx (a live stream: 200 and `text/event-stream`).
    Allowed,
    /// 401: no session (or, for the device API, no device token).
    Unauthenticated,
    /// 403: the role may not, whatever the id.
    Refused,
    /// 404: not there for this user, as a missing id.
    NotFound,
    /// A filter naming no event of the organisation's, asked by a role that sees every
    /// event: the list is empty (2xx), a bulk job has nothing to do (400).
    NothingMatches,
    /// 400: let through, then the walk's shared form is not what the route reads (a
    /// two-factor code the walk cannot know).
    BadForm,
}

#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub method: &'static str,
    pub pattern: &'static str,
    pub access: Access,
    pub scope: Scope,
    /// Query the request adds (a review page's own parameters).
    pub query: &'static str,
    /// What an asker the route lets through gets.
    pub allowed: Answer,
}

const fn get(pattern: &'static str, access: Access, scope: Scope) -> Row {
    Row {
        method: "GET",
        pattern,
        access,
        scope,
        query: "",
        allowed: Answer::Allowed,
    }
}

const fn post(pattern: &'static str, access: Access, scope: Scope) -> Row {
    Row {
        method: "POST",
        pattern,
        access,
        scope,
        query: "",
        allowed: Answer::Allowed,
    }
}

impl Row {
    const fn with_query(self, query: &'static str) -> Row {
        Row { query, ..self }
    }

    /// Those let through get a form refusal: what the route reads, the walk cannot send.
    const fn refusing_the_walks_form(self) -> Row {
        Row {
            allowed: Answer::BadForm,
            ..self
        }
    }

    pub fn is_stream(&self) -> bool {
        self.pattern.starts_with(paths::LIVE_STREAMS) || self.pattern == paths::KIOSK_STREAM
    }
}

/// Every route of the route table.
pub const MATRIX: &[Row] = &[
    get(paths::HOME, Public, Org),
    get(paths::HEALTHZ, Public, Org),
    get(paths::READYZ, Public, Org),
    // Open to loopback clients, which the tests are.
    get(paths::METRICS, Public, Org),
    get(paths::ASSET, Public, Org),
    get(paths::LOGIN, Public, Org),
    post(paths::LOGIN, Public, Org),
    post(paths::LOGOUT, SignedIn, Org),
    get(paths::LOGIN_CODE, PendingSignIn, Org),
    post(paths::LOGIN_CODE, PendingSignIn, Org),
    get(paths::TWO_FACTOR, SignedIn, Org),
    // Enrolling and turning off take a code from the user's app.
    post(paths::TWO_FACTOR, SignedIn, Org).refusing_the_walks_form(),
    post(paths::TWO_FACTOR_DISABLE, SignedIn, Org).refusing_the_walks_form(),
    get(paths::TEAM_TWO_FACTOR, Needs(ManageTeam), Org),
    post(paths::TEAM_TWO_FACTOR, Needs(ManageTeam), Org),
    post(paths::LOGOUT_EVERYWHERE, SignedIn, Org),
    get(paths::EVENTS, Needs(ViewOverview), Org),
    get(paths::EVENTS_OVERVIEW_STREAM, Needs(ViewOverview), Org),
    get(paths::EVENT_DASHBOARD, Needs(ViewDashboard), Event),
    get(paths::EVENT_DASHBOARD_STREAM, Needs(ViewDashboard), Event),
    get(paths::SCAN_MONITOR, Needs(WatchGates), Event),
    get(paths::SCAN_MONITOR_STREAM, Needs(WatchGates), Event),
    post(paths::ENTRY_POLICY, Needs(SetEntryPolicy), Event),
    post(paths::ALERT_ACKNOWLEDGE, Needs(AcknowledgeAlert), Alert),
    get(paths::DOOR_LOOKUP, Needs(DoorLookup), Event),
    get(paths::ZONES, Needs(WatchGates), Event),
    // The walk's form names no zone, no number, no rule; and no passage, which sets
    // the gate back to no zones.
    post(paths::ZONES, Needs(ManageZones), Event).refusing_the_walks_form(),
    post(paths::ZONE, Needs(ManageZones), Zone).refusing_the_walks_form(),
    post(paths::ZONE_HEADCOUNT, Needs(CorrectHeadcount), Zone).refusing_the_walks_form(),
    post(paths::GATE_PASSAGE, Needs(ManageZones), Gate),
    post(paths::ZONE_MISMATCH, Needs(ManageZones), Event).refusing_the_walks_form(),
    get(paths::KIOSK_LINKS, Needs(ManageKioskLinks), Event),
    post(paths::KIOSK_LINKS, Needs(ManageKioskLinks), Event),
    post(paths::KIOSK_LINK_REVOKE, Needs(ManageKioskLinks), KioskLink),
    get(paths::KIOSK, KioskToken, Token),
    get(paths::KIOSK_STREAM, KioskToken, Token),
    // The walk's form names no gate.
    post(paths::DEVICE_PAIRINGS, Needs(ManageDevices), Event).refusing_the_walks_form(),
    post(paths::DEVICE_REVOKE, Needs(ManageDevices), Device),
    get(paths::PAIR, PairingToken, Pairing),
    post(paths::PAIR, PairingToken, Pairing),
    get(paths::SCANNER, Public, Org),
    get(paths::SCANNER_WORKER, Public, Org),
    get(paths::ORDERS, Needs(ViewOrders), EventFilter),
    get(paths::ORDERS_CSV, Needs(ExportOrders), EventFilter),
    get(paths::ORDERS_STREAM, Needs(ViewOrders), EventFilter),
    // The walk posts a resend job of the filter's orders (the form's action decides
    // the permission: `BulkAction::permission`).
    post(paths::ORDER_JOBS, Needs(ResendConfirmation), EventFilter),
    get(paths::ORDER_JOB, Needs(ViewOrders), ResendJob),
    get(paths::ORDER_JOB_STREAM, Needs(ViewOrders), ResendJob),
    get(paths::ORDER_JOB_CSV, Needs(ExportOrders), ExportJob),
    post(paths::ORDER_JOB_CANCEL, OwnerOrMaker(ViewOrders), HeldJob),
    get(paths::ORDER, Needs(ViewOrders), Order),
    get(paths::ORDER_TICKETS, Needs(ViewOrders), Order),
    get(paths::ORDER_REFUND, Needs(RefundOrders), Order).with_query("scope=all"),
    post(paths::ORDER_REFUND, Needs(RefundOrders), Order),
    get(paths::ORDER_VOID, Needs(RefundOrders), Order),
    post(paths::ORDER_VOID, Needs(RefundOrders), Order),
    post(paths::ORDER_RESEND_CONFIRMATION, Needs(ResendConfirmation), Order),
    get(paths::AUDIT_LOG, Needs(ViewAudit), Org),
    get(paths::TEAM, Needs(ManageTeam), Org),
    post(paths::TEAM, Needs(ManageTeam), Org),
    post(paths::TEAM_ROLE, Needs(ManageTeam), Member),
    post(paths::TEAM_PASSWORD, Needs(ManageTeam), Member),
    post(paths::TEAM_DEACTIVATE, Needs(ManageTeam), Member),
    post(paths::TEAM_REACTIVATE, Needs(ManageTeam), Member),
    get(paths::WEBHOOKS, Needs(ManageWebhooks), Org),
    post(paths::WEBHOOKS, Needs(ManageWebhooks), Org),
    get(paths::WEBHOOK, Needs(ManageWebhooks), Webhook),
    post(paths::WEBHOOK_DISABLE, Needs(ManageWebhooks), Webhook),
    post(paths::WEBHOOK_ENABLE, Needs(ManageWebhooks), Webhook),
    post(paths::WEBHOOK_DELETE, Needs(ManageWebhooks), Webhook),
    post(paths::WEBHOOK_TEST, Needs(ManageWebhooks), Webhook),
    post(API_SCANS, DeviceToken, Org),
    post(API_HEARTBEAT, DeviceToken, Org),
    get(API_DEVICE, DeviceToken, Org),
    // The pairing link's token is in the body.
    post(API_PAIR, PairingToken, Pairing),
    get(API_OPENAPI, Public, Org),
    get(API_TICKETS, DeviceToken, Org),
];

/// The device API's routes as the table serves them (inside its scope).
const API_SCANS: &str = "/api/v1/scans";
const API_HEARTBEAT: &str = "/api/v1/devices/heartbeat";
const API_DEVICE: &str = "/api/v1/device";
pub const API_PAIR: &str = "/api/v1/pair";
const API_OPENAPI: &str = "/api/v1/openapi.json";
const API_TICKETS: &str = "/api/v1/tickets";

/// The rule (docs/security.md, "Roles"): no session is 401; on a path naming an event,
/// an event not among the user's is 404 before anything else; then a role that may not
/// is 403, whatever the id (so the answer says nothing about it); then whatever the id
/// names must be the organisation's and, for a supervisor or steward, of their events,
/// else 404 exactly as an id nothing has. A filter naming an event not theirs is 404 to
/// a supervisor or steward (their list is kept to their events); for the roles that see
/// every event it matches nothing.
pub fn expected(row: &Row, asker: Asker, target: Target) -> Answer {
    let role = match (row.access, asker) {
        (Public, _) => return Answer::Allowed,
        (DeviceToken | PendingSignIn, _) => return Answer::Unauthenticated,
        (KioskToken | PairingToken, _) if target == Target::Missing => return Answer::NotFound,
        (KioskToken | PairingToken, _) => return Answer::Allowed,
        (_, Asker::Anonymous) => return Answer::Unauthenticated,
        (_, Asker::Member(role)) => role,
    };
    // A crossed path names the user's own event, with another event's object in it.
    let sees_event = role.sees_every_event() || matches!(target, Target::Own | Target::Crossed);
    if row.scope.names_event_in_path() && !sees_event {
        return Answer::NotFound;
    }
    if let Needs(permission) | OwnerOrMaker(permission) = row.access {
        if !role.may(permission) {
            return Answer::Refused;
        }
    }
    // The ids name something of the organisation's (a link or alert of the event the
    // path names: a crossed one is not).
    let of_the_organisation = matches!(target, Target::Own | Target::OtherEvent);
    match row.scope {
        Org => row.allowed,
        _ if of_the_organisation && sees_event => match row.access {
            OwnerOrMaker(_) if role != Role::Owner => Answer::Refused,
            _ => row.allowed,
        },
        EventFilter if sees_event => Answer::NothingMatches,
        _ => Answer::NotFound,
    }
}
