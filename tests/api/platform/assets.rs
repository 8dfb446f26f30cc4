//! Static assets: served compressed, with long cache headers; `HEAD /healthz` answers.

use crate::helpers::spawn_app;

#[tokio::test]
async fn assets_are_served_compressed_with_long_cache_headers() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for asset in ["htmx.min.js", "sse.min.js", "app.css"] {
        let response = client
            .get(app.url(&format!("/assets/{asset}?v=1")))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(response.headers()["content-encoding"], "gzip", "{asset}");
    }
    let head = client.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(head.status(), 200);
}
