//! Who is asking: the client's address (a trusted reverse proxy's `X-Forwarded-For` believed,
//! nobody else's), whether the page was reached over TLS, the token cookies madoguchi set, and
//! a per-address rate limit.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// The address a request is from, and whether the resident's browser reached us over https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    pub https: bool,
}

impl Client {
    /// From the connection's peer and, only when the peer is one of `trusted` (the city's
    /// reverse proxy), its forwarding headers: the rightmost address not itself a trusted
    /// proxy is the client's.
    pub fn of(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> Client {
        let peer_ip = peer.ip().to_canonical();
        if !trusted.contains(&peer_ip) {
            return Client { ip: peer_ip, https: false };
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .map(|ip| ip.to_canonical())
            .collect();
        let ip = forwarded.iter().rev().find(|ip| !trusted.contains(ip)).copied().unwrap_or(peer_ip);
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
        Client { ip, https }
    }
}

/// The value of the cookie `name`, when it looks like a token madoguchi made (64 hex digits):
/// the resident's chat id, the staff session, the login form's token.
pub fn token_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A token bucket per key (an address, or a staff account's name): `per_minute` requests a
/// minute, as a burst or spread out.
pub struct RateLimiter<K = IpAddr> {
    per_minute: u32,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Beyond this many addresses, the full buckets (addresses quiet for a minute) are dropped.
const KEPT_ADDRESSES: usize = 10_000;

impl RateLimiter<IpAddr> {
    /// Whether `ip` may make one more request now (and counts it when it may). An IPv6 address
    /// counts with its /64: one home or phone is given a whole /64 and may pick any address in it.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(network_of(ip), Instant::now())
    }
}

/// The address a limit is kept for: an IPv4 address itself, an IPv6 address's /64.
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
    }
}

impl<K: std::hash::Hash + Eq> RateLimiter<K> {
    pub fn per_minute(per_minute: u32) -> RateLimiter<K> {
        RateLimiter { per_minute: per_minute.max(1), buckets: Mutex::new(HashMap::new()) }
    }

    /// Whether `key` may make one more request now (and counts it when it may).
    pub fn allow_key(&self, key: K) -> bool {
        self.allow_at(key, Instant::now())
    }

    fn allow_at(&self, ip: K, now: Instant) -> bool {
        let capacity = f64::from(self.per_minute);
        let refill = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > KEPT_ADDRESSES {
            buckets.retain(|_, b| now.duration_since(b.at) < Duration::from_secs(60));
        }
        let bucket = buckets.entry(ip).or_insert(Bucket { tokens: capacity, at: now });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * refill).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    fn forwarded(xff: &str, proto: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", xff.parse().unwrap());
        headers.insert("x-forwarded-proto", proto.parse().unwrap());
        headers
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let trusted = ["10.0.0.5".parse().unwrap()];
        let headers = forwarded("203.0.113.9", "https");
        assert_eq!(
            Client::of(peer("10.0.0.5"), &headers, &trusted),
            Client { ip: "203.0.113.9".parse().unwrap(), https: true }
        );
        // Anyone else claiming to forward for someone is taken as who they are.
        assert_eq!(
            Client::of(peer("198.51.100.7"), &headers, &trusted),
            Client { ip: "198.51.100.7".parse().unwrap(), https: false }
        );
    }

    #[test]
    fn a_forged_first_address_does_not_hide_the_client() {
        // The client wrote its own X-Forwarded-For; the proxy appended the address it saw.
        let trusted = ["10.0.0.5".parse().unwrap()];
        let headers = forwarded("1.2.3.4, 203.0.113.9", "http");
        assert_eq!(Client::of(peer("10.0.0.5"), &headers, &trusted).ip, "203.0.113.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_limit_refills_over_a_minute() {
        let limiter = RateLimiter::per_minute(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.allow_at(ip, start)));
        assert!(!limiter.allow_at(ip, start), "a fourth at once is refused");
        assert!(limiter.allow_at(other, start), "another address has its own bucket");
        assert!(limiter.allow_at(ip, start + Duration::from_secs(20)), "one more after a third of a minute");
        assert!(!limiter.allow_at(ip, start + Duration::from_secs(21)));
    }

    #[test]
    fn addresses_of_one_ipv6_network_share_a_limit() {
        let limiter = RateLimiter::per_minute(2);
        assert!(limiter.allow("2001:db8:1:2::1".parse().unwrap()));
        assert!(limiter.allow("2001:db8:1:2:ffff::9".parse().unwrap()));
        assert!(!limiter.allow("2001:db8:1:2:1234::5".parse().unwrap()), "the same /64");
        assert!(limiter.allow("2001:db8:1:3::1".parse().unwrap()), "another /64");
    }
}
