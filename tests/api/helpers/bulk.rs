//! Bulk jobs through the order list's bulk form: the form's fields, starting a job and
//! reading its page once finished.

use std::time::{Duration, Instant};

use super::{text_of, TestApp};

/// The list page's bulk form: its hidden fields (CSRF token, job key, the filter).
pub async fn bulk_form(app: &TestApp, client: &reqwest::Client, list: &str) -> Vec<(String, String)> {
    let page = app.page(client, list).await;
    let html = scraper::Html::parse_document(&page);
    let hidden = scraper::Selector::parse(r#"form#bulk-form input[type="hidden"]"#).unwrap();
    let fields: Vec<(String, String)> = html
        .select(&hidden)
        .map(|e| {
            (
                e.value().attr("name").unwrap().to_owned(),
                e.value().attr("value").unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        fields.iter().any(|(k, _)| k == "job_key"),
        "the list has a bulk form: {page}"
    );
    fields
}

pub fn with(mut fields: Vec<(String, String)>, more: &[(&str, String)]) -> Vec<(String, String)> {
    fields.extend(more.iter().map(|(k, v)| (k.to_string(), v.clone())));
    fields
}

pub fn orders_field(ids: &[i64]) -> Vec<(&'static str, String)> {
    ids.iter().map(|id| ("order", id.to_string())).collect()
}

pub async fn post(app: &TestApp, client: &reqwest::Client, fields: &[(String, String)]) -> reqwest::Response {
    client.post(app.url("/orders/jobs")).form(fields).send().await.unwrap()
}

/// Posts the form and follows to the job: the job page's path.
pub async fn start(app: &TestApp, client: &reqwest::Client, fields: &[(String, String)]) -> String {
    let response = post(app, client, fields).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The job page once the job has finished.
pub async fn finished(app: &TestApp, client: &reqwest::Client, job: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = app.page(client, job).await;
        if page.contains(r#"data-finished="true""#) {
            return page;
        }
        assert!(Instant::now() < deadline, "the job did not finish: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn outcome(page: &str, which: &str) -> i64 {
    let text = text_of(page, &format!(r#"[data-outcome="{which}"]"#)).unwrap();
    text.split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}

/// The reason shown for each order the job did not process, by the row's order id.
pub fn reasons(page: &str) -> Vec<(i64, String, String)> {
    let html = scraper::Html::parse_document(page);
    let rows = scraper::Selector::parse("table.job-refusals tbody tr").unwrap();
    let cells = scraper::Selector::parse("td").unwrap();
    html.select(&rows)
        .map(|row| {
            let texts: Vec<String> = row.select(&cells).map(|c| c.text().collect::<String>()).collect();
            let id = row.value().attr("data-order").unwrap().parse().unwrap();
            (id, texts[0].clone(), texts[2].clone())
        })
        .collect()
}
