//! `Ridge::fit_chunks` and `StandardScaler::fit_chunks` against the in-memory fits on the
//! same rows: both solve paths (normal equations, QR with refinement), chunk sizes from one
//! row to all of them, every thread count; errors with rows counted from the data's start.

use fast_math::{Mat, Par};
use ml_pipeline::{
    ChunkVisitor, Fit, PipelineError, Ridge, RowChunks, SolveMethod, StandardScaler, Target,
};

/// Rows of a matrix in memory, handed out `chunk` rows at a time (the last chunk shorter);
/// counts its passes.
struct InMemory<'a> {
    x: &'a Mat<f64>,
    y: &'a [f64],
    chunk: usize,
    passes: usize,
}

impl RowChunks for InMemory<'_> {
    type Error = PipelineError;

    fn n_features(&self) -> usize {
        self.x.ncols()
    }

    fn pass(&mut self, visit: &mut ChunkVisitor<'_>) -> Result<(), PipelineError> {
        self.passes += 1;
        let (n, k) = (self.x.nrows(), self.x.ncols());
        for r0 in (0..n).step_by(self.chunk) {
            let m = self.chunk.min(n - r0);
            visit(self.x.as_ref().submatrix(r0, 0, m, k), &self.y[r0..r0 + m])?;
        }
        Ok(())
    }
}

/// A deterministic design: `k` features with distinct means and scales, `y` linear in them
/// plus noise; `collinear` makes the last column nearly a copy of the first (ill-conditioned).
fn design(n: usize, k: usize, collinear: bool) -> (Mat<f64>, Vec<f64>) {
    let mut s = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let x = Mat::from_fn(n, k, |_, j| 10.0 * j as f64 + (1.0 + j as f64) * next());
    let x = if collinear {
        Mat::from_fn(n, k, |i, j| {
            if j + 1 == k {
                x[(i, 0)] + 1e-7 * x[(i, j)]
            } else {
                x[(i, j)]
            }
        })
    } else {
        x
    };
    let y = (0..n)
        .map(|i| 3.0 + (0..k).map(|j| (j as f64 - 1.5) * x[(i, j)]).sum::<f64>() + 0.1 * next())
        .collect();
    (x, y)
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what}: coefficient {j}: {g} vs {w}"
        );
    }
}

#[test]
fn chunked_fit_equals_the_in_memory_fit_on_both_paths() {
    for (collinear, alpha, method) in [
        (false, 1.0, SolveMethod::NormalEquations),
        (true, 0.0, SolveMethod::Qr),
    ] {
        let (x, y) = design(5003, 6, collinear);
        let ridge = Ridge {
            alpha,
            fit_intercept: true,
        };
        let (want, report) = ridge
            .fit_report(Default::default(), x.as_ref(), Target::Values(&y), Par::Seq)
            .expect("in-memory fit");
        assert_eq!(report.method, method);
        for chunk in [1, 7, 4096, 5003, 100_000] {
            for threads in [1, 2, 3] {
                let mut data = InMemory {
                    x: &x,
                    y: &y,
                    chunk,
                    passes: 0,
                };
                let (got, rep) = ridge
                    .fit_chunks(&mut data, Par::Rayon(threads))
                    .expect("chunked fit");
                let what = format!("collinear {collinear}, chunk {chunk}, {threads} threads");
                assert_eq!(rep.method, method, "{what}");
                // The QR path's refinement brings both to the least-squares answer; the
                // normal equations agree to the rounding of the merges.
                let tol = if collinear { 1e-7 } else { 1e-11 };
                assert_close(&got.coef, &want.coef, tol, &what);
                assert_close(&[got.intercept], &[want.intercept], tol, &what);
                let passes = if collinear {
                    2 + rep.refinement_steps + 1
                } else {
                    1
                };
                assert!(data.passes <= passes, "{what}: {} passes", data.passes);
            }
        }
    }
}

#[test]
fn chunked_scaler_equals_the_in_memory_scaler() {
    let (x, y) = design(3001, 4, false);
    let want = StandardScaler
        .fit(x.as_ref(), Target::None, Par::Seq)
        .expect("scaler");
    for chunk in [1, 64, 3001] {
        let mut data = InMemory {
            x: &x,
            y: &y,
            chunk,
            passes: 0,
        };
        let got = StandardScaler
            .fit_chunks(&mut data)
            .expect("chunked scaler");
        assert_eq!(data.passes, 1);
        assert_close(&got.mean, &want.mean, 1e-13, "mean");
        assert_close(&got.scale, &want.scale, 1e-13, "scale");
    }
}

#[test]
fn errors_name_rows_from_the_start_of_the_data() {
    let (mut x, y) = design(100, 3, false);
    x[(57, 2)] = f64::NAN;
    let mut data = InMemory {
        x: &x,
        y: &y,
        chunk: 10,
        passes: 0,
    };
    let ridge = Ridge::default();
    match ridge.fit_chunks(&mut data, Par::Seq) {
        Err(PipelineError::NonFinite {
            row: 57, col: 2, ..
        }) => {}
        other => panic!("expected NonFinite at row 57, column 2: {other:?}"),
    }
    match StandardScaler.fit_chunks(&mut data) {
        Err(PipelineError::NonFinite {
            row: 57, col: 2, ..
        }) => {}
        other => panic!("expected NonFinite at row 57, column 2: {other:?}"),
    }
    let empty = Mat::<f64>::zeros(0, 3);
    let mut none = InMemory {
        x: &empty,
        y: &[],
        chunk: 10,
        passes: 0,
    };
    assert!(matches!(
        ridge.fit_chunks(&mut none, Par::Seq),
        Err(PipelineError::EmptyData { rows: 0, .. })
    ));
    let bad = Ridge {
        alpha: -1.0,
        fit_intercept: true,
    };
    assert!(matches!(
        bad.fit_chunks(&mut data, Par::Seq),
        Err(PipelineError::InvalidHyperparameter { .. })
    ));
}

/// A source whose second pass fails, as a file deleted between passes would.
struct FailsOnSecondPass<'a>(InMemory<'a>);

#[derive(Debug)]
enum SourceError {
    Gone,
    Fit(#[allow(dead_code)] PipelineError),
}

impl From<PipelineError> for SourceError {
    fn from(e: PipelineError) -> Self {
        SourceError::Fit(e)
    }
}

impl RowChunks for FailsOnSecondPass<'_> {
    type Error = SourceError;

    fn n_features(&self) -> usize {
        self.0.n_features()
    }

    fn pass(&mut self, visit: &mut ChunkVisitor<'_>) -> Result<(), SourceError> {
        if self.0.passes == 1 {
            return Err(SourceError::Gone);
        }
        self.0.pass(visit).map_err(SourceError::Fit)
    }
}

#[test]
fn a_source_error_ends_the_fit_with_it() {
    let (x, y) = design(500, 3, true);
    let mut data = FailsOnSecondPass(InMemory {
        x: &x,
        y: &y,
        chunk: 64,
        passes: 0,
    });
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    };
    assert!(matches!(
        ridge.fit_chunks(&mut data, Par::Seq),
        Err(SourceError::Gone)
    ));
}
