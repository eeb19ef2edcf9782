//! The encoded states of the mergeable accumulators (ridge, PCA): exact round trips, clear
//! errors on anything else, and merges in any order equal to one pass.

use fast_math::{Mat, Par};
use ml_pipeline::{
    Accumulator, Fit, FitIncremental, Pca, PcaAccumulator, PipelineError, Ridge, RidgeAccumulator,
    Target, ACCUMULATOR_STATE_VERSION,
};
use seeded_rng::Rng;

/// `n x k` features with correlated columns and a linear target with noise.
fn data(n: usize, k: usize, seed: u64) -> (Mat<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let x = Mat::from_fn(n, k, |_, j| {
        (j as f64 + 1.0) * rng.normal() + 0.5 * j as f64
    });
    let y = (0..n)
        .map(|i| (0..k).map(|j| x[(i, j)] * (j as f64 - 1.5)).sum::<f64>() + 0.1 * rng.normal())
        .collect();
    (x, y)
}

fn assert_rel(a: f64, b: f64, tol: f64, what: &str) {
    let scale = a.abs().max(b.abs()).max(1e-300);
    assert!((a - b).abs() <= tol * scale, "{what}: {a} vs {b}");
}

/// Row ranges that split `0..n` unevenly.
const SPLITS: [(usize, usize); 5] = [(0, 1), (1, 300), (300, 777), (777, 1500), (1500, 2000)];

fn ridge_parts(x: &Mat<f64>, y: &[f64]) -> Vec<RidgeAccumulator> {
    let k = x.ncols();
    SPLITS
        .iter()
        .map(|&(r0, r1)| {
            let mut acc = RidgeAccumulator::new(k);
            acc.update(
                x.as_ref().submatrix(r0, 0, r1 - r0, k),
                Target::Values(&y[r0..r1]),
            )
            .unwrap();
            acc
        })
        .collect()
}

#[test]
fn ridge_state_round_trips_bit_for_bit() {
    let (x, y) = data(2000, 5, 1);
    for acc in ridge_parts(&x, &y)
        .into_iter()
        .chain([RidgeAccumulator::new(5)])
    {
        let state = acc.to_state();
        assert_eq!(state.len(), RidgeAccumulator::state_len(5));
        assert_eq!(state[0], f64::from(ACCUMULATOR_STATE_VERSION));
        let back = RidgeAccumulator::from_state(5, &state).unwrap();
        assert_eq!(back, acc);
        assert_eq!(back.to_state(), state);
    }
}

#[test]
fn ridge_merges_of_decoded_states_in_any_order_equal_one_pass() {
    let (x, y) = data(2000, 5, 2);
    let mut whole = RidgeAccumulator::new(5);
    whole.update(x.as_ref(), Target::Values(&y)).unwrap();
    let ridge = Ridge {
        alpha: 0.5,
        fit_intercept: true,
    };
    let want = ridge.finish(&whole).unwrap();
    let states: Vec<Vec<f64>> = ridge_parts(&x, &y).iter().map(|a| a.to_state()).collect();
    for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]] {
        let mut acc = RidgeAccumulator::new(5);
        for i in order {
            acc.merge(&RidgeAccumulator::from_state(5, &states[i]).unwrap())
                .unwrap();
        }
        assert_eq!(acc.count(), 2000);
        let got = ridge.finish(&acc).unwrap();
        for (a, b) in got.coef.iter().zip(&want.coef) {
            assert_rel(*a, *b, 1e-12, "coefficient");
        }
        assert_rel(got.intercept, want.intercept, 1e-12, "intercept");
    }
}

#[test]
fn ridge_state_errors_name_what_is_wrong() {
    let (x, y) = data(50, 3, 3);
    let mut acc = RidgeAccumulator::new(3);
    acc.update(x.as_ref(), Target::Values(&y)).unwrap();
    let state = acc.to_state();
    let message = |r: Result<RidgeAccumulator, PipelineError>| {
        let e = r.unwrap_err();
        assert!(matches!(e, PipelineError::AccumulatorState { .. }), "{e}");
        e.to_string()
    };
    assert!(message(RidgeAccumulator::from_state(4, &state)).contains("made for 3 features"));
    assert!(
        message(RidgeAccumulator::from_state(3, &state[..state.len() - 1])).contains("expected 32")
    );
    let mut v2 = state.clone();
    v2[0] = 2.0;
    assert!(message(RidgeAccumulator::from_state(3, &v2)).contains("format version 2"));
    let pca = PcaAccumulator::new(3).to_state();
    assert!(message(RidgeAccumulator::from_state(3, &pca)).contains("kind 2"));
    let mut frac = state.clone();
    frac[3] = 1.5;
    assert!(message(RidgeAccumulator::from_state(3, &frac)).contains("count 1.5"));
    let mut nan = state.clone();
    nan[10] = f64::NAN;
    assert!(message(RidgeAccumulator::from_state(3, &nan)).contains("double-double"));
    let mut unnormalized = state;
    unnormalized[9] = 1.0;
    unnormalized[8] = 1e-30;
    assert!(message(RidgeAccumulator::from_state(3, &unnormalized)).contains("normalized"));
    assert!(message(RidgeAccumulator::from_state(3, &[])).contains("0 values"));
}

fn pca_parts(x: &Mat<f64>) -> Vec<PcaAccumulator> {
    let k = x.ncols();
    SPLITS
        .iter()
        .map(|&(r0, r1)| {
            let mut acc = PcaAccumulator::new(k);
            acc.update(x.as_ref().submatrix(r0, 0, r1 - r0, k), Target::None)
                .unwrap();
            acc
        })
        .collect()
}

#[test]
fn pca_state_round_trips_and_merges_in_any_order() {
    let (x, _) = data(2000, 6, 4);
    let parts = pca_parts(&x);
    for p in &parts {
        let back = PcaAccumulator::from_state(6, &p.to_state()).unwrap();
        assert_eq!(&back, p);
    }
    let mut whole = PcaAccumulator::new(6);
    whole.update(x.as_ref(), Target::None).unwrap();
    let pca = Pca { n_components: 3 };
    let want = pca.finish(&whole).unwrap();
    for order in [[0, 1, 2, 3, 4], [3, 1, 4, 0, 2]] {
        let mut acc = PcaAccumulator::new(6);
        for i in order {
            let decoded = PcaAccumulator::from_state(6, &parts[i].to_state()).unwrap();
            acc.merge(&decoded).unwrap();
        }
        let got = pca.finish(&acc).unwrap();
        let pairs = got
            .components
            .iter()
            .zip(&want.components)
            .chain(got.explained_variance.iter().zip(&want.explained_variance))
            .chain(got.mean.iter().zip(&want.mean));
        for (a, b) in pairs {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}

#[test]
fn pca_from_the_accumulator_equals_the_batch_fit() {
    let (x, _) = data(2000, 6, 5);
    let mut acc = PcaAccumulator::new(6);
    for p in pca_parts(&x) {
        acc.merge(&p).unwrap();
    }
    let pca = Pca { n_components: 4 };
    let got = pca.finish(&acc).unwrap();
    let want = pca.fit(x.as_ref(), Target::None, Par::Seq).unwrap();
    // Same sign convention, so the components agree as they are.
    for (a, b) in got.components.iter().zip(&want.components) {
        assert!((a - b).abs() <= 1e-9, "component {a} vs {b}");
    }
    for (a, b) in got
        .explained_variance
        .iter()
        .zip(&want.explained_variance)
        .chain(
            got.explained_variance_ratio
                .iter()
                .zip(&want.explained_variance_ratio),
        )
        .chain(got.mean.iter().zip(&want.mean))
    {
        assert_rel(*a, *b, 1e-10, "variance or mean");
    }
    // The covariance against the two-pass textbook formula.
    let cov = acc.covariance().unwrap();
    let n = x.nrows();
    for i in 0..6 {
        for j in 0..6 {
            let s: f64 = (0..n)
                .map(|t| (x[(t, i)] - want.mean[i]) * (x[(t, j)] - want.mean[j]))
                .sum();
            let want = s / (n - 1) as f64;
            assert!((cov[(i, j)] - want).abs() <= 1e-11 * want.abs().max(1.0));
        }
    }
}

#[test]
fn pca_accumulator_errors() {
    let pca = Pca { n_components: 2 };
    assert!(matches!(
        pca.finish(&PcaAccumulator::new(3)),
        Err(PipelineError::EmptyData { .. })
    ));
    let mut acc = PcaAccumulator::new(3);
    acc.update(Mat::from_fn(1, 3, |_, j| j as f64).as_ref(), Target::None)
        .unwrap();
    // One row: at most one component.
    assert!(matches!(
        pca.finish(&acc),
        Err(PipelineError::InvalidHyperparameter { .. })
    ));
    assert!(acc.covariance().is_none());
    let wide = Mat::from_fn(2, 4, |_, _| 0.0);
    assert!(matches!(
        acc.update(wide.as_ref(), Target::None),
        Err(PipelineError::ShapeMismatch { .. })
    ));
    let bad = Mat::from_fn(2, 3, |i, _| if i == 1 { f64::NAN } else { 0.0 });
    assert!(matches!(
        acc.update(bad.as_ref(), Target::None),
        Err(PipelineError::NonFinite { row: 1, .. })
    ));
    assert!(PcaAccumulator::from_state(3, &RidgeAccumulator::new(2).to_state()).is_err());
}
