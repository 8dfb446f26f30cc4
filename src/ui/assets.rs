//! Static assets compiled into the binary (gates often have no internet, and the binary
//! must run from any directory), served with year-long cache headers. URLs carry a
//! content hash, so a new build never meets a stale cached copy.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/htmx.min.js"),
    },
    Asset {
        name: "sse.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/sse.min.js"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/app.js"),
    },
    Asset {
        name: "jsQR.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../assets/jsQR.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../assets/icon.svg"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/app.css"),
    },
];

/// `/assets/NAME?v=HASH`, the URL pages use for an asset.
pub fn url(name: &str) -> String {
    static VERSION: OnceLock<String> = OnceLock::new();
    let version = VERSION.get_or_init(|| {
        let mut hasher = Sha256::new();
        ASSETS.iter().for_each(|a| hasher.update(a.body));
        hasher.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
    });
    format!("{}?v={version}", crate::paths::asset(name))
}

/// The compiled-in asset called `name`: its content type and bytes.
pub fn find(name: &str) -> Option<(&'static str, &'static [u8])> {
    ASSETS.iter().find(|a| a.name == name).map(|a| (a.content_type, a.body))
}
