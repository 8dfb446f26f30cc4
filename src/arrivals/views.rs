//! The arrivals section of the dashboard and the scan monitor: the chart (inline SVG, one
//! `<path>` per series, a caption in words), the forecast and the tickets not yet
//! scanned (no-shows once the event has ended), and each gate's rate now against its
//! average. The first load renders the containers; each push carries their insides as
//! `hx-swap-oob` fragments, each its own SSE message under 2 KB.

use chrono_tz::Tz;
use maud::{html, Markup, PreEscaped};

use super::forecast::{forecast, Forecast, ForecastInput, Target, WINDOW_MINUTES};
use super::model::{busiest, Arrivals, Bar, Curve};
use super::shown::Shown;
use crate::ui::components::{count, panel_loading, panel_unavailable};

/// The SSE event the arrivals' fragments are pushed under (on both pages).
pub const ARRIVALS_SSE_EVENT: &str = "arrivals";
/// Gates listed in the rates table (by name), and ticket types in the no-shows table:
/// what keeps a pushed fragment under 2 KB.
const MAX_GATES: usize = 12;
const MAX_TYPES: usize = 12;

/// The live containers: (id, inside).
fn parts(shown: Shown, tz: &Tz) -> [(&'static str, Markup); 3] {
    let a = match shown {
        Shown::Ready(a) => a,
        Shown::Loading => {
            return [
                ("arrivals-chart", panel_loading()),
                ("arrivals-summary", html! {}),
                ("arrivals-gates", html! {}),
            ]
        }
        Shown::Unavailable => {
            return [
                ("arrivals-chart", panel_unavailable()),
                ("arrivals-summary", html! {}),
                ("arrivals-gates", html! {}),
            ]
        }
    };
    [
        ("arrivals-chart", chart(a, tz)),
        ("arrivals-summary", summary(a, tz)),
        ("arrivals-gates", gate_rates(a)),
    ]
}

/// The whole section, as the page first shows it (inside the page's SSE element).
/// `Pushed::Own`: the section receives the `arrivals` messages itself (the monitor);
/// `Pushed::WithPage`: the fragments come with the page's own messages (the dashboard).
pub fn arrivals_section(shown: Shown, tz: &Tz, pushed: Pushed) -> Markup {
    let [chart, summary, gates] = parts(shown, tz).map(|(id, inside)| html! { div id=(id) { (inside) } });
    html! {
        section.panel id="arrivals" aria-labelledby="arrivals-heading" {
            h2 id="arrivals-heading" { "Arrivals" }
            @if pushed == Pushed::Own { div hidden sse-swap=(ARRIVALS_SSE_EVENT) hx-swap="none" {} }
            (chart) (summary)
            // The per-gate table is detail: folded, so a phone reaches the log sooner.
            details.gate-rates-disclosure { summary { "Entries per gate" } (gates) }
        }
    }
}

/// How the section's fragments reach it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Own,
    WithPage,
}

/// The pushed fragments, one message each.
pub fn arrivals_fragments(shown: Shown, tz: &Tz) -> Vec<String> {
    parts(shown, tz)
        .into_iter()
        .map(|(id, inside)| html! { div id=(id) hx-swap-oob="innerHTML" { (inside) } }.into_string())
        .collect()
}

// Shapes only in the SVG: it scales with the card, so its labels are HTML beside it,
// which keeps them at the page's text size on a phone.
const PLOT_LEFT: i64 = 2;
const PLOT_WIDTH: i64 = 288;
const PLOT_TOP: i64 = 2;
const PLOT_HEIGHT: i64 = 56;
const BASE: i64 = PLOT_TOP + PLOT_HEIGHT;

fn chart(a: &Arrivals, tz: &Tz) -> Markup {
    let Some(curve) = a.curve() else {
        return html! { p.muted { "Doors have not opened yet." } };
    };
    let max = curve
        .bars
        .iter()
        .map(|b| b.entries.max(b.exits))
        .max()
        .unwrap_or(0)
        .max(1);
    let bar = PLOT_WIDTH / curve.bars.len().max(1) as i64;
    let right = PLOT_LEFT + bar * curve.bars.len() as i64;
    let end = curve.bars.last().map_or(a.until, |b| b.start + curve.bar_ms);
    let y = |n: i64| BASE - n * PLOT_HEIGHT / max;
    let series = |value: fn(&Bar) -> i64| {
        let mut d = format!("M{PLOT_LEFT} {BASE}");
        curve
            .bars
            .iter()
            .for_each(|b| d.push_str(&format!("V{}h{bar}", y(value(b)))));
        d.push_str(&format!("V{BASE}"));
        d
    };
    html! {
        figure.arrivals.chart {
            svg viewBox={ "0 0 " (PLOT_LEFT + PLOT_WIDTH + 2) " " (BASE + 2) } width="100%" role="img" aria-labelledby="arrivals-caption" {
                path data-series="entries" data-counts=(counts(&curve, |b| b.entries)) d=(series(|b| b.entries)) fill="#2b7a78" fill-opacity=".6" {}
                path data-series="exits" data-counts=(counts(&curve, |b| b.exits)) d=(series(|b| b.exits)) fill="none" stroke="#d1495b" stroke-width="1.5" {}
                line x1=(PLOT_LEFT) y1=(BASE) x2=(right) y2=(BASE) stroke="currentColor" stroke-width=".5" {}
            }
            div.chart-axis aria-hidden="true" { span { (clock(curve.bars[0].start, tz)) } span { (clock(end, tz)) } }
            figcaption id="arrivals-caption" { (caption(a, &curve, tz)) }
            // No inline styles: the content security policy forbids them.
            p.muted.legend { "Filled: entries; line: exits; per " (curve.bar_ms / 60_000) " minutes; top of the scale " (count(max)) }
        }
    }
}

/// The bars' values, oldest first, space-separated (for tools and tests).
fn counts(curve: &Curve, value: fn(&Bar) -> i64) -> String {
    let values: Vec<String> = curve.bars.iter().map(|b| value(b).to_string()).collect();
    values.join(" ")
}

/// "412 in, 37 out in the last 30 minutes; busiest 19:05–19:10 with 96 entries".
pub fn caption(a: &Arrivals, curve: &Curve, tz: &Tz) -> String {
    let (entries, exits) = a.recent_totals();
    let window = if a.ended() {
        "since doors opened".to_owned()
    } else {
        "in the last 30 minutes".to_owned()
    };
    let mut text = format!("{} in, {} out {window}", count(entries), count(exits));
    match busiest(curve) {
        Some(bar) => text.push_str(&format!(
            "; busiest {}–{} with {} entries",
            clock(bar.start, tz),
            clock(bar.start + curve.bar_ms, tz),
            count(bar.entries)
        )),
        None => text.push_str("; no one has come in yet"),
    }
    text
}

/// "19:40", or "Wed 19:40" on another day than `now`'s.
fn clock_from(now: i64, at: i64, tz: &Tz) -> String {
    let day = |t: i64| chrono::DateTime::from_timestamp_millis(t).map(|t| t.with_timezone(tz).date_naive());
    match day(now) == day(at) {
        true => clock(at, tz),
        false => chrono::DateTime::from_timestamp_millis(at)
            .map(|t| t.with_timezone(tz).format("%a %H:%M").to_string())
            .unwrap_or_default(),
    }
}

fn clock(at: i64, tz: &Tz) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.with_timezone(tz).format("%H:%M").to_string())
        .unwrap_or_default()
}

fn summary(a: &Arrivals, tz: &Tz) -> Markup {
    let (valid, never) = (a.valid_tickets(), a.never_admitted());
    if a.ended() {
        return no_shows(a);
    }
    html! {
        p data-arrivals="forecast" { (forecast_sentence(a, tz)) }
        p data-arrivals="not-scanned" {
            strong { (count(never)) } " of " (count(valid)) " valid tickets not yet scanned (" (percent(never, valid)) ")"
        }
    }
}

fn forecast_sentence(a: &Arrivals, tz: &Tz) -> String {
    let per_minute = a.entries_per_minute(WINDOW_MINUTES);
    let input = ForecastInput {
        per_minute: &per_minute,
        minutes_open: a.minutes_open(),
        remaining: a.never_admitted(),
        headroom: a.capacity - a.inside,
        now: a.now,
        ends_at: a.ends_at,
    };
    let time = |at: i64| clock_from(a.now, at, tz);
    match forecast(&input) {
        Forecast::NotEnoughData => "Not enough data yet for a forecast.".into(),
        Forecast::AllIn => "Everyone with a ticket has been let in.".into(),
        Forecast::Full => "Capacity is reached.".into(),
        Forecast::Stalled => "No one has come in in the last 5 minutes.".into(),
        Forecast::NotBeforeTheEnd { target, rate, short } => {
            let what = match target {
                Target::EveryoneIn => format!("about {} people will not be in before the end", count(short)),
                Target::Capacity => format!(
                    "the venue does not fill before the end: about {} places stay free",
                    count(short)
                ),
            };
            format!("At this rate ({rate:.1} a minute), {what} ({}).", time(a.ends_at))
        }
        Forecast::TooEarlyToSay { rate } => format!(
            "At the current rate ({rate:.1} a minute) it is too early to say when everyone is in: \
             arrivals vary more than the time left."
        ),
        Forecast::Reached {
            target,
            rate,
            at,
            earliest,
            latest,
            slowing,
        } => {
            let what = match target {
                Target::EveryoneIn => format!("everyone with a ticket is in by {}", time(at)),
                Target::Capacity => format!("capacity is reached at about {}", time(at)),
            };
            let range = match latest {
                Some(latest) if time(latest) != time(earliest) => {
                    format!(" (between {} and {})", time(earliest), time(latest))
                }
                Some(_) => String::new(),
                None => format!(" (not before {})", time(earliest)),
            };
            let slowed = if slowing {
                " Arrivals have slowed: it may well take longer."
            } else {
                ""
            };
            format!("At the current rate ({rate:.1} a minute), {what}{range}.{slowed}")
        }
    }
}

fn no_shows(a: &Arrivals) -> Markup {
    let (valid, never) = (a.valid_tickets(), a.never_admitted());
    html! {
        p data-arrivals="no-shows" {
            "No-shows: " strong { (count(never)) } " of " (count(valid)) " valid tickets never scanned in (" (percent(never, valid)) ")"
        }
        div.table-scroll role="region" aria-label="No-shows by ticket type" tabindex="0" { table.no-shows {
            thead { tr { th scope="col" { "Ticket type" } th.num scope="col" { "No-shows" } th.num scope="col" { "Rate" } } }
            tbody {
                @for t in a.ticket_types.iter().take(MAX_TYPES) {
                    tr data-ticket-type=(t.name) {
                        td { (t.name) } td.num { (count(t.never_admitted)) " of " (count(t.valid)) } td.num { (percent(t.never_admitted, t.valid)) }
                    }
                }
            }
        } }
    }
}

fn gate_rates(a: &Arrivals) -> Markup {
    let rates = a.gate_rates();
    if rates.is_empty() {
        return html! {};
    }
    html! {
        div.table-scroll role="region" aria-label="Entries per gate" tabindex="0" { table.gate-rates {
            thead { tr {
                th scope="col" { "Gate" }
                @if !a.ended() { th.num scope="col" { "In/min now" } }
                th.num scope="col" { "Average" }
            } }
            tbody {
                @for rate in rates.iter().take(MAX_GATES) {
                    tr data-gate-rate=(rate.name) {
                        td { (rate.name) }
                        @if !a.ended() { td.num { (tenths(rate.now_tenths)) } }
                        td.num { (tenths(rate.average_tenths)) }
                    }
                }
            }
        } }
        @if rates.len() > MAX_GATES { p.muted { "and " (rates.len() - MAX_GATES) " more gates" } }
    }
}

fn tenths(n: i64) -> PreEscaped<String> {
    PreEscaped(format!("{}.{}", n / 10, n % 10))
}

/// `part` of `whole` as a percentage with one decimal ("24.7 %"), integer maths.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0 %".into();
    }
    let tenths = part * 1000 / whole;
    format!("{}.{} %", tenths / 10, tenths % 10)
}
