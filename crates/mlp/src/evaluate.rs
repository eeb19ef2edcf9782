//! Out-of-sample evaluation for `mlp train`: time-ordered splits of each series (a held-out
//! tail, or expanding-window walk-forward folds) and the metrics a model's predictions score.
//!
//! Rows are in time order within each series (the file's order, as `mlp features` requires),
//! so a split never trains on a row later than one it tests on within a series: the last rows
//! of each series are the test rows, never a random sample, which would leak the future into
//! training on autocorrelated data.

use crate::csv_io::TextColumn;
use crate::error::{CliError, CliResult};

/// Rows to train on and rows to test on, as positions in the selection (ascending).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fold {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// The selection's positions `0..n` grouped by series: one series per distinct key of
/// `keys` (the group column's cell of each selected table row `rows[i]`), in order of first
/// appearance, each in file order; or one series of all rows without a group column.
pub(crate) fn series(rows: &[usize], keys: Option<&TextColumn>) -> Vec<Vec<usize>> {
    let Some(keys) = keys else {
        return vec![(0..rows.len()).collect()];
    };
    let mut index: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, &r) in rows.iter().enumerate() {
        let next = out.len();
        let s = *index.entry(keys.get(r)).or_insert(next);
        if s == next {
            out.push(Vec::new());
        }
        out[s].push(i);
    }
    out
}

/// The last `fraction` of each series (rounded, at least one row where the series has two)
/// held out for testing, the rest for training.
///
/// # Errors
/// When no row is left on one side.
pub(crate) fn holdout(series: &[Vec<usize>], fraction: f64) -> CliResult<Fold> {
    let mut fold = Fold {
        train: Vec::new(),
        test: Vec::new(),
    };
    for s in series {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let n_test = ((fraction * s.len() as f64).round() as usize)
            .max(usize::from(s.len() >= 2))
            .min(s.len().saturating_sub(1));
        let cut = s.len() - n_test;
        fold.train.extend_from_slice(&s[..cut]);
        fold.test.extend_from_slice(&s[cut..]);
    }
    if fold.train.is_empty() || fold.test.is_empty() {
        return Err(CliError::new(format!(
            "--test-fraction {fraction}: leaves {} rows for training and {} for testing; both need at least one",
            fold.train.len(),
            fold.test.len()
        )));
    }
    fold.train.sort_unstable();
    fold.test.sort_unstable();
    Ok(fold)
}

/// `k` expanding-window folds: each series is cut into `k + 1` consecutive blocks of
/// near-equal length; fold `i` (from 1) trains on blocks `0..i` of every series and tests on
/// block `i`.
///
/// # Errors
/// When `k` is 0, or a fold would have no training or no test row (series too short).
pub(crate) fn walk_forward(series: &[Vec<usize>], k: usize) -> CliResult<Vec<Fold>> {
    if k == 0 {
        return Err(CliError::new("--walk-forward 0: expected at least 1 fold"));
    }
    let mut folds = vec![
        Fold {
            train: Vec::new(),
            test: Vec::new(),
        };
        k
    ];
    for s in series {
        // Block b of a series of n rows: [b n / (k + 1), (b + 1) n / (k + 1)).
        let edge = |b: usize| b * s.len() / (k + 1);
        for (i, fold) in folds.iter_mut().enumerate() {
            let block = i + 1;
            fold.train.extend_from_slice(&s[..edge(block)]);
            fold.test
                .extend_from_slice(&s[edge(block)..edge(block + 1)]);
        }
    }
    for (i, fold) in folds.iter_mut().enumerate() {
        if fold.train.is_empty() || fold.test.is_empty() {
            return Err(CliError::new(format!(
                "--walk-forward {k}: fold {} has {} training and {} test rows; both need at least one (fewer folds, or more rows per series)",
                i + 1,
                fold.train.len(),
                fold.test.len()
            )));
        }
        fold.train.sort_unstable();
        fold.test.sort_unstable();
    }
    Ok(folds)
}

/// What a model predicts, for scoring.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Task {
    /// One value per row; `Some(q)` for a quantile regression at level `q`.
    Regression { quantile: Option<f64> },
    /// The probability of class 1 per row.
    Binary,
    /// One probability per class per row; `classes[j]` is the label of column `j`.
    Multiclass { classes: Vec<f64> },
}

/// Named scores, in the order printed.
pub(crate) type Scores = Vec<(&'static str, f64)>;

/// Clip of probabilities in the log-loss, as scikit-learn's `log_loss` (float64 eps).
const PROB_CLIP: f64 = f64::EPSILON;

/// The metrics of predictions `out` (`width` values per row) against the labels or targets
/// `y`: regression R^2 (scikit-learn's `r2_score`), RMSE and hit rate (the share of rows with
/// a non-zero target whose prediction has the target's sign), or for a quantile the pinball
/// loss and the coverage (share of targets at or below the prediction); classification
/// accuracy and log-loss.
pub(crate) fn score(task: &Task, y: &[f64], out: &[f64]) -> Scores {
    let n = y.len() as f64;
    match task {
        Task::Regression { quantile: None } => {
            let rmse = (y
                .iter()
                .zip(out)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                / n)
                .sqrt();
            let signed: Vec<(f64, f64)> = y
                .iter()
                .zip(out)
                .filter(|(t, _)| **t != 0.0)
                .map(|(&t, &p)| (t, p))
                .collect();
            let hits = signed
                .iter()
                .filter(|(t, p)| (*t > 0.0) == (*p > 0.0))
                .count();
            vec![
                ("R^2", r_squared(y, out)),
                ("RMSE", rmse),
                ("hit rate", hits as f64 / signed.len().max(1) as f64),
            ]
        }
        Task::Regression { quantile: Some(q) } => {
            let pinball: f64 = y
                .iter()
                .zip(out)
                .map(|(&t, &p)| {
                    if t >= p {
                        q * (t - p)
                    } else {
                        (1.0 - q) * (p - t)
                    }
                })
                .sum::<f64>()
                / n;
            let covered = y.iter().zip(out).filter(|(t, p)| t <= p).count();
            vec![("pinball loss", pinball), ("coverage", covered as f64 / n)]
        }
        Task::Binary => {
            let hits = y
                .iter()
                .zip(out)
                .filter(|(t, p)| (**p > 0.5) == (**t == 1.0))
                .count();
            let loss = y
                .iter()
                .zip(out)
                .map(|(&t, &p)| {
                    let p = p.clamp(PROB_CLIP, 1.0 - PROB_CLIP);
                    if t == 1.0 {
                        -p.ln()
                    } else {
                        -(1.0 - p).ln()
                    }
                })
                .sum::<f64>()
                / n;
            vec![("accuracy", hits as f64 / n), ("log-loss", loss)]
        }
        Task::Multiclass { classes } => {
            let k = classes.len();
            let (mut hits, mut loss) = (0usize, 0.0);
            for (p, &label) in out.chunks_exact(k).zip(y) {
                let best = p
                    .iter()
                    .enumerate()
                    .fold(0, |b, (j, &v)| if v > p[b] { j } else { b });
                hits += usize::from(classes[best] == label);
                let truth = classes.iter().position(|&c| c == label);
                // A label the model never saw (absent from its training rows) has
                // probability 0: the clipped loss says so.
                let pt = truth.map_or(0.0, |j| p[j]);
                loss -= pt.clamp(PROB_CLIP, 1.0).ln();
            }
            vec![("accuracy", hits as f64 / n), ("log-loss", loss / n)]
        }
    }
}

/// Coefficient of determination, as scikit-learn's `r2_score` (1 for a perfect fit of a
/// constant target, 0 for an imperfect one).
pub(crate) fn r_squared(y: &[f64], pred: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let ss_tot: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    let ss_res: f64 = y.iter().zip(pred).map(|(a, b)| (a - b) * (a - b)).sum();
    if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    }
}

/// `name value, name value, ..` with six decimals.
pub(crate) fn format_scores(scores: &Scores) -> String {
    scores
        .iter()
        .map(|(name, v)| format!("{name} {v:.6}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(cells: &[&str]) -> TextColumn {
        let mut c = TextColumn::default();
        for s in cells {
            c.push(s.as_bytes());
        }
        c
    }

    #[test]
    fn series_follow_first_appearance_and_file_order() {
        let k = keys(&["x", "A", "B", "A", "x", "B", "A"]);
        // Table row 0 and 4 ("x") were not selected.
        let rows = [1, 2, 3, 5, 6];
        assert_eq!(series(&rows, Some(&k)), vec![vec![0, 2, 4], vec![1, 3]]);
        assert_eq!(series(&rows, None), vec![vec![0, 1, 2, 3, 4]]);
    }

    #[test]
    fn holdout_takes_each_series_tail() {
        let s = vec![vec![0, 2, 4, 6, 8], vec![1, 3, 5, 7, 9]];
        let f = holdout(&s, 0.4).unwrap();
        assert_eq!(f.test, vec![6, 7, 8, 9]);
        assert_eq!(f.train, vec![0, 1, 2, 3, 4, 5]);
        // A series of two gives one row to each side even at a tiny fraction.
        let f = holdout(&[vec![0, 1]], 0.01).unwrap();
        assert_eq!((f.train, f.test), (vec![0], vec![1]));
        assert!(holdout(&[vec![0]], 0.5).is_err());
    }

    #[test]
    fn walk_forward_windows_expand_and_never_look_ahead() {
        let s = vec![(0..12).collect::<Vec<_>>()];
        let f = walk_forward(&s, 3).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].train, (0..3).collect::<Vec<_>>());
        assert_eq!(f[0].test, (3..6).collect::<Vec<_>>());
        assert_eq!(f[2].train, (0..9).collect::<Vec<_>>());
        assert_eq!(f[2].test, (9..12).collect::<Vec<_>>());
        for fold in &f {
            assert!(fold.train.iter().max() < fold.test.iter().min());
        }
        assert!(walk_forward(&[vec![0, 1]], 3).is_err());
        assert!(walk_forward(&s, 0).is_err());
    }

    #[test]
    fn scores_match_their_definitions() {
        let y = [1.0, -2.0, 3.0, 0.0];
        let p = [0.5, -1.0, -1.0, 2.0];
        let s = score(&Task::Regression { quantile: None }, &y, &p);
        // Two of the three non-zero targets have the prediction's sign.
        assert_eq!(s[2], ("hit rate", 2.0 / 3.0));
        let rmse = ((0.25 + 1.0 + 16.0 + 4.0) / 4.0f64).sqrt();
        assert!((s[1].1 - rmse).abs() < 1e-15);
        let mean = 0.5;
        let ss_tot: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
        assert!((s[0].1 - (1.0 - 21.25 / ss_tot)).abs() < 1e-15);

        let q = score(
            &Task::Regression {
                quantile: Some(0.9),
            },
            &[1.0, 3.0],
            &[2.0, 2.0],
        );
        assert!((q[0].1 - (0.1 * 1.0 + 0.9 * 1.0) / 2.0).abs() < 1e-15);
        assert_eq!(q[1], ("coverage", 0.5));

        let b = score(&Task::Binary, &[1.0, 0.0, 1.0], &[0.8, 0.4, 0.3]);
        assert_eq!(b[0], ("accuracy", 2.0 / 3.0));
        let ll = -(0.8f64.ln() + 0.6f64.ln() + 0.3f64.ln()) / 3.0;
        assert!((b[1].1 - ll).abs() < 1e-15);

        let m = Task::Multiclass {
            classes: vec![0.0, 1.0, 2.0],
        };
        let s = score(&m, &[2.0, 0.0], &[0.1, 0.2, 0.7, 0.3, 0.6, 0.1]);
        assert_eq!(s[0], ("accuracy", 0.5));
        assert!((s[1].1 - -(0.7f64.ln() + 0.3f64.ln()) / 2.0).abs() < 1e-15);
    }
}
