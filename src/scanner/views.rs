//! The scanner's pages: a pairing link as the supervisor gets it (QR and text), the
//! question a phone opening the link is asked, and the scanner page itself (its behaviour is `assets/scanner.js`).

use std::sync::OnceLock;

use base64::Engine;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

use super::pairing::{PairedDevice, PairingOffer};
use crate::events::Event;
use crate::paths;
use crate::ui::assets;
use crate::ui::components::{local_time, qr_code};
use crate::ui::layout::{self, Viewer};

const SCRIPT: &str = include_str!("../../assets/scanner.js");
const STYLE: &str = include_str!("../../assets/scanner.css");

/// The scanner page's Content-Security-Policy: the site's, with its one inline script
/// and its one inline style allowed by their SHA-256.
pub fn page_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()));
        crate::security_headers::CONTENT_SECURITY_POLICY
            .replacen(
                "script-src 'self'",
                &format!("script-src 'self' 'sha256-{}'", hash(SCRIPT)),
                1,
            )
            .replacen(
                "style-src 'self'",
                &format!("style-src 'self' 'sha256-{}'", hash(STYLE)),
                1,
            )
    })
}

/// A pairing link just made, for the supervisor to show a phone.
pub struct MadeLink<'a> {
    pub event: &'a Event,
    pub gate: &'a str,
    pub url: &'a str,
    pub expires_at: i64,
}

pub fn pairing_made_page(viewer: &Viewer, made: &MadeLink) -> Markup {
    let event = made.event;
    layout::page(
        &format!("Pair a phone · {}", event.name),
        Some(viewer),
        html! {
            h1 { "Pair a phone " span.muted { "· " (made.gate) } }
            p { "Open this link on the steward's phone, or scan the code with its camera. It pairs one phone as a scanner at gate " strong { (made.gate) } "." }
            (qr_code(made.url, "QR code of the pairing link written out below"))
            p.pairing-link { a href=(made.url) data-pairing-link { (made.url) } }
            p.muted {
                "Single use; it expires at " (local_time(made.expires_at, &event.timezone, "%H:%M"))
                ". Revoke the phone on the scan monitor when it leaves the gate."
            }
            p { a href=(paths::scan_monitor(event.id)) { "Back to the scan monitor" } }
        },
    )
}

/// What a phone opening a link is asked first: opening alone pairs nothing (link
/// previews and scanners' prefetches must not spend it).
pub fn pair_prompt_page(offer: &PairingOffer, token: &str) -> Markup {
    layout::page(
        "Pair this phone",
        None,
        html! {
            h1 { "Pair this phone as a scanner" }
            p { "Gate " strong { (offer.gate_name) } " of " strong { (offer.event_name) } "." }
            p { "This phone will check tickets there. Its key stays on this phone only." }
            form method="post" action=(paths::pair(token)) {
                button.primary type="submit" { "Pair this phone" }
            }
        },
    )
}

/// The scanner page. `paired`: the phone was paired by this very answer, and keeps the
/// device's key (the script stores it and drops it from the page).
pub fn scanner_page(paired: Option<&PairedDevice>) -> Markup {
    let pairing = paired.map(|p| {
        serde_json::json!({
            "token": p.token, "device_id": p.device_id, "device": p.device_name, "gate": p.gate_name,
            "event": p.event_name, "event_id": p.event_id,
        })
        .to_string()
    });
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="theme-color" content="#111";
                @if let Some(pairing) = pairing { meta name="voelgoed-pairing" content=(pairing); }
                title { "Scanner · Voelgoed" }
                link rel="icon" href=(assets::url("icon.svg")) type="image/svg+xml";
                // Inline, allowed by hash (`page_policy`): the page is one request, which
                // a slow 3G link answers in well under a second.
                style { (PreEscaped(STYLE)) }
                script type="module" { (PreEscaped(SCRIPT)) }
            }
            body data-state="starting" data-decoder=(assets::url("jsQR.js")) data-worker=(paths::SCANNER_WORKER) {
                main {
                    (scanner_header())
                    (verdict_area())
                    (unpaired_notice())
                    (scanner_controls())
                }
            }
        }
    }
}

fn scanner_header() -> Markup {
    html! {
        header.bar {
            h1 { "Scanner" }
            p #where { "Not paired" }
            p #link-state role="status" { "Starting…" }
        }
    }
}

/// The answer at a glance: the whole area takes the verdict's colour.
fn verdict_area() -> Markup {
    html! {
        section #verdict data-verdict="ready" aria-label="Last answer" {
            p.word aria-live="assertive" aria-atomic="true" { "Ready" }
            p.detail { "Scan a ticket or type its code." }
            p.offline-mark hidden { "Decided offline" }
        }
    }
}

fn scanner_controls() -> Markup {
    html! {
        section.controls aria-label="Scanning" {
            form #code-form autocomplete="off" {
                label for="code" { "Ticket code" }
                input #code name="code" type="text" inputmode="text" autocapitalize="characters" spellcheck="false" enterkeyhint="go" maxlength="64" autofocus;
                button type="submit" { "Check" }
            }
            fieldset #direction {
                legend { "Direction" }
                label.choice { input type="radio" name="direction" value="in" checked; span { "Entry" } }
                label.choice { input type="radio" name="direction" value="out"; span { "Exit" } }
            }
        }
        // Outside the controls: unpaired, the camera reads a pairing link's QR code.
        section.camera aria-label="Camera" {
            button #camera-toggle type="button" { "Start camera" }
            button #torch type="button" hidden aria-pressed="false" { "Torch" }
            video #camera muted playsinline hidden aria-label="Camera view" {}
        }
    }
}

fn unpaired_notice() -> Markup {
    html! {
        section #unpaired hidden aria-labelledby="unpaired-heading" {
            h2 #unpaired-heading { "This phone is not a scanner" }
            p #unpaired-reason { "Open a pairing link from a supervisor to pair it with a gate." }
            p { "Scan the link's QR code with the camera below, or paste the link here:" }
            form #pair-form autocomplete="off" {
                label for="pair-link" { "Pairing link" }
                input #pair-link name="link" type="text" inputmode="url" spellcheck="false" maxlength="300";
                button type="submit" { "Pair again" }
            }
            p #pair-problem role="status" {}
        }
    }
}
