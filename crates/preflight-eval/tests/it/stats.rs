//! Statistics against reference values computed once with numpy 2.4.6,
//! scipy 1.17.1 and statsmodels 0.15.0 (the call that gave each number is
//! next to it).

use std::collections::BTreeMap;

use preflight_eval::Error;
use preflight_eval::stats::paired::{mcnemar_chi_square, mcnemar_exact};
use preflight_eval::stats::{
    Bootstrap, EpochReducer, Interval, McNemarMethod, Metric, SampleScores, Z_95, accuracy,
    bootstrap_mean, by_tag, compare_paired, mcnemar, pass_at_k, stderr, summarise, wilson,
};

#[track_caller]
fn close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn the_normal_quantile() {
    // scipy.stats.norm.ppf(0.975)
    assert_eq!(Z_95, 1.959963984540054);
}

#[test]
fn wilson_intervals_match_statsmodels() {
    // statsmodels.stats.proportion.proportion_confint(s, n, alpha=0.05, method="wilson")
    let cases: [(u64, u64, f64, f64); 6] = [
        (7, 10, 0.39677814746114537, 0.8922087325936989),
        (0, 10, 0.0, 0.27753279986288926),
        (10, 10, 0.7224672001371106, 1.0),
        (45, 100, 0.35614537979511973, 0.5475539700255787),
        (1, 1, 0.2065493143772374, 1.0),
        (500, 609, 0.788589458843446, 0.8494222069345366),
    ];
    for (s, n, lower, upper) in cases {
        let got = wilson(s, n).expect("defined");
        close(got.lower, lower, 1e-12, &format!("wilson({s}, {n}) lower"));
        close(got.upper, upper, 1e-12, &format!("wilson({s}, {n}) upper"));
    }
    assert_eq!(wilson(0, 0), None);
    assert_eq!(wilson(3, 2), None);
}

const VALUES: [f64; 20] = [
    0.12, 0.85, 0.43, 0.91, 0.05, 0.66, 0.38, 0.77, 0.29, 0.54, 0.95, 0.18, 0.61, 0.47, 0.83, 0.02,
    0.71, 0.36, 0.58, 0.24,
];

#[test]
fn accuracy_and_standard_error_match_numpy() {
    // a.mean(); a.std(ddof=1) / sqrt(len(a))
    close(
        accuracy(&VALUES).expect("mean"),
        0.49749999999999994,
        1e-12,
        "mean",
    );
    close(
        stderr(&VALUES).expect("stderr"),
        0.06480283863178249,
        1e-12,
        "stderr",
    );
    let binary = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0];
    close(
        stderr(&binary).expect("stderr"),
        0.15275252316519464,
        1e-12,
        "binary stderr",
    );
    assert_eq!(accuracy(&[]), None);
    assert_eq!(stderr(&[1.0]), None);
}

#[test]
fn bootstrap_is_deterministic_and_agrees_with_scipy() {
    let default = Bootstrap::default();
    assert_eq!((default.resamples, default.seed), (1000, 0));
    let a = bootstrap_mean(&VALUES, default).expect("defined");
    assert_eq!(
        a,
        bootstrap_mean(&VALUES, default).expect("defined"),
        "same seed, same interval"
    );
    let other = bootstrap_mean(&VALUES, Bootstrap { seed: 1, ..default }).expect("defined");
    assert_ne!(a, other, "another seed, another draw");
    assert!(a.lower < 0.4975 && 0.4975 < a.upper);

    // scipy.stats.bootstrap((a,), np.mean, n_resamples=200000, method="percentile",
    //     confidence_level=0.95, random_state=np.random.default_rng(0))
    // gives (0.373, 0.6205); another generator agrees to Monte Carlo error.
    let many = bootstrap_mean(
        &VALUES,
        Bootstrap {
            resamples: 20_000,
            seed: 0,
        },
    )
    .expect("defined");
    close(many.lower, 0.373, 0.01, "bootstrap lower");
    close(many.upper, 0.6205, 0.01, "bootstrap upper");

    assert_eq!(bootstrap_mean(&[], default), None);
    assert_eq!(
        bootstrap_mean(&[1.0; 5], default),
        Some(Interval {
            lower: 1.0,
            upper: 1.0
        })
    );
}

#[test]
fn pass_at_k_matches_the_combinatorial_formula() {
    // Python: 1.0 if n - c < k else 1 - math.comb(n - c, k) / math.comb(n, k)
    let cases: [(u64, u64, u64, f64); 9] = [
        (10, 3, 1, 0.30000000000000004),
        (10, 3, 5, 0.9166666666666666),
        (200, 13, 10, 0.4975511147306061),
        (20, 4, 3, 0.5087719298245614),
        (100, 1, 1, 0.010000000000000009),
        (5, 5, 5, 1.0), // n = k, every attempt passed
        (5, 2, 5, 1.0), // n = k with a pass
        (5, 1, 5, 1.0), // n − c < k
        (5, 0, 3, 0.0), // c = 0
    ];
    for (n, c, k, want) in cases {
        close(
            pass_at_k(n, c, k).expect("defined"),
            want,
            1e-12,
            &format!("pass@{k} n={n} c={c}"),
        );
    }
    assert_eq!(
        pass_at_k(5, 0, 5).expect("defined"),
        0.0,
        "n = k with no pass"
    );
    for (n, c, k) in [(5, 2, 0), (5, 2, 6), (5, 6, 1)] {
        let err = pass_at_k(n, c, k).expect_err("out of range");
        assert!(matches!(err, Error::PassAtK { .. }), "{err}");
    }
}

#[test]
fn epoch_reducers() {
    let cases: [(EpochReducer, &[f64], f64); 9] = [
        (EpochReducer::Mean, &[1.0, 0.0, 1.0, 1.0], 0.75),
        (EpochReducer::Max, &[0.0, 0.5, 0.25], 0.5),
        (EpochReducer::Mode, &[1.0, 0.0, 1.0], 1.0),
        (EpochReducer::Mode, &[0.0, 1.0, 1.0, 0.0], 0.0), // a tie goes to the value reached first
        (EpochReducer::Mode, &[0.5], 0.5),
        (EpochReducer::AtLeastK(2), &[1.0, 0.0, 1.0], 1.0),
        (EpochReducer::AtLeastK(2), &[1.0, 0.0, 0.0], 0.0),
        (EpochReducer::AtLeastK(1), &[0.0, 0.9], 0.0),
        (EpochReducer::AtLeastK(3), &[1.0, 1.0, 1.0], 1.0),
    ];
    for (reducer, values, want) in cases {
        assert_eq!(
            reducer.reduce(values).expect("defined"),
            want,
            "{reducer:?} {values:?}"
        );
    }
    assert!(matches!(
        EpochReducer::Mean.reduce(&[]),
        Err(Error::NoValues { .. })
    ));
    assert!(matches!(
        EpochReducer::AtLeastK(0).reduce(&[1.0]),
        Err(Error::AtLeastK { k: 0 })
    ));
}

fn scores(id: &str, tags: &[&str], epochs: &[f64]) -> SampleScores {
    SampleScores {
        id: id.to_owned(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        epochs: epochs.to_vec(),
    }
}

#[test]
fn summaries_reduce_epochs_and_break_down_by_tag() {
    let samples = [
        scores("a", &["easy"], &[1.0, 1.0, 0.0]),
        scores("b", &["easy"], &[0.0, 0.0, 0.0]),
        scores("c", &["hard"], &[1.0, 0.0, 0.0]),
        scores("d", &["hard", "easy"], &[1.0, 1.0, 1.0]),
    ];
    let all = [
        Metric::Accuracy,
        Metric::Stderr,
        Metric::Wilson,
        Metric::Bootstrap,
        Metric::PassAtK,
    ];
    let s = summarise(&samples, EpochReducer::Mode, &all, Bootstrap::default()).expect("summary");
    // Mode per sample: 1, 0, 0, 1.
    assert_eq!(s.samples, 4);
    assert_eq!(s.accuracy, Some(0.5));
    close(
        s.stderr.expect("stderr"),
        0.28867513459481287,
        1e-12,
        "stderr of [1,0,0,1]",
    );
    // proportion_confint(2, 4, method="wilson")
    let w = s.wilson.expect("binary values");
    close(w.lower, 0.15003898915214947, 1e-12, "wilson lower");
    close(w.upper, 0.8499610108478506, 1e-12, "wilson upper");
    assert!(s.bootstrap.is_some());
    // Per sample (n=3): c = 2, 0, 1, 3. pass@1 = mean(c/3) = 0.5;
    // pass@2 = mean(1, 0, 2/3, 1); pass@3 = mean(1, 0, 1, 1).
    close(s.pass_at_k[&1], 0.5, 1e-12, "pass@1");
    close(
        s.pass_at_k[&2],
        (1.0 + 0.0 + 2.0 / 3.0 + 1.0) / 4.0,
        1e-12,
        "pass@2",
    );
    close(s.pass_at_k[&3], 0.75, 1e-12, "pass@3");

    let mean = summarise(
        &samples,
        EpochReducer::Mean,
        &[Metric::Accuracy, Metric::Wilson],
        Bootstrap::default(),
    )
    .expect("summary");
    close(
        mean.accuracy.expect("accuracy"),
        (2.0 / 3.0 + 0.0 + 1.0 / 3.0 + 1.0) / 4.0,
        1e-12,
        "mean",
    );
    assert_eq!(
        mean.wilson, None,
        "no Wilson interval for fractional values"
    );
    assert_eq!(mean.stderr, None, "not asked for");

    let tags = by_tag(
        &samples,
        EpochReducer::Mode,
        &[Metric::Accuracy],
        Bootstrap::default(),
    )
    .expect("tags");
    assert_eq!(tags.keys().collect::<Vec<_>>(), ["easy", "hard"]);
    assert_eq!(
        (tags["easy"].samples, tags["easy"].accuracy),
        (3, Some(2.0 / 3.0))
    );
    assert_eq!(
        (tags["hard"].samples, tags["hard"].accuracy),
        (2, Some(0.5))
    );

    assert!(matches!(
        summarise(&[], EpochReducer::Mean, &all, Bootstrap::default()),
        Err(Error::NoValues { .. })
    ));
}

#[test]
fn mcnemar_matches_statsmodels() {
    // statsmodels.stats.contingency_tables.mcnemar([[10, b], [c, 10]], exact=True)
    // and (..., exact=False, correction=True): (statistic, p-value).
    let cases: [(u64, u64, f64, f64, f64, f64); 6] = [
        (
            3,
            9,
            3.0,
            0.14599609375,
            2.0833333333333335,
            0.14891467317876161,
        ),
        (1, 7, 1.0, 0.0703125, 3.125, 0.07709987174354202),
        (0, 5, 0.0, 0.0625, 3.2, 0.07363827012030258),
        (
            12,
            30,
            12.0,
            0.007915897334896727,
            6.880952380952381,
            0.008711912962379598,
        ),
        (
            25,
            40,
            25.0,
            0.08168153394154003,
            3.0153846153846153,
            0.08247788747320971,
        ),
        (
            30,
            12,
            12.0,
            0.007915897334896727,
            6.880952380952381,
            0.008711912962379598,
        ),
    ];
    for (b, c, exact_stat, exact_p, chi_stat, chi_p) in cases {
        let e = mcnemar_exact(b, c);
        assert_eq!(e.method, McNemarMethod::ExactBinomial);
        close(
            e.statistic,
            exact_stat,
            0.0,
            &format!("exact statistic {b},{c}"),
        );
        close(e.p_value, exact_p, 1e-12, &format!("exact p {b},{c}"));
        let x = mcnemar_chi_square(b, c);
        assert_eq!(x.method, McNemarMethod::ChiSquareCorrected);
        close(
            x.statistic,
            chi_stat,
            1e-12,
            &format!("chi-square statistic {b},{c}"),
        );
        close(x.p_value, chi_p, 1e-12, &format!("chi-square p {b},{c}"));
    }
    // b = c: statsmodels computes (|b − c| − 1)² / (b + c) = 0.25 for (2, 2); the
    // correction is clamped at 0 here, so the statistic is 0 and p is 1.
    assert_eq!(mcnemar_chi_square(2, 2).p_value, 1.0);
    close(mcnemar_exact(2, 2).p_value, 1.0, 0.0, "exact (2, 2)");
    assert_eq!(mcnemar_exact(0, 0).p_value, 1.0);
    assert_eq!(mcnemar_chi_square(0, 0).p_value, 1.0);

    // Automatic choice: exact below 25 discordant pairs.
    assert_eq!(mcnemar(3, 9).method, McNemarMethod::ExactBinomial);
    assert_eq!(mcnemar(12, 12).method, McNemarMethod::ExactBinomial);
    assert_eq!(mcnemar(12, 13).method, McNemarMethod::ChiSquareCorrected);
    assert_eq!(mcnemar(12, 30).method, McNemarMethod::ChiSquareCorrected);
}

fn run(values: &[(&str, f64)]) -> BTreeMap<String, f64> {
    values.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn paired_comparisons_match_on_sample_ids() {
    // 12 samples: both right on 2, A only on 9, B only on 1 (listed out of order).
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 0..12 {
        let id = format!("s{i:02}");
        let (x, y) = match i {
            0 | 1 => (1.0, 1.0),
            2 => (0.0, 1.0),
            _ => (1.0, 0.0),
        };
        a.push((id.clone(), x));
        b.push((id, y));
    }
    b.reverse();
    let a: BTreeMap<String, f64> = a.into_iter().collect();
    let b: BTreeMap<String, f64> = b.into_iter().collect();
    let p = compare_paired(&a, &b, Bootstrap::default()).expect("paired");
    assert_eq!(p.samples, 12);
    close(p.mean_a, 11.0 / 12.0, 1e-12, "mean a");
    close(p.mean_b, 3.0 / 12.0, 1e-12, "mean b");
    close(p.difference, 8.0 / 12.0, 1e-12, "difference");
    let interval = p.interval.expect("an interval");
    assert!(
        interval.lower > 0.0 && interval.upper <= 1.0,
        "{interval:?}"
    );
    assert_eq!(
        p,
        compare_paired(&a, &b, Bootstrap::default()).expect("paired"),
        "seeded"
    );
    let m = p.mcnemar.expect("binary outcomes");
    assert_eq!(
        (m.only_a, m.only_b, m.method),
        (9, 1, McNemarMethod::ExactBinomial)
    );
    // mcnemar([[2, 9], [1, 0]], exact=True).pvalue = 2 * binom.cdf(1, 10, 0.5)
    close(m.p_value, 0.021484375, 1e-12, "exact p");

    let fractional = compare_paired(
        &run(&[("x", 0.5)]),
        &run(&[("x", 1.0)]),
        Bootstrap::default(),
    )
    .expect("paired");
    assert_eq!(fractional.mcnemar, None);
    close(fractional.difference, -0.5, 0.0, "difference");

    let err = compare_paired(
        &run(&[("x", 1.0), ("y", 0.0)]),
        &run(&[("x", 1.0), ("z", 1.0)]),
        Bootstrap::default(),
    )
    .expect_err("unpaired");
    assert_eq!(
        err.to_string(),
        "paired comparison needs the same sample ids in both runs: only in the first \"y\", only in the second \"z\""
    );
}
