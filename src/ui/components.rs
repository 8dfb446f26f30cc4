//! Small pieces of markup with their own formatting rules: money, times, badges.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{html, Markup, PreEscaped, Render};

/// An amount in integer minor units of a currency. Never a float.
pub struct Money<'a> {
    pub minor: i64,
    pub currency: &'a str,
}

impl Money<'_> {
    fn symbol(&self) -> Option<&'static str> {
        match self.currency {
            "EUR" => Some("€"),
            "USD" => Some("$"),
            "GBP" => Some("£"),
            "ZAR" => Some("R"),
            _ => None,
        }
    }
}

impl Render for Money<'_> {
    fn render_to(&self, buffer: &mut String) {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let whole = group_thousands(abs / 100);
        let cents = abs % 100;
        match self.symbol() {
            Some(symbol) => buffer.push_str(&format!("{sign}{symbol}{whole}.{cents:02}")),
            None => buffer.push_str(&format!("{sign}{whole}.{cents:02} {}", self.currency)),
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A moment shown in a timezone (the event's or the organisation's), with a
/// machine-readable `datetime` attribute.
pub fn local_time(at_ms: i64, timezone: &Tz, format: &str) -> Markup {
    let utc: DateTime<Utc> = Utc.timestamp_millis_opt(at_ms).single().unwrap_or_default();
    let local = utc.with_timezone(timezone);
    html! { time datetime=(utc.to_rfc3339()) { (local.format(format)) } }
}

/// A coloured label whose class is also its text, e.g. `valid`, `live`.
pub fn badge(class: &str, text: &str) -> Markup {
    html! { span class={ "badge " (class) } { (text) } }
}

/// A signed count with thousands separators.
pub fn count(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(n.unsigned_abs()))
}

/// The band that warns when the venue is nearly or completely full (empty below 90 %).
/// Not a live region: it is redrawn with every pushed update and must not be re-read
/// aloud each time.
pub fn occupancy_warning(occupancy: i64, capacity: i64) -> Markup {
    let level = match capacity {
        c if c <= 0 => None,
        c if occupancy >= c => Some(("full", "At capacity: the venue is full.")),
        c if occupancy * 10 >= c * 9 => Some(("near", "Nearly full: over 90 % of capacity is inside.")),
        _ => None,
    };
    html! {
        @if let Some((class, text)) = level {
            p class={ "capacity-warning " (class) } { strong { (text) } " " (count(occupancy)) " of " (count(capacity)) }
        }
    }
}

/// A panel still being computed for its first showing: the page's stream brings it.
pub fn panel_loading() -> Markup {
    html! { p.muted.panel-state data-panel="loading" { "Loading…" } }
}

/// A panel whose data could not be read (its query failed or ran too long): said
/// plainly instead of a wrong number; the page's stream fills it in once it loads.
pub fn panel_unavailable() -> Markup {
    html! { p.notice.panel-state data-panel="unavailable" { "Unavailable, retrying…" } }
}

/// What the flash area shows when an htmx request was refused: the reason, and that
/// nothing changed on the page.
pub fn flash_error(message: &str) -> Markup {
    html! {
        p.notice.error { (message) }
    }
}

/// An event's other screens as finger-sized links (44 px tall): `(label, href)` each.
pub fn event_links(links: &[(&str, String)]) -> Markup {
    html! {
        nav.event-links aria-label="This event" {
            @for (label, href) in links { a href=(href) { (label) } }
        }
    }
}

/// The QR code of `text`, drawn as SVG here (no script, no image request), described by
/// `label`; pages write what it holds out beside it for those who cannot scan.
pub fn qr_code(text: &str, label: &str) -> Markup {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return html! { p.muted { "The QR code could not be drawn: use the text below." } };
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let label = html! { (label) }.into_string();
    let svg = svg
        .trim_start_matches(r#"<?xml version="1.0" standalone="yes"?>"#)
        .replacen("<svg ", &format!(r#"<svg role="img" aria-label="{label}" data-qr "#), 1);
    // Our own SVG of our own text, with the label escaped above: safe to write out.
    html! { figure.qr { (PreEscaped(svg)) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_formatted_to_the_cent() {
        let m = |minor, currency| Money { minor, currency }.render().into_string();
        assert_eq!(m(123_456_789, "EUR"), "€1,234,567.89");
        assert_eq!(m(-5, "USD"), "-$0.05");
        assert_eq!(m(100, "CHF"), "1.00 CHF");
    }
}
