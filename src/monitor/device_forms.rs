//! The monitor's forms for those who manage devices: get a pairing link for a gate
//! (the steward's scanner, `crate::scanner`), revoke a device. Drawn per viewer at first
//! load, outside the live panel, which every viewer shares.

use maud::{html, Markup};

use crate::paths;
use crate::scanning::{DeviceRow, Gate};
use crate::ui::layout::Viewer;

/// Pair a phone at one of the gates; revoke one of the devices.
pub fn manage_devices(viewer: &Viewer, event_id: i64, gates: &[Gate], devices: &[DeviceRow]) -> Markup {
    html! {
        details.devices-manage {
            summary { "Pair a phone or revoke a device" }
            @if gates.is_empty() {
                p.muted { "This event has no gates yet: create one with " code { "voelgoed admin create-device" } "." }
            } @else {
                form.inline method="post" action=(paths::device_pairings(event_id)) {
                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                    label for="pair-gate" { "Gate" }
                    select id="pair-gate" name="gate" {
                        @for gate in gates { option value=(gate.id) { (gate.name) } }
                    }
                    button type="submit" { "Get a pairing link" }
                }
            }
            @if !devices.is_empty() {
                @for device in devices {
                    form.inline method="post" action=(paths::device_revoke(event_id, device.id)) {
                        input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                        button.danger type="submit" aria-label=(format!("Revoke {}", device.name)) { "Revoke " (device.name) }
                    }
                }
            }
        }
    }
}
