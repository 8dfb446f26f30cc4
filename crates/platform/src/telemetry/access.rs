//! Who may read `GET /metrics`: a client on this machine (loopback) talking to the
//! instance directly, or anyone with `Authorization: Bearer <--metrics-token>`. A
//! request a trusted proxy forwarded is never this machine's, whatever client it names:
//! the proxy is how the world gets in (nginx on localhost does not make the world
//! local), so a scraper on the machine reads each instance on its own port.

use actix_web::http::header;
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};

use crate::config::Settings;

/// Why a request may not read the metrics; the message is the response body.
pub(super) enum Refusal {
    /// 401: no token was sent, and one would do.
    NoToken(&'static str),
    /// 403: a wrong token, or no token could help.
    Forbidden(&'static str),
}

pub(super) fn allowed(req: &HttpRequest, token: Option<&str>) -> Result<(), Refusal> {
    let offered = bearer(req);
    match (token, offered) {
        (Some(expected), Some(offered)) if same_secret(expected, offered) => return Ok(()),
        (Some(_), Some(_)) => return Err(Refusal::Forbidden("The metrics token is wrong.\n")),
        _ => {}
    }
    if from_loopback(req) {
        return Ok(());
    }
    match token {
        Some(_) => Err(Refusal::NoToken(
            "Metrics are served to this machine, or with Authorization: Bearer <metrics token>.\n",
        )),
        None => Err(Refusal::Forbidden(
            "Metrics are served to this machine only; start the server with --metrics-token \
             (VOELGOED_METRICS_TOKEN) to read them from elsewhere.\n",
        )),
    }
}

/// The token of `Authorization: Bearer <token>`, when sent.
fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Compares the digests, in time independent of where they differ.
fn same_secret(expected: &str, offered: &str) -> bool {
    let (a, b) = (Sha256::digest(expected.as_bytes()), Sha256::digest(offered.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

fn from_loopback(req: &HttpRequest) -> bool {
    let Some(peer) = req.peer_addr() else {
        return false;
    };
    let via_proxy = req
        .app_data::<actix_web::web::Data<Settings>>()
        .is_some_and(|s| s.trusted_proxies.trusts(peer.ip()));
    !via_proxy && peer.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn only_the_same_token_is_the_same_secret() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3creT"));
        assert!(!same_secret("s3cret", ""));
    }
}
