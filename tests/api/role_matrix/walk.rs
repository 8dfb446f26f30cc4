//! The walk: each row × target × asker as one real request, checked against the rule.
//! `GET`s run a few at a time; `POST`s one after another, those that must be refused
//! first, each between two fingerprints of the database that must be equal.

use futures_util::StreamExt;
use voelgoed::auth::Role;
use voelgoed::paths;

use super::table::{expected, Access, Answer, Asker, Row, Scope, Target, ASKERS, MATRIX};
use super::world::{fingerprint, Ids, World, OTHER_EVENT_NAME, OTHER_ORG_EVENT_NAME};
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

    fn name(&self) -> String {
        format!("{} {} as {:?} on {:?}", self.row.method, self.row.pattern, self.asker, self.target)
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

/// What a `GET` answered, kept to compare another organisation's id with a missing one.
struct Seen {
    cell: Cell,
    status: u16,
    body: Option<String>,
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
        &self.sessions.iter().find(|(a, _)| *a == asker).expect("a session per asker").1
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
        let response = self.session(cell.asker).client.get(self.app.url(&url)).send().await.unwrap();
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
            .or_else(|| changed.then(|| format!("{}: refused, yet changed {before} to {after}", cell.name())))
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
            _ if matches!(cell.row.access, Access::DeviceToken) => request.json(&batch(vec![scan("matrix-1", "VG-NOPE", "in")])),
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
            Answer::NothingMatches => status == 400,
        };
        let wrong = (!right).then(|| format!("{}: {status}, expected {expected:?}", cell.name()));
        (status, wrong)
    }

    /// A name or order code the asker may not see, when the body shows one.
    fn leak(&self, cell: &Cell, body: Option<&str>) -> Option<String> {
        let (Some(body), Asker::Member(role)) = (body, cell.asker) else {
            return None;
        };
        if !matches!(cell.row.access, Access::SignedIn | Access::Needs(_)) {
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

/// What an error page says (its `<main>`, or the start of the body), for the report.
fn message_of(body: &str) -> String {
    let text = crate::helpers::text_of(body, "main").unwrap_or_else(|| body.to_owned());
    text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(160).collect()
}

fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// The concrete URL of `row` for the target's ids.
fn url(row: &Row, ids: &Ids) -> String {
    let id = match row.scope {
        Scope::Order | Scope::EventFilter => ids.order,
        Scope::ResendJob => ids.resend_job,
        Scope::ExportJob => ids.export_job,
        Scope::Member => ids.member,
        Scope::Webhook => ids.webhook,
        _ => ids.event,
    };
    let path = row
        .pattern
        .replace("{file}", "app.css")
        .replace("{link}", &ids.link.to_string())
        .replace("{alert}", &ids.alert.to_string())
        .replace("{token}", &ids.token)
        .replace("{id}", &id.to_string());
    let query = match (row.scope, row.method) {
        (Scope::EventFilter, "GET") => format!("event={}", ids.event),
        _ => row.query.to_owned(),
    };
    paths::with_query(&path, &query)
}

/// Another organisation's id must answer exactly as an id nothing has, body and all.
fn unlike_a_missing_id(seen: &[Seen]) -> Vec<String> {
    let mut wrong = Vec::new();
    for other in seen.iter().filter(|s| s.cell.target == Target::OtherOrg && s.status == 404) {
        let missing = seen.iter().find(|s| {
            s.cell.target == Target::Missing && s.cell.asker == other.cell.asker && s.cell.row.pattern == other.cell.row.pattern
        });
        if let Some(missing) = missing.filter(|m| m.status != 404 || m.body != other.body) {
            wrong.push(format!(
                "{}: another organisation's id answers unlike a missing one ({})",
                other.cell.name(),
                missing.status
            ));
        }
    }
    wrong
}
