//! `GET /scanner-sw.js`: the scanner page's service worker (`assets/scanner-sw.js`),
//! with the versioned URLs of the page's shell filled in, so a new build installs a new
//! worker and drops the old copies.

use crate::paths;
use crate::ui::assets;

const TEMPLATE: &str = include_str!("../../assets/scanner-sw.js");

pub fn script() -> String {
    let shell = [
        paths::SCANNER.to_owned(),
        assets::url("jsQR.js"),
        assets::url("icon.svg"),
    ];
    let shell = serde_json::Value::from(shell.to_vec()).to_string();
    TEMPLATE.replace("\"__SHELL__\"", &shell)
}
