//! Webhook endpoints the host may deliver to: URLs are parsed (every numeric form of an address
//! included) and checked by the core's rule (`waas_core::endpoint`) when they are configured and
//! again before each delivery; names are resolved by [`GuardedResolver`], which hands the socket
//! only addresses the rule allows, so DNS rebinding cannot reach inside. Redirects are never
//! followed.

use super::error::ApiError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use waas_core::endpoint::{check_ip, check_url, EndpointHost, EndpointPolicy};

/// Checks a webhook URL against the policy (INVALID_WEBHOOK_URL otherwise).
pub fn check(url: &str, policy: &EndpointPolicy) -> Result<(), ApiError> {
    let parsed = url::Url::parse(url).map_err(|e| {
        ApiError::new(
            waas_core::ErrorCode::InvalidWebhookUrl,
            format!("webhook URL {url:?} is not a URL: {e}"),
        )
    })?;
    let host = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => EndpointHost::Ip(ip.into()),
        Some(url::Host::Ipv6(ip)) => EndpointHost::Ip(ip.into()),
        Some(url::Host::Domain(name)) => EndpointHost::Name(name.to_owned()),
        None => EndpointHost::Name(String::new()),
    };
    let userinfo = !parsed.username().is_empty() || parsed.password().is_some();
    Ok(check_url(parsed.scheme(), userinfo, &host, policy)?)
}

/// Resolves names for webhook deliveries and keeps only the addresses the policy allows.
pub struct GuardedResolver {
    policy: EndpointPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| check_ip(a.ip(), &policy).is_ok())
                .collect();
            if allowed.is_empty() {
                let why = found
                    .first()
                    .map(|a| {
                        format!(
                            "{host} resolves to {}, where webhooks are not delivered",
                            a.ip()
                        )
                    })
                    .unwrap_or_else(|| format!("{host} does not resolve"));
                return Err(why.into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Longest wait for a webhook endpoint to accept the TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest whole delivery attempt, connection included, until the response's status arrives.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client of webhook deliveries: guarded resolution, no redirects, bounded times.
pub fn client(policy: EndpointPolicy) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(RESPONSE_TIMEOUT)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_forms_of_loopback_are_all_refused_when_loopback_is() {
        let live = EndpointPolicy::LIVE;
        let no_loopback = EndpointPolicy {
            allow_loopback: false,
            ..EndpointPolicy::SANDBOX
        };
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "http://LOCALHOST./hook",
            "http://0.0.0.0/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://user:pass@127.0.0.1/",
            "http://user@hooks.example.com/",
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[fd00::1]/",
            "ftp://hooks.example.com/",
            "not a url",
        ] {
            let e = check(url, &no_loopback).expect_err(url);
            assert_eq!(e.code().as_str(), "INVALID_WEBHOOK_URL", "{url}");
            assert!(check(url, &live).is_err(), "{url}");
        }
        assert!(check("http://127.0.0.1:9000/hook", &EndpointPolicy::SANDBOX).is_ok());
        assert!(check("https://hooks.example.com/x", &live).is_ok());
        assert!(check("http://hooks.example.com/x", &live).is_err());
    }
}
