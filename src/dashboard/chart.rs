//! The sales chart: tickets sold per hour over a short sale, per day (in the event's
//! timezone) over a long one and per week over a very long one, drawn as inline SVG on
//! the server. One path draws every bar, so a pushed chart stays small.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{html, Markup, PreEscaped};

use super::model::SalesInHour;
use super::sales_rollup::HOUR_MS;
use crate::ui::components::count;

/// Sales spanning up to this many hours are drawn per hour.
const HOURLY_UP_TO_HOURS: i64 = 48;
/// Up to this many days, per day; beyond, per week.
const DAILY_UP_TO_DAYS: i64 = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    Day,
    Week,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub tickets: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesChart {
    pub bucket: Bucket,
    pub bars: Vec<Bar>,
}

/// Buckets hourly sales (UTC hour start, tickets; oldest first) from the first sale up
/// to `until`, with empty buckets drawn as zero.
pub fn sales_chart(hourly: &[SalesInHour], until: i64, tz: &Tz) -> SalesChart {
    let Some(first) = hourly.first().map(|h| h.hour_start) else {
        return SalesChart {
            bucket: Bucket::Hour,
            bars: Vec::new(),
        };
    };
    let last = hourly
        .last()
        .map_or(first, |h| h.hour_start)
        .max(until.div_euclid(HOUR_MS) * HOUR_MS);
    let hours = (last - first) / HOUR_MS + 1;
    if hours <= HOURLY_UP_TO_HOURS {
        let bars = (0..hours)
            .map(|i| {
                let at = first + i * HOUR_MS;
                let tickets = hourly.iter().filter(|h| h.hour_start == at).map(|h| h.tickets).sum();
                Bar {
                    label: local(at, tz).format("%H:%M").to_string(),
                    tickets,
                }
            })
            .collect();
        return SalesChart {
            bucket: Bucket::Hour,
            bars,
        };
    }
    let day_of = |at: i64| local(at, tz).date_naive();
    let bucket = if hours <= DAILY_UP_TO_DAYS * 24 {
        Bucket::Day
    } else {
        Bucket::Week
    };
    let start_of = |date: NaiveDate| match bucket {
        Bucket::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
        _ => date,
    };
    let step = if bucket == Bucket::Week { 7 } else { 1 };
    let mut per_bucket: HashMap<NaiveDate, i64> = HashMap::new();
    for &SalesInHour {
        hour_start: hour,
        tickets,
    } in hourly
    {
        *per_bucket.entry(start_of(day_of(hour))).or_default() += tickets;
    }
    let (mut day, end) = (start_of(day_of(first)), start_of(day_of(last)));
    let mut bars = Vec::new();
    while day <= end {
        let tickets = per_bucket.get(&day).copied().unwrap_or(0);
        bars.push(Bar {
            label: day.format("%e %b").to_string().trim().to_string(),
            tickets,
        });
        day += Duration::days(step);
    }
    SalesChart { bucket, bars }
}

fn local(at_ms: i64, tz: &Tz) -> DateTime<Tz> {
    Utc.timestamp_millis_opt(at_ms)
        .single()
        .unwrap_or_default()
        .with_timezone(tz)
}

impl SalesChart {
    fn unit(&self) -> &'static str {
        match self.bucket {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
            Bucket::Week => "week",
        }
    }

    /// The chart in words, for everyone who cannot see it.
    fn summary(&self) -> String {
        let total: i64 = self.bars.iter().map(|b| b.tickets).sum();
        let (Some(first), Some(last)) = (self.bars.first(), self.bars.last()) else {
            return "No tickets sold yet.".into();
        };
        let busiest = self.bars.iter().max_by_key(|b| b.tickets).unwrap_or(last);
        format!(
            "Tickets sold per {unit}, {from} to {to}: {total} in all; busiest {unit} {busy} with {n}; latest {unit} {latest}.",
            unit = self.unit(),
            from = first.label,
            to = last.label,
            total = count(total),
            busy = busiest.label,
            n = count(busiest.tickets),
            latest = count(last.tickets),
        )
    }
}

// The drawing area inside a 320 × 130 view box. Shapes only: the SVG scales with the
// card, so its labels are HTML beside it, at the page's text size on a phone.
const LEFT: f64 = 2.0;
const RIGHT: f64 = 318.0;
const TOP: f64 = 4.0;
const BASE: f64 = 128.0;

/// The chart as a figure: the SVG (hidden from screen readers), its axis labels and
/// its summary as text.
pub fn chart_figure(chart: &SalesChart) -> Markup {
    let peak = chart.bars.iter().map(|b| b.tickets).max().unwrap_or(0).max(1);
    let slot = (RIGHT - LEFT) / chart.bars.len().max(1) as f64;
    let mut bars = String::new();
    for (i, bar) in chart.bars.iter().enumerate().filter(|(_, b)| b.tickets > 0) {
        let x = LEFT + slot * (i as f64 + 0.5);
        let top = BASE - (BASE - TOP) * bar.tickets as f64 / peak as f64;
        bars.push_str(&format!("M{x:.1} {BASE}V{top:.1}"));
    }
    let middle = chart.bars.get(chart.bars.len() / 2).filter(|_| chart.bars.len() > 2);
    let last = chart.bars.last().filter(|_| chart.bars.len() > 1);
    html! {
        figure.sales-chart.chart {
            p.chart-scale aria-hidden="true" { "Top of the scale: " (count(peak)) " per " (chart.unit()) }
            svg viewBox="0 0 320 130" aria-hidden="true" focusable="false" {
                path.axis d={ "M" (LEFT) " " (TOP) "V" (BASE) "H" (RIGHT) } {}
                @if !bars.is_empty() {
                    path.bars d=(PreEscaped(bars)) stroke-width=(format!("{:.1}", (slot * 0.8).clamp(0.5, 24.0))) {}
                }
            }
            div.chart-axis aria-hidden="true" {
                @for bar in [chart.bars.first(), middle, last].into_iter().flatten() { span { (bar.label) } }
            }
            figcaption { (chart.summary()) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sold(hour_start: i64, tickets: i64) -> SalesInHour {
        SalesInHour { hour_start, tickets }
    }

    const DAY_MS: i64 = 24 * HOUR_MS;
    // 2026-11-25 00:00 UTC.
    const MIDNIGHT: i64 = 1_764_028_800_000;

    #[test]
    fn a_short_sale_is_drawn_per_hour_with_empty_hours_as_zero() {
        let hourly = [sold(MIDNIGHT, 5), sold(MIDNIGHT + 3 * HOUR_MS, 2)];
        let chart = sales_chart(&hourly, MIDNIGHT + 3 * HOUR_MS + 60_000, &Tz::UTC);
        assert_eq!(chart.bucket, Bucket::Hour);
        let tickets: Vec<i64> = chart.bars.iter().map(|b| b.tickets).collect();
        assert_eq!(tickets, [5, 0, 0, 2]);
        assert_eq!(chart.bars[0].label, "00:00");
    }

    #[test]
    fn a_long_sale_is_drawn_per_day_in_the_events_timezone() {
        // 23:30 UTC is already the next day in Amsterdam.
        let hourly = [sold(MIDNIGHT - HOUR_MS, 4), sold(MIDNIGHT + 2 * DAY_MS, 1)];
        let chart = sales_chart(&hourly, MIDNIGHT + 2 * DAY_MS, &chrono_tz::Europe::Amsterdam);
        assert_eq!(chart.bucket, Bucket::Day);
        let bars: Vec<(&str, i64)> = chart.bars.iter().map(|b| (b.label.as_str(), b.tickets)).collect();
        assert_eq!(bars, [("25 Nov", 4), ("26 Nov", 0), ("27 Nov", 1)]);
    }

    #[test]
    fn a_very_long_sale_is_drawn_per_week() {
        let hourly = [sold(MIDNIGHT - 200 * DAY_MS, 3), sold(MIDNIGHT, 7)];
        let chart = sales_chart(&hourly, MIDNIGHT, &Tz::UTC);
        assert_eq!(chart.bucket, Bucket::Week);
        assert_eq!(chart.bars.iter().map(|b| b.tickets).sum::<i64>(), 10);
        assert!(chart.bars.len() <= 30);
    }

    #[test]
    fn no_sales_draw_no_bars_and_say_so() {
        let chart = sales_chart(&[], MIDNIGHT, &Tz::UTC);
        assert!(chart.bars.is_empty());
        let figure = chart_figure(&chart).into_string();
        assert!(figure.contains("No tickets sold yet."));
        assert!(!figure.contains("NaN"));
    }
}
