//! Where webhooks may be sent: the rule that keeps a client from aiming the platform's deliveries
//! at addresses inside it (loopback, private networks, link-local and cloud metadata, ...).
//!
//! A host parses the URL (scheme, userinfo, host) and checks it with [`check_url`] when the
//! endpoint is configured, then checks every address a name resolves to with [`check_ip`] before
//! its socket connects, so a name that later resolves inside (DNS rebinding) is still refused.

use crate::error::{err, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a deployment allows as webhook endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointPolicy {
    /// Loopback addresses and `localhost` (local development; sandbox default).
    pub allow_loopback: bool,
    /// Private and unique-local ranges (an explicit operator choice).
    pub allow_private: bool,
    /// Only `https` (live mode).
    pub require_https: bool,
}

impl EndpointPolicy {
    /// Live mode: `https` to public addresses only.
    pub const LIVE: EndpointPolicy = EndpointPolicy {
        allow_loopback: false,
        allow_private: false,
        require_https: true,
    };
    /// Sandbox default: `http` allowed, and loopback for local receivers.
    pub const SANDBOX: EndpointPolicy = EndpointPolicy {
        allow_loopback: true,
        allow_private: false,
        require_https: false,
    };
}

/// The kind of an address, as far as this rule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// A public address.
    Public,
    /// Loopback (127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6).
    Loopback,
    /// Private or unique-local (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
    Private,
    /// Never a webhook endpoint: unspecified, link-local (and so the cloud metadata address
    /// 169.254.169.254), multicast, broadcast, documentation, benchmarking, reserved ranges.
    Forbidden,
}

/// The class of an address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4 mapped (::ffff:a.b.c.d) and the deprecated compatible form (::a.b.c.d) are
            // the IPv4 address they carry.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify_v4(v4);
            }
            let seg = v6.segments();
            if seg[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                return classify_v4(Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                ));
            }
            classify_v6(v6)
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        AddressClass::Private
    } else if ip.is_unspecified()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
    {
        AddressClass::Forbidden
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if first & 0xfe00 == 0xfc00 {
        AddressClass::Private
    } else if ip.is_unspecified()
        || ip.is_multicast()
        || first & 0xffc0 == 0xfe80 // link-local
        || first & 0xffc0 == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // NAT64: carries an IPv4 address
        || first == 0x2002
    // 6to4: carries an IPv4 address
    {
        AddressClass::Forbidden
    } else {
        AddressClass::Public
    }
}

/// Checks one address a webhook would connect to (INVALID_WEBHOOK_URL when the policy refuses it).
pub fn check_ip(ip: IpAddr, policy: &EndpointPolicy) -> Result<()> {
    let allowed = match classify(ip) {
        AddressClass::Public => true,
        AddressClass::Loopback => policy.allow_loopback,
        AddressClass::Private => policy.allow_private,
        AddressClass::Forbidden => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(err::invalid_webhook_url(format!(
            "webhook endpoints cannot point at {ip} ({:?} address)",
            classify(ip)
        )))
    }
}

/// The host part of a parsed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointHost {
    /// An address written in the URL (in any of its numeric forms, already parsed).
    Ip(IpAddr),
    /// A name, resolved at connection time.
    Name(String),
}

/// Checks a parsed webhook URL: scheme, userinfo, and the host when it is an address or a
/// loopback name (INVALID_WEBHOOK_URL otherwise).
pub fn check_url(
    scheme: &str,
    has_userinfo: bool,
    host: &EndpointHost,
    policy: &EndpointPolicy,
) -> Result<()> {
    match scheme {
        "https" => {}
        "http" if !policy.require_https => {}
        "http" => {
            return Err(err::invalid_webhook_url(
                "webhook endpoints must use https in live mode",
            ))
        }
        other => {
            return Err(err::invalid_webhook_url(format!(
                "webhook endpoints must be http or https URLs, not {other}"
            )))
        }
    }
    if has_userinfo {
        return Err(err::invalid_webhook_url(
            "webhook URLs cannot carry a user name or password",
        ));
    }
    match host {
        EndpointHost::Ip(ip) => check_ip(*ip, policy),
        EndpointHost::Name(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let loopback_name = name == "localhost" || name.ends_with(".localhost");
            if name.is_empty() {
                Err(err::invalid_webhook_url("a webhook URL needs a host"))
            } else if loopback_name && !policy.allow_loopback {
                Err(err::invalid_webhook_url(format!(
                    "webhook endpoints cannot point at {name} (loopback)"
                )))
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn classes() {
        for (a, class) in [
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.0.9", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("::127.0.0.1", AddressClass::Loopback),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.1", AddressClass::Private),
            ("192.168.0.1", AddressClass::Private),
            ("100.64.0.1", AddressClass::Private),
            ("fd00::1", AddressClass::Private),
            ("::ffff:10.0.0.1", AddressClass::Private),
            ("0.0.0.0", AddressClass::Forbidden),
            ("::", AddressClass::Forbidden),
            ("169.254.169.254", AddressClass::Forbidden),
            ("::ffff:169.254.169.254", AddressClass::Forbidden),
            ("fe80::1", AddressClass::Forbidden),
            ("224.0.0.1", AddressClass::Forbidden),
            ("255.255.255.255", AddressClass::Forbidden),
            ("2002:7f00:1::", AddressClass::Forbidden),
            ("64:ff9b::7f00:1", AddressClass::Forbidden),
            ("172.32.0.1", AddressClass::Public),
            ("8.8.8.8", AddressClass::Public),
            ("2606:4700::1111", AddressClass::Public),
        ] {
            assert_eq!(classify(ip(a)), class, "{a}");
        }
    }

    #[test]
    fn policies() {
        let code = |r: Result<()>| r.expect_err("refused").code();
        let sandbox = EndpointPolicy::SANDBOX;
        let live = EndpointPolicy::LIVE;
        assert!(check_ip(ip("127.0.0.1"), &sandbox).is_ok());
        assert_eq!(
            code(check_ip(ip("127.0.0.1"), &live)),
            ErrorCode::InvalidWebhookUrl
        );
        assert_eq!(
            code(check_ip(ip("10.0.0.1"), &sandbox)),
            ErrorCode::InvalidWebhookUrl
        );
        assert_eq!(
            code(check_ip(ip("0.0.0.0"), &sandbox)),
            ErrorCode::InvalidWebhookUrl
        );
        let private = EndpointPolicy {
            allow_private: true,
            ..sandbox
        };
        assert!(check_ip(ip("10.0.0.1"), &private).is_ok());
        assert_eq!(
            code(check_ip(ip("169.254.169.254"), &private)),
            ErrorCode::InvalidWebhookUrl
        );
        let name = |n: &str| EndpointHost::Name(n.to_owned());
        assert!(check_url("https", false, &name("hooks.example.com"), &live).is_ok());
        assert_eq!(
            code(check_url("http", false, &name("hooks.example.com"), &live)),
            ErrorCode::InvalidWebhookUrl
        );
        assert_eq!(
            code(check_url("ftp", false, &name("x"), &sandbox)),
            ErrorCode::InvalidWebhookUrl
        );
        assert_eq!(
            code(check_url("https", true, &name("x"), &sandbox)),
            ErrorCode::InvalidWebhookUrl
        );
        assert_eq!(
            code(check_url("https", false, &name("LocalHost."), &live)),
            ErrorCode::InvalidWebhookUrl
        );
        assert_eq!(
            code(check_url("https", false, &name("a.localhost"), &live)),
            ErrorCode::InvalidWebhookUrl
        );
        assert!(check_url("http", false, &name("localhost"), &sandbox).is_ok());
    }
}
