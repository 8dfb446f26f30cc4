//! The role matrix, walked: every route of the route table (`table::MATRIX`, checked
//! against src/routes.rs both ways) requested as anonymous and as A's owner, finance,
//! supervisor and steward, on their own event, another event of A's, organisation B and
//! an id nothing has (and, for kiosk links and alerts, the own event's path naming
//! another event's), GET and POST, live streams, bulk jobs and exports included. Each
//! answer must be what `table::expected` derives from `Role::may` and the scope rule; a
//! refused POST must leave the database as it was, and no answer may show another
//! organisation's data (or, to a supervisor or steward, another event's).

mod answers;
mod database;
mod table;
mod walk;
mod world;

use crate::helpers::route_table::routes_in_the_route_table;
use crate::helpers::{spawn_app_with, TestApp};

#[test]
fn the_matrix_has_every_route_of_the_route_table_once_and_no_other() {
    let routes = routes_in_the_route_table();
    let rows: Vec<(String, String)> = table::MATRIX
        .iter()
        .map(|row| (row.method.to_owned(), row.pattern.to_owned()))
        .collect();
    let missing: Vec<_> = routes.iter().filter(|route| !rows.contains(route)).collect();
    let gone: Vec<_> = rows.iter().filter(|row| !routes.contains(row)).collect();
    let twice: Vec<_> = rows
        .iter()
        .enumerate()
        .filter(|(n, row)| rows[..*n].contains(row))
        .map(|(_, row)| row)
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the role matrix: {missing:?}"
    );
    assert!(
        gone.is_empty(),
        "rows of the role matrix the route table no longer has: {gone:?}"
    );
    assert!(twice.is_empty(), "rows of the role matrix given twice: {twice:?}");
}

fn settings(settings: &mut voelgoed::config::Settings) {
    // Webhook endpoints the walk adds point at loopback.
    settings.webhooks.allow_private = true;
    // The walk's exports overlap (a few `GET`s at a time): the per-organisation budget
    // is not what it tests.
    settings.exports_per_organization = 16;
}

async fn every_cell_answers_as_the_matrix_derives(app: TestApp) {
    let started = std::time::Instant::now();
    let walk = walk::Walk::new(&app).await;
    let cells = walk::cells();
    let count = cells.len();
    let wrong = walk.run(cells).await;
    assert!(
        wrong.is_empty(),
        "{} of {count} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("role matrix: {count} cells in {:?}", started.elapsed());
}

#[tokio::test]
async fn on_sqlite() {
    every_cell_answers_as_the_matrix_derives(spawn_app_with(settings).await).await;
}

#[tokio::test]
async fn on_postgres() {
    let app = crate::helpers::postgres::spawn_postgres_app_with("role_matrix", settings).await;
    every_cell_answers_as_the_matrix_derives(app).await;
}
