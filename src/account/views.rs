//! The two-factor page: enrolment (QR code as inline SVG, the key written out, the
//! code that confirms it), the status with the form that turns it off, and the
//! recovery codes shown once.

use maud::{html, Markup};

use super::enrolment::TwoFactorPage;
use crate::auth::two_factor::{group_for_reading, otpauth_uri};
use crate::paths;
use crate::ui::components::qr_code;
use crate::ui::layout::{self, Viewer};

/// What the page says about the organisation's policy.
pub struct Policy {
    /// The organisation requires two-factor sign-in of this user's role.
    pub required: bool,
}

pub fn two_factor_page(viewer: &Viewer, page: &TwoFactorPage, policy: &Policy, message: Option<&str>) -> Markup {
    layout::page(
        "Two-factor sign-in",
        Some(viewer),
        html! {
            h1 { "Two-factor sign-in" }
            @if let Some(message) = message { p.notice.error role="alert" { (message) } }
            @match page {
                TwoFactorPage::Enrolling { secret, email } => (enrolment(viewer, secret, email, policy)),
                TwoFactorPage::On { recovery_codes_left } => (status(viewer, *recovery_codes_left, policy)),
            }
        },
    )
}

fn enrolment(viewer: &Viewer, secret: &str, email: &str, policy: &Policy) -> Markup {
    html! {
        @if policy.required {
            p.notice role="status" { "Your organisation requires two-factor sign-in of owners and finance: "
                "set it up to continue." }
        }
        p { "After your password, you will also enter a 6-digit code from an authenticator app on your phone." }
        ol.stack data-two-factor="enrolling" {
            li { "Scan this QR code with your authenticator app:" (qr_code(&otpauth_uri(secret, email), "QR code of the key written out below, for an authenticator app")) }
            li { "Or type this key into the app (time-based, 6 digits, 30 seconds): "
                code data-secret { (group_for_reading(secret, 4, ' ')) } }
            li {
                form.stack method="post" action=(paths::TWO_FACTOR) {
                    input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                    label { "The 6-digit code the app shows now"
                        input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="64"; }
                    button type="submit" { "Turn on two-factor sign-in" }
                }
            }
        }
    }
}

fn status(viewer: &Viewer, recovery_codes_left: i64, policy: &Policy) -> Markup {
    html! {
        p data-two-factor="on" { "Two-factor sign-in is " strong { "on" } ": you sign in with your password and a code from your app." }
        p { (recovery_codes_left) " unused recovery codes left." }
        @if policy.required {
            p.muted { "Your organisation requires it of your role: it cannot be turned off. "
                "If you lose your phone and your recovery codes, ask an administrator to reset it." }
        } @else {
            form.stack method="post" action=(paths::TWO_FACTOR_DISABLE) {
                input type="hidden" name="csrf_token" value=(viewer.csrf_token);
                label { "A code from your app, or a recovery code, to turn it off"
                    input type="text" name="code" autocomplete="one-time-code" required maxlength="64"; }
                button type="submit" { "Turn off two-factor sign-in" }
            }
        }
    }
}

/// Two-factor sign-in is on: the recovery codes, shown this once.
pub fn recovery_codes_page(viewer: &Viewer, codes: &[String]) -> Markup {
    layout::page(
        "Two-factor sign-in is on",
        Some(viewer),
        html! {
            h1 { "Two-factor sign-in is on" }
            section.notice role="status" {
                p { "Save these recovery codes somewhere safe now: they are shown only this once. "
                    "Each signs you in once in place of a code, if you lose your phone." }
                ol.recovery-codes { @for code in codes { li { code data-recovery-code { (code) } } } }
            }
            p { a href=(paths::EVENTS) { "Continue" } }
        },
    )
}
