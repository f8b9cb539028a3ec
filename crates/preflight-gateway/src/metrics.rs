//! The gateway's Prometheus metrics. Labels are coarse words (outcome, rule,
//! kind): never an id, a model name or anything a caller sent.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
    pub streamed: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabel {
    pub rule: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenKindLabel {
    pub kind: &'static str,
}

#[derive(Clone, Debug)]
pub struct GatewayMetrics {
    pub calls: Family<OutcomeLabel, Counter>,
    pub refusals: Family<RuleLabel, Counter>,
    pub tokens: Family<TokenKindLabel, Counter>,
    /// Time the gateway adds: to the whole answer for plain calls, to the
    /// first byte for streams.
    pub added_latency: Histogram,
    /// Upstream time to first byte.
    pub upstream_first_byte: Histogram,
}

impl Default for GatewayMetrics {
    fn default() -> Self {
        Self {
            calls: Family::default(),
            refusals: Family::default(),
            tokens: Family::default(),
            added_latency: Histogram::new(exponential_buckets(0.000_025, 2.0, 18)),
            upstream_first_byte: Histogram::new(exponential_buckets(0.000_1, 2.0, 20)),
        }
    }
}

impl GatewayMetrics {
    /// Registers the metrics (shared handles) in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "gateway_calls",
            "Calls relayed to the model, by outcome",
            self.calls.clone(),
        );
        registry.register(
            "gateway_refusals",
            "Calls refused before reaching the model, by rule",
            self.refusals.clone(),
        );
        registry.register(
            "gateway_tokens",
            "Tokens used through the gateway, by kind",
            self.tokens.clone(),
        );
        registry.register(
            "gateway_added_latency_seconds",
            "Time the gateway adds to a call (to the first byte for streams)",
            self.added_latency.clone(),
        );
        registry.register(
            "gateway_upstream_first_byte_seconds",
            "Upstream time to first byte",
            self.upstream_first_byte.clone(),
        );
    }

    pub fn refused(&self, rule: &str) {
        self.refusals
            .get_or_create(&RuleLabel {
                rule: rule.to_owned(),
            })
            .inc();
    }
}
