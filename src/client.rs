//! Who is at the other end of a request: the client's address and whether the
//! connection is secure. Forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`) are
//! believed only when the peer is one of the configured trusted proxies; anyone else
//! could write them.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::app::AppState;

/// The proxies whose forwarding headers are believed (`--trusted-proxy`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `CIDR` or a single address (`10.0.0.0/8`, `127.0.0.1`, `::1`).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|raw| {
                let raw = raw.trim();
                raw.parse::<IpNet>()
                    .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("--trusted-proxy: {raw:?} is not an address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }
}

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
    let Some(state) = req.app_data::<actix_web::web::Data<AppState>>() else {
        return false;
    };
    if state.settings.secure_cookies || req.app_config().secure() {
        return true;
    }
    let from_proxy = req
        .peer_addr()
        .is_some_and(|peer| state.settings.trusted_proxies.trusts(peer.ip()));
    from_proxy
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

fn trusted(req: &HttpRequest) -> &TrustedProxies {
    static NONE: TrustedProxies = TrustedProxies(Vec::new());
    req.app_data::<actix_web::web::Data<AppState>>()
        .map_or(&NONE, |s| &s.settings.trusted_proxies)
}
