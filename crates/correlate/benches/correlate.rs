//! Observations per second for `event_count` with 10k groups.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use phiwatch_correlate::{CorrelationConfig, Correlator, Observation, RuleName};
use phiwatch_event::{Origin, Timestamp};

const GROUPS: usize = 10_000;
const EVENTS: usize = 100_000;

const RULE: &str = "title: many\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [User]\n  timespan: 1h\n  condition:\n    gte: 1000\n";

fn correlator() -> Correlator {
    let collection = rsigma_parser::parse_sigma_yaml(RULE).expect("yaml");
    let base = [RuleName {
        id: None,
        name: Some("a".into()),
    }];
    let (c, errors) = Correlator::build(
        &collection.correlations,
        &base,
        CorrelationConfig::default(),
    );
    assert!(errors.is_empty());
    c
}

fn bench(c: &mut Criterion) {
    let users: Vec<String> = (0..GROUPS).map(|i| format!("user{i:05}")).collect();
    let mut group = c.benchmark_group("correlate");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.bench_function("event_count_10k_groups", |b| {
        b.iter_batched(
            correlator,
            |mut corr| {
                let mut out = Vec::new();
                let matched = [0usize];
                for i in 0..EVENTS {
                    let user = &users[(i * 7919) % GROUPS];
                    let field = |name: &str| (name == "User").then(|| user.clone());
                    let obs = Observation {
                        time: Timestamp::from_nanos(i as i64 * 10_000_000),
                        origin: Origin::default(),
                        matched: &matched,
                        field: &field,
                    };
                    corr.observe(&obs, &mut out);
                }
                assert_eq!(corr.group_count(0), GROUPS);
                out.len()
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
