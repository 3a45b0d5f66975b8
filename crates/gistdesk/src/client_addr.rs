//! Who sent a request, as the access line names it: the connection's peer, or, when that
//! peer is a proxy the operator listed in `TRUSTED_PROXIES`, the address that proxy
//! vouches for in `X-Forwarded-For`. It must never believe `X-Forwarded-For` from a peer
//! that is not listed: anyone can send that header.

use std::net::IpAddr;

use axum::http::HeaderValue;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`); none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads a comma-separated list of addresses (`127.0.0.1`, `::1`) and ranges
    /// (`10.0.0.0/8`); empty entries are ignored. The error names the entry.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.0.iter().any(|net| net.contains(&addr))
    }
}

/// The client's address: `peer` itself unless `peer` is a trusted proxy; then, walking
/// `X-Forwarded-For` from its right end (the entry the nearest proxy added), the first
/// address that is not a trusted proxy. Entries further left were written by whoever
/// came before that untrusted hop, so they are never believed. A header that cannot be
/// read stops the walk at the last trusted hop.
pub fn client_address(
    peer: IpAddr,
    forwarded_for: Option<&HeaderValue>,
    trusted: &TrustedProxies,
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.trusts(peer) {
        return peer;
    }
    let Some(list) = forwarded_for.and_then(|v| v.to_str().ok()) else {
        return peer;
    };
    let mut client = peer;
    for hop in list.rsplit(',') {
        let Some(addr) = parse_hop(hop.trim()) else {
            return client;
        };
        client = addr.to_canonical();
        if !trusted.trusts(client) {
            return client;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, maybe with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(addr) = hop.parse::<IpAddr>() {
        return Some(addr);
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    fn client(peer: &str, xff: Option<&'static str>, trusted: &str) -> IpAddr {
        let trusted = TrustedProxies::parse(trusted).expect("a valid list");
        client_address(
            ip(peer),
            xff.map(HeaderValue::from_static).as_ref(),
            &trusted,
        )
    }

    #[test]
    fn by_default_the_header_is_never_believed() {
        assert!(TrustedProxies::default().is_empty());
        assert_eq!(
            client("127.0.0.1", Some("203.0.113.9"), ""),
            ip("127.0.0.1")
        );
        assert_eq!(client("198.51.100.4", None, ""), ip("198.51.100.4"));
    }

    #[test]
    fn a_trusted_proxy_vouches_for_the_address_it_added() {
        assert_eq!(
            client("127.0.0.1", Some("203.0.113.9"), "127.0.0.1"),
            ip("203.0.113.9")
        );
        // A client that wrote its own header cannot choose the address logged.
        assert_eq!(
            client("10.0.0.2", Some("6.6.6.6, 203.0.113.9"), "10.0.0.0/8"),
            ip("203.0.113.9")
        );
        // Two trusted hops: the address before both is the client's.
        assert_eq!(
            client("10.0.0.2", Some("203.0.113.9, 10.0.0.7"), "10.0.0.0/8"),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        assert_eq!(
            client("192.0.2.1", Some("203.0.113.9"), "127.0.0.1, 10.0.0.0/8"),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn unreadable_entries_stop_at_the_last_trusted_hop() {
        assert_eq!(
            client("127.0.0.1", Some("203.0.113.9, unknown"), "127.0.0.1"),
            ip("127.0.0.1")
        );
        assert_eq!(client("127.0.0.1", Some(""), "127.0.0.1"), ip("127.0.0.1"));
        assert_eq!(
            client("127.0.0.1", Some("[2001:db8::1]:443"), "127.0.0.1"),
            ip("2001:db8::1")
        );
        let all_trusted = client("127.0.0.1", Some("10.0.0.3"), "127.0.0.1,10.0.0.0/8");
        assert_eq!(all_trusted, ip("10.0.0.3"));
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_entries() {
        assert_eq!(
            client("::ffff:127.0.0.1", Some("203.0.113.9"), "127.0.0.1"),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedProxies::parse("127.0.0.1, localhost").expect_err("a name");
        assert!(err.contains("localhost"), "{err}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert_eq!(
            TrustedProxies::parse(" , ").expect("empty"),
            TrustedProxies::default()
        );
    }
}
