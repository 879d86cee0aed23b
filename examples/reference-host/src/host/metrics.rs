//! What the host counts for `GET /metrics` (Prometheus text format 0.0.4): requests by route,
//! method and status, their latency, the size of each committed group-commit batch, webhook
//! delivery attempts by result, the outbox's depth (read at scrape time), and, with a chain
//! scanner, the node's head, the last scanned block and the lag between them.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// The host's metrics, registered in their own registry (no global state).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    batch: Histogram,
    contended: IntCounter,
    ahead: IntCounter,
    deliveries: IntCounterVec,
    outbox: IntGauge,
    chain: IntGaugeVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh set of metrics, all at zero (longer than the usual limit: one declaration per
    /// metric, read best in one place).
    pub fn new() -> Metrics {
        let registry = Registry::new();
        // The names and label sets are fixed here; registering them cannot clash.
        let requests = IntCounterVec::new(
            Opts::new("waas_http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "waas_http_request_duration_seconds",
                "Time from a request's headers to its answer",
            )
            .buckets(prometheus::exponential_buckets(0.0005, 2.0, 15).expect("valid buckets")),
            &["route"],
        )
        .expect("valid metric");
        let batch = Histogram::with_opts(
            HistogramOpts::new(
                "waas_commit_batch_operations",
                "Operations committed together by one group commit",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
        )
        .expect("valid metric");
        let contended = IntCounter::new(
            "waas_contended_operations_total",
            "Operations that met a wallet row held by another batch and were run again on their own",
        )
        .expect("valid metric");
        let ahead = IntCounter::new(
            "waas_wallets_loaded_ahead_total",
            "Wallets an operation loaded (and on PostgreSQL locked) for operations waiting behind it in its batch",
        )
        .expect("valid metric");
        let deliveries = IntCounterVec::new(
            Opts::new(
                "waas_webhook_attempts_total",
                "Webhook delivery attempts by result (delivered, failed, dead)",
            ),
            &["result"],
        )
        .expect("valid metric");
        let outbox = IntGauge::new(
            "waas_outbox_pending",
            "Webhook events waiting for delivery, parked ones (no working endpoint) aside (read at scrape time)",
        )
        .expect("valid metric");
        let chain = IntGaugeVec::new(
            Opts::new(
                "waas_chain_block",
                "Chain scanner: the node's head, the last scanned block, and the lag between them",
            ),
            &["chain", "kind"],
        )
        .expect("valid metric");
        for m in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(batch.clone()),
            Box::new(contended.clone()),
            Box::new(ahead.clone()),
            Box::new(deliveries.clone()),
            Box::new(outbox.clone()),
            Box::new(chain.clone()),
        ] {
            registry.register(m).expect("distinct metric names");
        }
        Metrics {
            registry,
            requests,
            latency,
            batch,
            contended,
            ahead,
            deliveries,
            outbox,
            chain,
        }
    }

    /// Counts an answered request and its latency.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency.with_label_values(&[route]).observe(seconds);
    }

    /// Counts a committed batch of `operations`.
    pub fn batch(&self, operations: usize) {
        self.batch.observe(operations as f64);
    }

    /// Counts an operation run again on its own after meeting a row another batch held.
    pub fn contended(&self) {
        self.contended.inc();
    }

    /// Counts wallets loaded ahead for waiting operations.
    pub fn loaded_ahead(&self, wallets: usize) {
        self.ahead
            .inc_by(u64::try_from(wallets).unwrap_or(u64::MAX));
    }

    /// Counts a webhook delivery attempt (`delivered`, `failed` or `dead`).
    pub fn delivery(&self, result: &str) {
        self.deliveries.with_label_values(&[result]).inc();
    }

    /// Sets the chain scanner's figures.
    pub fn chain(&self, chain: &str, head: u64, scanned: u64) {
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.chain
            .with_label_values(&[chain, "head"])
            .set(as_i64(head));
        self.chain
            .with_label_values(&[chain, "scanned"])
            .set(as_i64(scanned));
        self.chain
            .with_label_values(&[chain, "lag"])
            .set(as_i64(head.saturating_sub(scanned)));
    }

    /// The text exposition, with the outbox depth as given.
    pub fn render(&self, outbox_pending: i64) -> String {
        self.outbox.set(outbox_pending);
        let mut out = Vec::new();
        // Encoding into memory fails only on a malformed family, which the fixed names exclude.
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "metrics encoding");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::new();
        m.request("GET", "/v1/accounts", 200, 0.002);
        m.batch(3);
        m.contended();
        m.delivery("delivered");
        m.chain("local", 10, 7);
        let text = m.render(4);
        assert!(
            text.contains("# TYPE waas_http_requests_total counter"),
            "{text}"
        );
        assert!(text.contains(
            "waas_http_requests_total{method=\"GET\",route=\"/v1/accounts\",status=\"200\"} 1"
        ));
        assert!(text.contains("waas_outbox_pending 4"));
        assert!(text.contains("waas_contended_operations_total 1"));
        assert!(text.contains("waas_chain_block{chain=\"local\",kind=\"lag\"} 3"));
        assert!(text.contains("waas_commit_batch_operations_count 1"));
    }
}
