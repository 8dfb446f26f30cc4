//! The sign-in page.

use maud::{html, Markup};

use crate::paths;
use crate::ui::layout;

pub struct LoginForm<'a> {
    pub csrf_token: &'a str,
    pub email: &'a str,
    pub next: &'a str,
    pub message: Option<&'a str>,
}

pub fn login_page(form: &LoginForm) -> Markup {
    layout::page(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            @if let Some(message) = form.message {
                p.notice.error role="alert" { (message) }
            }
            form.stack method="post" action=(paths::LOGIN) {
                input type="hidden" name="csrf_token" value=(form.csrf_token);
                input type="hidden" name="next" value=(form.next);
                label {
                    "Email"
                    input type="email" name="email" autocomplete="username" required value=(form.email);
                }
                label {
                    "Password"
                    input type="password" name="password" autocomplete="current-password" required;
                }
                button type="submit" { "Sign in" }
            }
        },
    )
}

pub struct CodeForm<'a> {
    pub csrf_token: &'a str,
    pub next: &'a str,
    pub message: Option<&'a str>,
}

/// The second step of signing in: the code from the app, or a recovery code.
pub fn code_page(form: &CodeForm) -> Markup {
    layout::page(
        "Two-factor sign-in",
        None,
        html! {
            h1 { "Two-factor sign-in" }
            @if let Some(message) = form.message {
                p.notice.error role="alert" { (message) }
            }
            form.stack method="post" action=(paths::LOGIN_CODE) data-code-step {
                input type="hidden" name="csrf_token" value=(form.csrf_token);
                input type="hidden" name="next" value=(form.next);
                label {
                    "The 6-digit code your authenticator app shows"
                    input type="text" name="code" autocomplete="one-time-code" required maxlength="64" autofocus;
                }
                p.muted { "Lost your phone? Enter one of your recovery codes instead: each works once." }
                button type="submit" { "Continue" }
            }
            p { a href=(paths::LOGIN) { "Sign in again" } }
        },
    )
}
