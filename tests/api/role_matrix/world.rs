//! What the walk points at: beside the fixture's two organisations, a second event of
//! A's (assigned to nobody) and, in each event, an order, a finished resend job and
//! export job, a kiosk link and a gate alert; in each organisation a user and a webhook
//! endpoint. A `POST` that changes something gets a target of its own (`fresh`).

use diesel::RunQueryDsl;
use voelgoed::auth::{EventScope, Role};
use voelgoed::db::{DbConnection, Tenant};
use voelgoed::orders::bulk::{BulkAction, NewJob};
use voelgoed::orders::{place_order, NewOrder, OrderItem};

use super::database::{newest, order_code, user_id, wait_for_jobs};
use super::table::{Scope, Target};
use crate::helpers::TestApp;

/// Names that must not show to those who may not see them.
pub const OTHER_EVENT_NAME: &str = "Gamma Night";
pub const OTHER_ORG_EVENT_NAME: &str = "Bravo Concert";
/// An id no row has.
const MISSING: i64 = 987_654_321;

/// The ids one target's URLs are built from.
#[derive(Clone, Debug)]
pub struct Ids {
    pub event: i64,
    pub order: i64,
    pub resend_job: i64,
    pub export_job: i64,
    pub link: i64,
    pub token: String,
    pub device: i64,
    /// An unused pairing link's token.
    pub pairing: String,
    pub alert: i64,
    pub member: i64,
    pub webhook: i64,
    pub zone: i64,
    pub gate: i64,
}

/// One event's place in the world: its organisation, ticket type and maker.
#[derive(Clone, Copy)]
struct Place {
    tenant: Tenant,
    event: i64,
    ticket_type: i64,
    owner: i64,
}

pub struct World {
    places: Vec<(Target, Place)>,
    ids: Vec<(Target, Ids)>,
    /// Order codes of the other event and of the other organisation.
    pub other_event_codes: Vec<String>,
    pub other_org_codes: Vec<String>,
}

fn missing_ids() -> Ids {
    Ids {
        event: MISSING,
        order: MISSING,
        resend_job: MISSING,
        export_job: MISSING,
        link: MISSING,
        token: "no-such-kiosk-token".into(),
        device: MISSING,
        pairing: "no-such-pairing-token".into(),
        alert: MISSING,
        member: MISSING,
        webhook: MISSING,
        zone: MISSING,
        gate: MISSING,
    }
}

impl World {
    pub async fn build(app: &TestApp) -> World {
        let fixture = app.fixture.clone();
        let places = app
            .db(move |conn| {
                let (other_event, other_type) = second_event(conn, &fixture.org_a);
                let owner_a = user_id(conn, "owner@a.test");
                let owner_b = user_id(conn, "owner@b.test");
                vec![
                    (
                        Target::Own,
                        Place::new(fixture.org_a, fixture.event_a, fixture.ticket_type_a, owner_a),
                    ),
                    (
                        Target::OtherEvent,
                        Place::new(fixture.org_a, other_event, other_type, owner_a),
                    ),
                    (
                        Target::OtherOrg,
                        Place::new(fixture.org_b, fixture.event_b, fixture.ticket_type_b, owner_b),
                    ),
                ]
            })
            .await;
        let mut world = World {
            places,
            ids: vec![(Target::Missing, missing_ids())],
            other_event_codes: Vec::new(),
            other_org_codes: Vec::new(),
        };
        for (target, place) in world.places.clone() {
            let ids = app.db(move |conn| place.shared_ids(conn)).await;
            let code = app.db(move |conn| order_code(conn, ids.order)).await;
            match target {
                Target::OtherEvent => world.other_event_codes.push(code),
                Target::OtherOrg => world.other_org_codes.push(code),
                _ => {}
            }
            world.ids.push((target, ids));
        }
        let crossed = Ids {
            event: world.ids(Target::Own).event,
            ..world.ids(Target::OtherEvent).clone()
        };
        world.ids.push((Target::Crossed, crossed));
        wait_for_jobs(app).await;
        world
    }

    pub fn ids(&self, target: Target) -> &Ids {
        &self
            .ids
            .iter()
            .find(|(t, _)| *t == target)
            .expect("every target has ids")
            .1
    }

    /// The target's ids with a new object of `scope` (one the cell may change);
    /// `tag` names it (an order's buyer, a user's address).
    pub async fn fresh(&self, app: &TestApp, scope: Scope, target: Target, tag: &str) -> Ids {
        let mut ids = self.ids(target).clone();
        // A crossed path's object is the other event's.
        let of = match target {
            Target::Crossed => Target::OtherEvent,
            target => target,
        };
        let Some(place) = self.places.iter().find(|(t, _)| *t == of).map(|(_, p)| *p) else {
            return ids;
        };
        let tag = tag.to_owned();
        app.db(move |conn| {
            match scope {
                Scope::Order | Scope::EventFilter => ids.order = place.order(conn, &tag),
                Scope::KioskLink => (ids.link, ids.token) = place.kiosk_link(conn),
                Scope::Alert => ids.alert = place.alert(conn),
                Scope::Device => ids.device = place.device(conn),
                Scope::Zone => ids.zone = place.zone(conn),
                Scope::Pairing => ids.pairing = place.pairing(conn),
                Scope::Member => ids.member = place.member(conn, &tag, Role::Steward),
                Scope::Webhook => ids.webhook = place.webhook(conn, &tag),
                Scope::HeldJob => {
                    let order = place.order(conn, &tag);
                    ids.resend_job = place.held_job(conn, order, &tag);
                }
                _ => {}
            }
            ids
        })
        .await
    }

    /// A new user of organisation A with `role` (and A's first event when assigned
    /// ones), for a cell that signs them in or out.
    pub async fn spare_user(&self, app: &TestApp, role: Role, tag: &str) -> String {
        let place = self.places[0].1;
        let email = format!("{tag}@a.test");
        let address = email.clone();
        app.db(move |conn| place.member(conn, &address, role)).await;
        email
    }
}

impl Place {
    fn new(tenant: Tenant, event: i64, ticket_type: i64, owner: i64) -> Self {
        Self {
            tenant,
            event,
            ticket_type,
            owner,
        }
    }

    fn shared_ids(&self, conn: &mut DbConnection) -> Ids {
        let order = self.order(conn, "Shared Buyer");
        let (link, token) = self.kiosk_link(conn);
        Ids {
            event: self.event,
            order,
            resend_job: self.finished_job(conn, BulkAction::Resend, order),
            export_job: self.finished_job(conn, BulkAction::Export, order),
            link,
            token,
            device: self.device(conn),
            pairing: self.pairing(conn),
            alert: self.alert(conn),
            member: self.member(conn, &format!("member-{}", self.event), Role::Steward),
            webhook: self.webhook(conn, "shared"),
            zone: self.zone(conn),
            gate: voelgoed::provisioning::find_or_create_gate(conn, &self.tenant, self.event, "Matrix").unwrap(),
        }
    }

    fn zone(&self, conn: &mut DbConnection) -> i64 {
        let name = format!("Matrix {}", &voelgoed::auth::random_token()[..8]);
        let zone = voelgoed::zones::model::ZoneSettings::parse(&name, "10", "warn", vec![]).unwrap();
        voelgoed::zones::setup::save_zone(conn, &self.tenant, None, self.event, None, &zone).unwrap()
    }

    fn order(&self, conn: &mut DbConnection, buyer: &str) -> i64 {
        let order = NewOrder {
            event_id: self.event,
            buyer_name: buyer.into(),
            buyer_email: "buyer@example.test".into(),
            items: vec![OrderItem::new(self.ticket_type, 1)],
            created_at: voelgoed::db::now_ms(),
        };
        place_order(conn, &self.tenant, &order).unwrap().unwrap().id
    }

    /// A job of the organisation's owner over one order, run by the app's runner.
    fn finished_job(&self, conn: &mut DbConnection, action: BulkAction, order: i64) -> i64 {
        let job = NewJob {
            user_id: self.owner,
            events: EventScope::Every,
            job_key: format!("matrix-{action:?}-{order}"),
            action,
            refund: None,
            order_ids: vec![order],
        };
        voelgoed::orders::bulk::create_job(conn, &self.tenant, &job).unwrap()
    }

    /// A resend job of the owner's over one order, its lease taken for a minute as if a
    /// runner held it: it stays unfinished while the cell asks.
    fn held_job(&self, conn: &mut DbConnection, order: i64, tag: &str) -> i64 {
        let job = NewJob {
            user_id: self.owner,
            events: EventScope::Every,
            job_key: format!("matrix-held-{tag}"),
            action: BulkAction::Resend,
            refund: None,
            order_ids: vec![order],
        };
        let id = voelgoed::orders::bulk::create_job(conn, &self.tenant, &job).unwrap();
        let until = voelgoed::db::now_ms() + 60_000;
        diesel::sql_query(format!("UPDATE bulk_jobs SET lease_until = {until} WHERE id = {id}"))
            .execute(conn)
            .unwrap();
        id
    }

    fn kiosk_link(&self, conn: &mut DbConnection) -> (i64, String) {
        let token = voelgoed::auth::random_token();
        self.insert(
            conn,
            "kiosk_links (organization_id, event_id, token_hash, created_by, created_at)",
            &format!(
                "{}, {}, '{}', {}, 0",
                self.tenant.organization_id(),
                self.event,
                voelgoed::auth::token_hash(&token),
                self.owner
            ),
        );
        (newest(conn, "kiosk_links"), token)
    }

    fn device(&self, conn: &mut DbConnection) -> i64 {
        let gate = voelgoed::provisioning::find_or_create_gate(conn, &self.tenant, self.event, "Matrix").unwrap();
        voelgoed::provisioning::create_device(conn, &self.tenant, self.event, gate, "Matrix scanner")
            .unwrap()
            .0
    }

    fn pairing(&self, conn: &mut DbConnection) -> String {
        let gate = voelgoed::provisioning::find_or_create_gate(conn, &self.tenant, self.event, "Matrix").unwrap();
        let pairing = voelgoed::scanner::NewPairing {
            tenant: self.tenant,
            event_id: self.event,
            gate_id: gate,
            created_by: Some(self.owner),
        };
        voelgoed::scanner::create_pairing(conn, &pairing, voelgoed::db::now_ms())
            .unwrap()
            .token
    }

    fn alert(&self, conn: &mut DbConnection) -> i64 {
        let gate = voelgoed::provisioning::find_or_create_gate(conn, &self.tenant, self.event, "Matrix").unwrap();
        self.insert(
            conn,
            "gate_alerts (organization_id, event_id, gate_id, kind, subject, started_at, last_seen_at, detail)",
            &format!(
                "{}, {}, {gate}, 'low_battery', 'device:{}', 0, 0, 'matrix'",
                self.tenant.organization_id(),
                self.event,
                // One open alert per gate, kind and subject.
                &voelgoed::auth::random_token()[..12]
            ),
        );
        newest(conn, "gate_alerts")
    }

    fn member(&self, conn: &mut DbConnection, tag: &str, role: Role) -> i64 {
        let email = match tag.contains('@') {
            true => tag.to_owned(),
            false => format!("{tag}@matrix.test"),
        };
        let hash = crate::helpers::password_hash();
        let user =
            voelgoed::provisioning::create_user_with_hash(conn, &self.tenant, &email, "Matrix User", &hash, role)
                .unwrap();
        if !role.sees_every_event() {
            voelgoed::provisioning::assign_events(conn, &self.tenant, user, &[self.event]).unwrap();
        }
        user
    }

    /// An endpoint the app refuses to deliver to (a loopback port nothing listens on).
    fn webhook(&self, conn: &mut DbConnection, tag: &str) -> i64 {
        self.insert(
            conn,
            "webhook_endpoints (organization_id, url, events, secret, scan_cursor, scan_cursor_at, created_at)",
            &format!(
                "{}, 'http://127.0.0.1:9/{tag}', 'order.paid', 'whsec_matrix', 0, 0, 0",
                self.tenant.organization_id()
            ),
        );
        newest(conn, "webhook_endpoints")
    }

    fn insert(&self, conn: &mut DbConnection, into: &str, values: &str) {
        diesel::sql_query(format!("INSERT INTO {into} VALUES ({values})"))
            .execute(conn)
            .unwrap();
    }
}

/// Organisation A's second event, which no supervisor or steward is assigned.
fn second_event(conn: &mut DbConnection, tenant: &Tenant) -> (i64, i64) {
    let now = voelgoed::db::now_ms();
    let event = voelgoed::provisioning::NewEvent {
        name: OTHER_EVENT_NAME,
        venue: "Side Hall",
        starts_at: now - 3_600_000,
        ends_at: now + 3_600_000,
        timezone: "Europe/Amsterdam",
        capacity: 1_000,
        currency: "EUR",
        sales_open_at: now - 86_400_000,
    };
    let id = voelgoed::provisioning::create_event(conn, tenant, &event).unwrap();
    let ticket_type = voelgoed::provisioning::create_ticket_type(conn, tenant, id, "Regular", 4_550, 500).unwrap();
    (id, ticket_type)
}
