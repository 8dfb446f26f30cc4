//! Where a webhook may go: an `http(s)` URL whose host resolves only to public
//! addresses. Private, loopback, link-local, unique-local, CGNAT, benchmarking,
//! documentation, multicast, broadcast, unspecified and other special-purpose addresses
//! (and those an IPv6 transition address embeds) are refused, when the endpoint is added and again before
//! each delivery (after resolving the name, whose checked address is then the one
//! connected to, so a name that later resolves to 127.0.0.1 is not delivered), unless
//! the server runs with `--webhooks-allow-private`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// Longest URL an endpoint may have.
const MAX_URL_CHARS: usize = 2_000;

/// How long resolving an endpoint's host may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// An endpoint URL that is well formed: `http` or `https`, with a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl {
    url: String,
    host: String,
    port: u16,
}

impl WebhookUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("enter the endpoint's URL".into());
        }
        if raw.chars().count() > MAX_URL_CHARS {
            return Err("the URL must be at most 2,000 characters".into());
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("the URL must not contain spaces or control characters".into());
        }
        let not_a_url = || format!("{raw:?} is not a URL like https://example.com/hooks");
        let (scheme, _) = raw.split_once("://").ok_or_else(not_a_url)?;
        let default_port = match scheme.to_ascii_lowercase().as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err("the URL must start with http:// or https://".into()),
        };
        let uri: awc::http::Uri = raw.parse().map_err(|_| not_a_url())?;
        let Some(authority) = uri.authority() else {
            return Err("the URL must name a host".into());
        };
        if authority.as_str().contains('@') {
            return Err("the URL must not carry a user name or password".into());
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err("the URL must name a host".into());
        }
        Ok(Self {
            url: raw.to_owned(),
            host: host.to_ascii_lowercase(),
            port: authority.port_u16().unwrap_or(default_port),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The address to connect to: the host resolved (with a timeout), every address it
    /// resolves to checked, the first one taken.
    pub async fn resolve(&self, allow_private: bool) -> Result<SocketAddr, Refusal> {
        let addresses: Vec<SocketAddr> = match self.host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, self.port)],
            Err(_) => {
                let lookup = tokio::net::lookup_host((self.host.as_str(), self.port));
                match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
                    Ok(Ok(found)) => found.collect(),
                    Ok(Err(e)) => return Err(Refusal::Unresolved(format!("cannot resolve {}: {e}", self.host))),
                    Err(_) => return Err(Refusal::Unresolved(format!("resolving {} timed out", self.host))),
                }
            }
        };
        if !allow_private {
            // Which address it resolved to stays unsaid: the form is no probe of the
            // server's own network and name servers.
            if addresses.iter().any(|a| !is_public(a.ip())) {
                return Err(Refusal::Private(format!(
                    "{} is or resolves to a private, loopback or otherwise non-public address; \
                     only a server started with --webhooks-allow-private delivers there",
                    self.host
                )));
            }
        }
        addresses
            .first()
            .copied()
            .ok_or_else(|| Refusal::Unresolved(format!("{} resolves to no address", self.host)))
    }
}

/// Why an endpoint's host is not delivered to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It resolves to an address the server does not deliver to.
    Private(String),
    /// It could not be resolved (now: it may later).
    Unresolved(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Self::Private(m) | Self::Unresolved(m) => m,
        }
    }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

/// IPv4 ranges that are not the public internet (IANA's special-purpose registry): this
/// network, private, CGNAT, loopback, link-local, IETF protocol assignments, the
/// documentation nets, benchmarking, multicast and reserved (with broadcast).
const NOT_PUBLIC_V4: [(Ipv4Addr, u8); 14] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];

/// IPv6 ranges that are not the public internet, beside those that embed an IPv4
/// address (judged by it): unspecified and loopback (in ::/96, the deprecated
/// IPv4-compatible addresses, refused whole), discard-only, local-use NAT64, Teredo,
/// documentation, unique-local, link-local, site-local and multicast.
const NOT_PUBLIC_V6: [(Ipv6Addr, u8); 9] = [
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96),
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64),
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !NOT_PUBLIC_V4
        .iter()
        .any(|&(net, len)| ipnet::Ipv4Net::new(net, len).is_ok_and(|net| net.contains(&ip)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let [.., a, b, c, d] = ip.octets();
    // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) reach an IPv4 address: judge it.
    if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    if ip.segments()[0] == 0x2002 {
        let [_, _, a, b, c, d, ..] = ip.octets();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !NOT_PUBLIC_V6
        .iter()
        .any(|&(net, len)| ipnet::Ipv6Net::new(net, len).is_ok_and(|net| net.contains(&ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_are_taken() {
        assert!(WebhookUrl::parse("https://hooks.example.com/in").is_ok());
        assert_eq!(WebhookUrl::parse("http://example.com:8080/x").unwrap().port, 8080);
        for bad in [
            "",
            "ftp://example.com/",
            "example.com",
            "https://",
            "https://u:p@example.com/",
            "http://a b/",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn non_public_addresses_are_told_apart_from_public_ones() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "198.18.0.1",
            "198.19.255.254",
            "192.0.0.8",
            "192.0.2.1",
            "203.0.113.9",
            "::127.0.0.1",
            "::8.8.8.8",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2001::1",
            "2001:db8::1",
            "100::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "100.128.0.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "198.20.0.1",
            "192.0.1.1",
            "2002:808:808::1",
            "2001:4860:4860::8888",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
