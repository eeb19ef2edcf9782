//! Datasets binned ahead, chunk by chunk (`GbdtParams::dataset_builder`): they train the
//! model the matrix trains, bit for bit, whatever the chunks, and they refuse what does not
//! fit with typed errors.

use fast_math::{Mat, MatRef, Par};
use ml_pipeline::models::{GbdtDataset, GbdtParams, Objective, TrainExtras, Validation};
use ml_pipeline::PipelineError;
use seeded_rng::Rng;

/// Rows with a signal in features 0 to 2, ties (feature 3 takes few values) and NaNs.
fn data(n: usize, k: usize, seed: u64) -> (Mat<f64>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let x = Mat::from_fn(n, k, |_, j| {
        if rng.uniform() < 0.1 {
            f64::NAN
        } else if j == 3 {
            (rng.uniform() * 5.0).floor()
        } else {
            rng.normal()
        }
    });
    let y = (0..n)
        .map(|i| {
            let v = |j| {
                let v: f64 = x[(i, j)];
                if v.is_nan() {
                    0.3
                } else {
                    v
                }
            };
            (if v(0) > 0.2 { 1.5 } else { -1.0 }) + v(1) * v(2) + 0.1 * v(3)
        })
        .collect();
    (x, y)
}

/// Rows `rows` of `x`, as a matrix.
fn take(x: &Mat<f64>, rows: &[usize]) -> Mat<f64> {
    Mat::from_fn(rows.len(), x.ncols(), |s, j| x[(rows[s], j)])
}

/// The dataset of `x` built from chunks of the given sizes (cycled), each a row-major copy,
/// as a reader of a file would hand them.
fn chunked(p: &GbdtParams, x: &Mat<f64>, sizes: &[usize], par: Par) -> GbdtDataset {
    let sample = take(x, &p.binning_sample(x.nrows()));
    let mut b = p.dataset_builder(x.nrows(), sample.as_ref(), par).unwrap();
    let (mut start, mut c) = (0, 0);
    while start < x.nrows() {
        let end = (start + sizes[c % sizes.len()]).min(x.nrows());
        let mut buf = Vec::with_capacity((end - start) * x.ncols());
        for i in start..end {
            buf.extend((0..x.ncols()).map(|j| x[(i, j)]));
        }
        b.push(MatRef::from_row_major(&buf, end - start, x.ncols()))
            .unwrap();
        assert_eq!(b.pushed(), end);
        start = end;
        c += 1;
    }
    b.finish().unwrap()
}

#[test]
fn a_chunked_dataset_trains_the_matrixs_model_bit_for_bit() {
    let (x, y) = data(3000, 6, 5);
    let (xv, yv) = data(500, 6, 6);
    let classes: Vec<f64> = y
        .iter()
        .map(|&v| f64::from(u8::from(v > 0.0) + u8::from(v > 1.5)))
        .collect();
    let binary: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v > 0.5))).collect();
    for (objective, labels) in [
        (Objective::Regression, &y),
        (Objective::Binary, &binary),
        (Objective::Multiclass { n_classes: 3 }, &classes),
        (Objective::Quantile { alpha: 0.8 }, &y),
    ] {
        for sample_cnt in [700, 200_000] {
            let p = GbdtParams {
                objective,
                n_estimators: 12,
                num_leaves: 15,
                min_data_in_leaf: 5,
                bin_construct_sample_cnt: sample_cnt,
                ..GbdtParams::default()
            };
            let valid_y = if objective == Objective::Regression {
                Some(&yv)
            } else {
                None
            };
            let extras = || TrainExtras {
                valid: valid_y.map(|vy| Validation {
                    x: xv.as_ref(),
                    y: vy,
                    weights: None,
                }),
                ..TrainExtras::default()
            };
            let whole = p.train(x.as_ref(), labels, extras(), Par::Seq).unwrap();
            for sizes in [&[3000][..], &[1, 999, 2048], &[4096]] {
                let d = chunked(&p, &x, sizes, Par::Rayon(2));
                assert_eq!((d.rows(), d.features()), (3000, 6));
                let t = p
                    .train_dataset(&d, labels, extras(), Par::Rayon(2))
                    .unwrap();
                assert_eq!(
                    t.to_xgboost_json(),
                    whole.to_xgboost_json(),
                    "{objective:?}, sample {sample_cnt}, chunks {sizes:?}"
                );
                assert_eq!(t.valid_metric, whole.valid_metric);
                assert_eq!(t.split_count, whole.split_count);
            }
        }
    }
}

#[test]
fn the_binning_sample_is_the_seeded_sample_of_the_asked_size() {
    let p = GbdtParams {
        bin_construct_sample_cnt: 100,
        ..GbdtParams::default()
    };
    let s = p.binning_sample(1000);
    assert_eq!(s.len(), 100);
    assert!(s.windows(2).all(|w| w[0] < w[1]) && s[99] < 1000);
    assert_eq!(s, p.binning_sample(1000));
    let other = GbdtParams {
        seed: 1,
        ..p.clone()
    };
    assert_ne!(s, other.binning_sample(1000));
    assert_eq!(p.binning_sample(60), (0..60).collect::<Vec<_>>());
}

fn shape_error(e: PipelineError) -> (&'static str, usize, usize) {
    match e {
        PipelineError::ShapeMismatch {
            what,
            expected,
            got,
        } => (what, expected, got),
        other => panic!("expected a shape error, got {other:?}"),
    }
}

#[test]
fn what_does_not_fit_is_refused() {
    let (x, y) = data(300, 4, 9);
    let p = GbdtParams {
        bin_construct_sample_cnt: 100,
        n_estimators: 3,
        ..GbdtParams::default()
    };
    let sample = take(&x, &p.binning_sample(300));
    // The sample must have the sample's rows.
    let short = take(&x, &[0, 1, 2]);
    let e = p
        .dataset_builder(300, short.as_ref(), Par::Seq)
        .unwrap_err();
    assert_eq!(
        shape_error(e),
        ("sample rows vs binning_sample(rows)", 100, 3)
    );
    assert!(matches!(
        p.dataset_builder(0, sample.as_ref(), Par::Seq),
        Err(PipelineError::EmptyData { rows: 0, .. })
    ));
    let bad = GbdtParams {
        max_bin: 0,
        ..p.clone()
    };
    assert!(matches!(
        bad.dataset_builder(300, sample.as_ref(), Par::Seq),
        Err(PipelineError::InvalidHyperparameter {
            name: "max_bin",
            ..
        })
    ));
    // Chunks: the sample's columns, no more rows than announced, all of them at the end.
    let mut b = p.dataset_builder(300, sample.as_ref(), Par::Seq).unwrap();
    let three_cols = Mat::from_fn(10, 3, |_, _| 0.0);
    let e = b.push(three_cols.as_ref()).unwrap_err();
    assert_eq!(shape_error(e), ("chunk columns vs sample columns", 4, 3));
    b.push(x.as_ref()).unwrap();
    let e = b.push(take(&x, &[0]).as_ref()).unwrap_err();
    assert_eq!(
        shape_error(e),
        ("rows pushed vs the dataset's rows", 300, 301)
    );
    assert_eq!(b.pushed(), 300);
    let d = b.finish().unwrap();
    let mut b = p.dataset_builder(300, sample.as_ref(), Par::Seq).unwrap();
    b.push(take(&x, &[0, 1]).as_ref()).unwrap();
    let e = b.finish().unwrap_err();
    assert_eq!(
        shape_error(e),
        ("rows pushed vs the dataset's rows", 300, 2)
    );
    // Training: labels per row, and the binning the dataset was made with.
    let e = p
        .train_dataset(&d, &y[..299], TrainExtras::default(), Par::Seq)
        .unwrap_err();
    assert_eq!(shape_error(e), ("target length vs feature rows", 300, 299));
    for (other, name) in [
        (
            GbdtParams {
                max_bin: 63,
                ..p.clone()
            },
            "max_bin",
        ),
        (
            GbdtParams {
                bin_construct_sample_cnt: 50,
                ..p.clone()
            },
            "bin_construct_sample_cnt",
        ),
        (
            GbdtParams {
                seed: 3,
                ..p.clone()
            },
            "seed",
        ),
    ] {
        match other.train_dataset(&d, &y, TrainExtras::default(), Par::Seq) {
            Err(PipelineError::InvalidHyperparameter {
                name: n, expected, ..
            }) => {
                assert_eq!(n, name);
                assert!(
                    expected.contains("the dataset was binned with"),
                    "{expected}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // A setting that binning does not read may change.
    let more = GbdtParams {
        n_estimators: 5,
        learning_rate: 0.3,
        ..p.clone()
    };
    assert!(more
        .train_dataset(&d, &y, TrainExtras::default(), Par::Seq)
        .is_ok());
}

#[test]
fn data_large_enough_for_parallel_binning_and_splits_trains_the_same_on_two_threads() {
    // 160 000 rows x 16 features (144 000 in the bag): binning shares features among
    // threads (over 2^20 values each) and the first splits and gathers cut the rows into
    // two blocks (over 65 536 rows each).
    let (x, y) = data(160_000, 16, 21);
    let p = GbdtParams {
        n_estimators: 3,
        num_leaves: 8,
        bagging_fraction: 0.9,
        bagging_freq: 1,
        ..GbdtParams::default()
    };
    let one = p
        .train(x.as_ref(), &y, TrainExtras::default(), Par::Seq)
        .unwrap();
    let two = p
        .train(x.as_ref(), &y, TrainExtras::default(), Par::Rayon(2))
        .unwrap();
    assert_eq!(one.to_xgboost_json(), two.to_xgboost_json());
    let d = chunked(&p, &x, &[50_000], Par::Rayon(2));
    let streamed = p
        .train_dataset(&d, &y, TrainExtras::default(), Par::Rayon(2))
        .unwrap();
    assert_eq!(one.to_xgboost_json(), streamed.to_xgboost_json());
}
