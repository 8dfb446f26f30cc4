//! The walk: each row × target × asker as one real request, checked against the rule.
//! `GET`s run a few at a time; `POST`s one after another, those that must be refused
//! first, each between two fingerprints of the database that must be equal.

use futures_util::StreamExt;
use voelgoed::auth::Role;
use voelgoed::paths;

use super::answers::{is_event_stream, message_of, unlike_a_missing_id, url, Seen};
use super::database::{changes, fingerprint};
use super::table::{expected, Access, Answer, Asker, Row, Scope, Target, ASKERS, MATRIX};
use super::world::{Ids, World, OTHER_EVENT_NAME, OTHER_ORG_EVENT_NAME};
use crate::helpers::{batch, csrf_token, scan, sign_in_at, TestApp, PASSWORD};

/// `GET`s in flight at once (each session holds at most 16 open streams).
const CONCURRENT_GETS: usize = 6;

#[derive(Clone, Copy, Debug)]
pub struct Cell {
    pub row: Row,
    pub asker: Asker,
    pub target: Target,
}

impl Cell {
    fn expected(&self) -> Answer {
        expected(&self.row, self.asker, self.target)
    }

    pub fn name(&self) -> String {
        format!(
            "{} {} as {:?} on {:?}",
            self.row.method, self.row.pattern, self.asker, self.target
        )
    }
}

pub fn cells() -> Vec<Cell> {
    let mut cells = Vec::new();
    for row in MATRIX {
        for target in row.scope.targets() {
            for asker in ASKERS {
                cells.push(Cell {
                    row: *row,
                    asker,
                    target: *target,
                });
            }
        }
    }
    cells
}

/// A cookie jar and its session's CSRF token (empty: no session).
struct Session {
    client: reqwest::Client,
    csrf: String,
}

impl Session {
    async fn of(app: &TestApp, email: &str) -> Self {
        let client = app.signed_in(email).await;
        let csrf = csrf_token(&app.page(&client, paths::EVENTS).await).expect("a signed-in page has a CSRF token");
        Self { client, csrf }
    }
}

pub struct Walk<'a> {
    app: &'a TestApp,
    world: World,
    sessions: Vec<(Asker, Session)>,
}

impl<'a> Walk<'a> {
    pub async fn new(app: &'a TestApp) -> Walk<'a> {
        let world = World::build(app).await;
        let mut sessions = vec![(
            Asker::Anonymous,
            Session {
                client: app.client(),
                csrf: String::new(),
            },
        )];
        for (role, email) in [
            (Role::Owner, "owner@a.test"),
            (Role::Finance, "finance@a.test"),
            (Role::Supervisor, "super@a.test"),
            (Role::Steward, "steward@a.test"),
        ] {
            sessions.push((Asker::Member(role), Session::of(app, email).await));
        }
        Walk { app, world, sessions }
    }

    fn session(&self, asker: Asker) -> &Session {
        &self
            .sessions
            .iter()
            .find(|(a, _)| *a == asker)
            .expect("a session per asker")
            .1
    }

    /// Every cell; what went wrong, one line each.
    pub async fn run(&self, cells: Vec<Cell>) -> Vec<String> {
        let (gets, posts): (Vec<Cell>, Vec<Cell>) = cells.into_iter().partition(|c| c.row.method == "GET");
        let gets = futures_util::stream::iter(gets)
            .map(|cell| self.get(cell))
            .buffer_unordered(CONCURRENT_GETS)
            .collect::<Vec<_>>();
        let (seen, mut wrong) = tokio::join!(gets, self.posts(posts));
        wrong.extend(seen.iter().filter_map(|(_, wrong)| wrong.clone()));
        let seen: Vec<Seen> = seen.into_iter().map(|(seen, _)| seen).collect();
        wrong.extend(unlike_a_missing_id(&seen));
        wrong
    }

    async fn get(&self, cell: Cell) -> (Seen, Option<String>) {
        let url = url(&cell.row, self.world.ids(cell.target));
        let response = self
            .session(cell.asker)
            .client
            .get(self.app.url(&url))
            .send()
            .await
            .unwrap();
        let (status, wrong) = self.check(&cell, &response);
        // A stream is judged by its headers; its body never ends.
        let body = match is_event_stream(&response) {
            true => None,
            false => Some(response.text().await.unwrap()),
        };
        let wrong = wrong.or_else(|| self.leak(&cell, body.as_deref()));
        (Seen { cell, status, body }, wrong)
    }

    async fn posts(&self, mut cells: Vec<Cell>) -> Vec<String> {
        // Refused first: nothing allowed has changed the database yet.
        cells.sort_by_key(|cell| cell.expected() == Answer::Allowed);
        let mut wrong = Vec::new();
        for (n, cell) in cells.into_iter().enumerate() {
            wrong.extend(self.post(cell, &format!("matrixcell{n}")).await);
        }
        wrong
    }

    async fn post(&self, cell: Cell, tag: &str) -> Option<String> {
        let ids = self.world.fresh(self.app, cell.row.scope, cell.target, tag).await;
        let own;
        let session = match (cell.row.access, cell.asker) {
            // Sign-ins and sign-outs: a user of the role's own, so the walk's sessions stay.
            (Access::SignedIn, Asker::Member(role)) => {
                own = Session::of(self.app, &self.world.spare_user(self.app, role, tag).await).await;
                &own
            }
            _ => self.session(cell.asker),
        };
        let before = self.app.db(fingerprint).await;
        let response = self.send_post(&cell, &ids, session, tag).await;
        let after = self.app.db(fingerprint).await;
        let (_, wrong) = self.check(&cell, &response);
        let changed = cell.expected() != Answer::Allowed && before != after;
        let body = response.text().await.unwrap();
        wrong
            .map(|wrong| format!("{wrong} ({})", message_of(&body)))
            .or_else(|| changed.then(|| format!("{}: refused, yet changed {}", cell.name(), changes(&before, &after))))
            .or_else(|| self.leak(&cell, Some(&body)))
    }

    async fn send_post(&self, cell: &Cell, ids: &Ids, session: &Session, tag: &str) -> reqwest::Response {
        let url = self.app.url(&url(&cell.row, ids));
        let csrf = session.csrf.as_str();
        if cell.row.pattern == paths::LOGIN {
            let role = match cell.asker {
                Asker::Member(role) => role,
                Asker::Anonymous => Role::Owner,
            };
            let email = self.world.spare_user(self.app, role, tag).await;
            return sign_in_at(&self.app.address, &self.app.client(), &email, PASSWORD).await;
        }
        let request = session.client.post(url);
        let request = match cell.row.scope {
            _ if cell.row.pattern == super::table::API_PAIR => {
                request.json(&serde_json::json!({ "pairing": ids.pairing }))
            }
            _ if matches!(cell.row.access, Access::DeviceToken) => {
                request.json(&batch(vec![scan("matrix-1", "VG-NOPE", "in")]))
            }
            // The bulk form: a resend job of the tagged order of the filter's event.
            Scope::EventFilter => request.form(&[
                ("csrf_token", csrf),
                ("job_key", tag),
                ("action", "resend"),
                ("scope", "filter"),
                ("event", &ids.event.to_string()),
                ("q", tag),
            ]),
            // A webhook's event names (the team form's `event` is an event id).
            _ if cell.row.pattern == paths::WEBHOOKS => request.form(&[
                ("csrf_token", csrf),
                ("url", &format!("http://127.0.0.1:9/{tag}")),
                ("event", "order.paid"),
            ]),
            // One form any of the other `POST`s reads its own fields from.
            _ => request.form(&[
                ("csrf_token", csrf),
                ("idempotency_key", tag),
                ("scope", "all"),
                ("amount", "4550"),
                ("reason", "other"),
                ("policy", "no-reentry"),
                ("name", "Matrix Member"),
                ("email", &format!("{tag}@matrix.test")),
                ("role", "finance"),
                ("required", "no"),
                ("url", &format!("http://127.0.0.1:9/{tag}")),
            ]),
        };
        request.send().await.unwrap()
    }

    /// The status, and what is wrong with it.
    fn check(&self, cell: &Cell, response: &reqwest::Response) -> (u16, Option<String>) {
        let status = response.status().as_u16();
        let expected = cell.expected();
        let right = match expected {
            Answer::Allowed if cell.row.is_stream() => status == 200 && is_event_stream(response),
            Answer::Allowed => (200..400).contains(&status),
            Answer::Unauthenticated => status == 401,
            Answer::Refused => status == 403,
            Answer::NotFound => status == 404,
            Answer::NothingMatches if cell.row.method == "GET" => (200..300).contains(&status),
            Answer::NothingMatches | Answer::BadForm => status == 400,
        };
        let wrong = (!right).then(|| format!("{}: {status}, expected {expected:?}", cell.name()));
        (status, wrong)
    }

    /// A name or order code the asker may not see, when the body shows one.
    fn leak(&self, cell: &Cell, body: Option<&str>) -> Option<String> {
        let (Some(body), Asker::Member(role)) = (body, cell.asker) else {
            return None;
        };
        if !matches!(
            cell.row.access,
            Access::SignedIn | Access::Needs(_) | Access::OwnerOrMaker(_)
        ) {
            return None;
        }
        let mut hidden = vec![OTHER_ORG_EVENT_NAME.to_owned()];
        hidden.extend(self.world.other_org_codes.iter().cloned());
        if !role.sees_every_event() {
            hidden.push(OTHER_EVENT_NAME.to_owned());
            hidden.extend(self.world.other_event_codes.iter().cloned());
        }
        let shown = hidden.into_iter().find(|hidden| body.contains(hidden.as_str()))?;
        Some(format!("{}: shows {shown:?}", cell.name()))
    }
}
