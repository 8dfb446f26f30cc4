//! Who is at the other end of a request: the client's address and whether the
//! connection is secure. Forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`) are
//! believed only when the peer is one of the configured trusted proxies; anyone else
//! could write them.
//!
//! A proxy appends the address it was reached from to whatever `X-Forwarded-For` it
//! was sent, so only the entries trusted proxies appended, read from the right, can be
//! believed: everything left of the first untrusted one is the client's own writing.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use actix_web::HttpRequest;

use crate::config::{Settings, TrustedProxies};

/// Where the walk along `X-Forwarded-For` (from the right) stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hop {
    /// An address no trusted proxy has: the client. The peer itself when it is not a
    /// trusted proxy (its `X-Forwarded-For` is then not read at all).
    Client(IpAddr),
    /// Trusted proxies all the way (a client on a proxy's own machine): the furthest.
    Proxy(IpAddr),
    /// An entry that is not an address ended the walk: the request counts as coming
    /// from the nearest hop before it, a trusted proxy (the peer when it was the first).
    Unreadable(IpAddr),
}

impl Hop {
    pub fn address(self) -> IpAddr {
        match self {
            Self::Client(address) | Self::Proxy(address) | Self::Unreadable(address) => address,
        }
    }
}

/// The walk: from the peer leftwards through `X-Forwarded-For` (its header lines in the
/// order received), past trusted proxies, to the first address that is not one. Only
/// addresses a trusted proxy appended are read, so the answer is never one the client
/// wrote itself.
pub fn walk(peer: IpAddr, forwarded: &[&str], proxies: &TrustedProxies) -> Hop {
    let peer = peer.to_canonical();
    if !proxies.trusts(peer) {
        return Hop::Client(peer);
    }
    let mut nearest = peer;
    for entry in forwarded.iter().rev().flat_map(|line| line.rsplit(',')) {
        let Some(address) = parse_entry(entry) else {
            return Hop::Unreadable(nearest);
        };
        if !proxies.trusts(address) {
            return Hop::Client(address);
        }
        nearest = address;
    }
    Hop::Proxy(nearest)
}

/// One `X-Forwarded-For` entry: an address, with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`) or in brackets; IPv4-mapped IPv6 read as IPv4. Anything else
/// (`unknown`, an obfuscated name, junk) is None.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            let inner = entry.strip_prefix('[')?.strip_suffix(']')?;
            inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
        })?;
    Some(address.to_canonical())
}

/// Where the walk stopped for this request; None only when the peer address is unknown.
pub fn hop(req: &HttpRequest) -> Option<Hop> {
    let peer = req.peer_addr()?.ip();
    // Bytes a client wrote that are not text spoil only their own entries, not the
    // ones the proxies appended after them.
    let lines: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let forwarded: Vec<&str> = lines.iter().map(String::as_str).collect();
    Some(walk(peer, &forwarded, trusted(req)))
}

/// The client's address: the peer's, or behind trusted proxies where the walk stopped
/// (see `Hop`). None only when the peer address is unknown.
pub fn address(req: &HttpRequest) -> Option<IpAddr> {
    hop(req).map(Hop::address)
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

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use proptest::prelude::*;

    use super::*;

    fn proxies() -> TrustedProxies {
        TrustedProxies::parse(&["127.0.0.1".into(), "10.0.0.0/8".into(), "fd00::/8".into()]).unwrap_or_default()
    }

    fn ip(raw: &str) -> IpAddr {
        raw.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn the_first_untrusted_entry_from_the_right_is_the_client() {
        let peer = ip("127.0.0.1");
        let cases = [
            (vec!["x, 203.0.113.9"], Hop::Client(ip("203.0.113.9"))),
            (
                vec!["198.51.100.1, unknown, 203.0.113.9"],
                Hop::Client(ip("203.0.113.9")),
            ),
            (vec!["203.0.113.9, 10.1.2.3"], Hop::Client(ip("203.0.113.9"))),
            (
                vec!["198.51.100.1", "203.0.113.9:5123, 10.1.2.3"],
                Hop::Client(ip("203.0.113.9")),
            ),
            (vec!["[2001:db8::7]:443"], Hop::Client(ip("2001:db8::7"))),
            (vec!["::ffff:203.0.113.9"], Hop::Client(ip("203.0.113.9"))),
            (vec!["127.0.0.1"], Hop::Proxy(ip("127.0.0.1"))),
            (vec![], Hop::Proxy(peer)),
            (vec!["203.0.113.9, unknown"], Hop::Unreadable(peer)),
            (vec!["203.0.113.9, _hidden, 10.0.0.9"], Hop::Unreadable(ip("10.0.0.9"))),
            (vec!["203.0.113.9,"], Hop::Unreadable(peer)),
        ];
        for (forwarded, expected) in cases {
            assert_eq!(walk(peer, &forwarded, &proxies()), expected, "{forwarded:?}");
        }
        // Not from a trusted proxy: the header is anyone's to write.
        assert_eq!(
            walk(ip("203.0.113.5"), &["127.0.0.1"], &proxies()),
            Hop::Client(ip("203.0.113.5"))
        );
    }

    /// Anything a client might write as an entry: addresses of every kind (trusted
    /// proxies' and its own included), with ports, `unknown`, and junk with commas.
    fn written_entry() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<Ipv4Addr>().prop_map(|a| a.to_string()),
            any::<Ipv6Addr>().prop_map(|a| a.to_string()),
            (any::<Ipv4Addr>(), any::<u16>()).prop_map(|(a, p)| format!("{a}:{p}")),
            (any::<Ipv6Addr>(), any::<u16>()).prop_map(|(a, p)| format!("[{a}]:{p}")),
            trusted_address().prop_map(|a| a.to_string()),
            Just("unknown".to_owned()),
            Just(String::new()),
            "[ -~]{0,24}",
            "\\PC{0,12}",
        ]
    }

    /// An address in one of the trusted ranges.
    fn trusted_address() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            Just(ip("127.0.0.1")),
            any::<[u8; 3]>().prop_map(|[a, b, c]| IpAddr::V4(Ipv4Addr::new(10, a, b, c))),
            any::<u128>().prop_map(|bits| IpAddr::V6(Ipv6Addr::from((0xfd_u128 << 120) | (bits >> 8)))),
        ]
    }

    /// A client's real address: anything no trusted range holds.
    fn client_address() -> impl Strategy<Value = IpAddr> {
        any::<IpAddr>().prop_filter("not a trusted proxy", |a| !proxies().trusts(a.to_canonical()))
    }

    /// How a proxy writes the address it was reached from.
    fn as_a_proxy_writes(address: IpAddr, style: u8, port: u16) -> String {
        match (style % 3, address) {
            (0, _) => address.to_string(),
            (1, IpAddr::V4(v4)) => format!("{v4}:{port}"),
            (1, IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
            (_, IpAddr::V4(v4)) => v4.to_ipv6_mapped().to_string(),
            (_, IpAddr::V6(v6)) => format!("[{v6}]"),
        }
    }

    /// `X-Forwarded-For`'s entries as they reach the app: what the client wrote, then
    /// each proxy's appended hop; and the app's peer (the last proxy, or the client).
    fn through_proxies(client: IpAddr, written: &[String], chain: &[(IpAddr, u8, u16)]) -> (IpAddr, Vec<String>) {
        let mut entries = written.to_vec();
        let mut reached_from = client;
        for &(proxy, style, port) in chain {
            entries.push(as_a_proxy_writes(reached_from, style, port));
            reached_from = proxy;
        }
        (reached_from, entries)
    }

    /// The entries as header lines: one, or two split between two entries (a proxy may
    /// add a line of its own instead of appending to the one it was sent).
    fn as_lines(entries: &[String], split_at: usize) -> Vec<String> {
        let split = split_at % (entries.len() + 1);
        [&entries[..split], &entries[split..]]
            .into_iter()
            .filter(|part| !part.is_empty())
            .map(|part| part.join(", "))
            .collect()
    }

    proptest! {
        // Failing cases are kept beside this file (`crates/platform/src/client.proptest-regressions`),
        // not in a folder at the top of the repository.
        #![proptest_config(ProptestConfig {
            failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"))),
            ..ProptestConfig::default()
        })]

        #[test]
        fn behind_any_number_of_trusted_proxies_the_client_is_its_real_address(
            client in client_address(),
            written in proptest::collection::vec(written_entry(), 0..6),
            chain in proptest::collection::vec((trusted_address(), any::<u8>(), any::<u16>()), 0..5),
            split_at in any::<usize>(),
        ) {
            let (peer, entries) = through_proxies(client, &written, &chain);
            let lines = as_lines(&entries, split_at);
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();

            prop_assert_eq!(walk(peer, &lines, &proxies()), Hop::Client(client.to_canonical()));
        }

        #[test]
        fn a_hop_a_proxy_could_not_write_counts_as_that_proxy_never_as_what_the_client_wrote(
            client in client_address(),
            written in proptest::collection::vec(written_entry(), 0..6),
            chain in proptest::collection::vec((trusted_address(), any::<u8>(), any::<u16>()), 1..5),
            unreadable in prop_oneof![Just("unknown"), Just(""), Just("unix:"), Just("_hidden")],
            which in any::<usize>(),
            split_at in any::<usize>(),
        ) {
            // One proxy cannot name the hop it came from (a UNIX socket, say).
            let (peer, mut entries) = through_proxies(client, &written, &chain);
            let which = which % chain.len();
            let at = written.len() + which;
            entries[at] = unreadable.to_owned();
            let lines = as_lines(&entries, split_at);
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();

            let hop = walk(peer, &lines, &proxies());

            // The proxy that wrote it: the next one along the chain.
            prop_assert_eq!(hop, Hop::Unreadable(chain[which].0.to_canonical()), "{:?}", lines);
        }

        #[test]
        fn a_peer_that_is_no_trusted_proxy_is_the_client_whatever_it_writes(
            peer in client_address(),
            written in proptest::collection::vec(written_entry(), 0..6),
        ) {
            let line = written.join(", ");

            prop_assert_eq!(walk(peer, &[&line], &proxies()), Hop::Client(peer.to_canonical()));
        }
    }
}
