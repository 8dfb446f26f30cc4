//! Who is at the other end of a request: the client's address and whether the
//! connection is secure. Forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`) are
//! believed only when the peer is one of the configured trusted proxies; anyone else
//! could write them.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::config::{Settings, TrustedProxies};

/// The client's address: the peer's, or, behind trusted proxies, the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy (entries further left can be
/// written by the client). None only when the peer address is unknown.
pub fn address(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let proxies = trusted(req);
    if !proxies.trusts(peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|entry| entry.trim().parse::<IpAddr>().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !proxies.trusts(*a))
            .unwrap_or(peer),
    )
}

/// The client's address as text for throttling and the audit log (`unknown` without one).
pub fn address_text(req: &HttpRequest) -> String {
    address(req).map_or_else(|| "unknown".to_owned(), |a| a.to_string())
}

/// Whether the client reached us over TLS: the connection itself, a trusted proxy's
/// `X-Forwarded-Proto: https`, or `--secure-cookies` (a TLS proxy that says nothing).
pub fn is_secure(req: &HttpRequest) -> bool {
    let Some(settings) = req.app_data::<actix_web::web::Data<Settings>>() else {
        return false;
    };
    if settings.secure_cookies || req.app_config().secure() {
        return true;
    }
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| settings.trusted_proxies.trusts(peer.ip()));
    from_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

fn trusted(req: &HttpRequest) -> &TrustedProxies {
    static NONE: TrustedProxies = TrustedProxies::NONE;
    req.app_data::<actix_web::web::Data<Settings>>()
        .map_or(&NONE, |s| &s.trusted_proxies)
}
