//! Certification against NIST's Statistical Reference Datasets (StRD): linear least squares
//! (Norris, Pontius, NoInt1/2, Filip, Longley, Wampler1-5) through `Ridge { alpha: 0 }` and
//! through its accumulator (chunks merged in a shuffled order), on every ISA this machine
//! has; the polynomial datasets (Pontius, Filip, Wampler1-5) also through
//! `Ridge::fit_polynomial` and `RidgeAccumulator::update_polynomial`, whose powers are kept in
//! double-double; univariate summary statistics through `simd_kernels::moments`.
//!
//! Scores are LREs (log relative errors: correct significant digits, capped at 15). The data
//! live in `shared/nist-strd` beside the workspace (see its README); the tests skip, saying
//! so, only when that folder is absent.
//!
//! `cargo test -p ml-pipeline --test nist_strd -- --ignored --nocapture lre_table` prints the
//! markdown tables; `cargo xtask nist` writes them, beside numpy's and statsmodels' scores,
//! into docs/RELIABILITY.md.

use fast_math::{Mat, Par};
use ml_pipeline::{
    Ablation, Accumulator, FitIncremental, PolynomialDesign, Ridge, RidgeAccumulator, Target,
};
use simd_kernels::Isa;
use std::path::PathBuf;

fn strd_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/nist-strd"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: NIST StRD folder {} is absent (CI has it)",
            dir.display()
        );
        None
    }
}

/// LRE of `got` against the certified `cert`: -log10 of the relative error (absolute when
/// `cert == 0`), capped at 15.
fn lre(got: f64, cert: f64) -> f64 {
    if !got.is_finite() {
        return 0.0;
    }
    let err = if cert == 0.0 {
        got.abs()
    } else {
        (got - cert).abs() / cert.abs()
    };
    if err == 0.0 {
        15.0
    } else {
        (-err.log10()).clamp(0.0, 15.0)
    }
}

/// The line range `(first, last)` (1-based, inclusive) a header gives for `what`
/// ("Certified Values" or "Data").
fn header_range(lines: &[&str], what: &str) -> Option<(usize, usize)> {
    let line = lines
        .iter()
        .take(20)
        .find(|l| l.trim_start().starts_with(what) && l.contains("lines"))?;
    let tail = &line[line.find("lines")? + 5..];
    let nums: Vec<usize> = tail
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    Some((nums[0], nums[1]))
}

fn numbers(line: &str) -> Option<Vec<f64>> {
    let v: Result<Vec<f64>, _> = line.split_whitespace().map(str::parse::<f64>).collect();
    v.ok().filter(|v| !v.is_empty())
}

/// A linear least-squares dataset: responses, predictor rows, certified coefficients
/// (B0.. or B1.. without intercept) and residual standard deviation.
struct Lls {
    name: &'static str,
    y: Vec<f64>,
    x: Vec<Vec<f64>>,
    coef: Vec<f64>,
    resid_sd: f64,
}

fn read_lls(dir: &std::path::Path, name: &'static str) -> Lls {
    let text = std::fs::read_to_string(dir.join(format!("{name}.dat"))).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (c0, c1) = header_range(&lines, "Certified Values").expect("certified range");
    let (d0, d1) = header_range(&lines, "Data").expect("data range");
    let mut coef = Vec::new();
    let mut resid_sd = f64::NAN;
    for l in &lines[c0 - 1..c1] {
        let t: Vec<&str> = l.split_whitespace().collect();
        if t.len() >= 3 && t[0].starts_with('B') && t[0][1..].parse::<usize>().is_ok() {
            coef.push(t[1].parse().unwrap());
        }
        if l.trim_start().starts_with("Standard Deviation") {
            resid_sd = t.last().unwrap().parse().unwrap();
        }
    }
    let (mut y, mut x) = (Vec::new(), Vec::new());
    for l in &lines[d0 - 1..d1] {
        let v = numbers(l).unwrap_or_else(|| panic!("{name}: data line {l:?}"));
        y.push(v[0]);
        x.push(v[1..].to_vec());
    }
    assert!(resid_sd.is_finite() && !coef.is_empty(), "{name}: header");
    Lls {
        name,
        y,
        x,
        coef,
        resid_sd,
    }
}

/// `x^k` correctly rounded: the power of the f64 `x` computed exactly, rounded once.
/// `powi` rounds at every multiplication, and on Filip (degree 10, cond(X) ~ 1e9 after
/// scaling) those few ulps in the design move the exact least-squares answer by 1e-8,
/// below the target; a user's design built by a correctly rounded `pow` (numpy's `x**k`,
/// `np.vander`) is this one.
fn pow_rounded(x: f64, k: u32) -> f64 {
    use num_rational::BigRational;
    use num_traits::{Pow, ToPrimitive};
    if x == 0.0 || !x.is_finite() {
        return x.powi(k as i32);
    }
    // Exact: every f64 is a rational. The conversion back is the one rounding (num-rational
    // rounds to nearest).
    let exact = BigRational::from_float(x).expect("finite");
    exact.pow(k as i32).to_f64().expect("finite")
}

/// The degree of a one-predictor polynomial model, 0 for the others.
fn degree(d: &Lls) -> usize {
    match d.name {
        "Pontius" => 2,
        "Filip" => 10,
        w if w.starts_with("Wampler") => 5,
        _ => 0,
    }
}

/// The design of a dataset: polynomial columns x, x^2, .. for the one-predictor polynomial
/// models, the predictors as they are otherwise; whether the model has an intercept.
fn design(d: &Lls) -> (Mat<f64>, bool) {
    let intercept = !d.name.starts_with("NoInt");
    let n = d.y.len();
    let degree = degree(d);
    let x = if degree > 0 {
        Mat::from_fn(n, degree, |i, j| pow_rounded(d.x[i][0], j as u32 + 1))
    } else {
        Mat::from_fn(n, d.x[0].len(), |i, j| d.x[i][j])
    };
    (x, intercept)
}

/// LREs of every certified coefficient (intercept first where there is one), then of the
/// residual standard deviation. The residuals are exact: rational arithmetic on the model and
/// the design (`x + lo` for a double-double design).
fn score(
    d: &Lls,
    x: &Mat<f64>,
    lo: Option<&Mat<f64>>,
    intercept: bool,
    m: &ml_pipeline::LinearModel,
) -> Vec<f64> {
    use num_rational::BigRational;
    use num_traits::ToPrimitive;
    let got: Vec<f64> = if intercept {
        std::iter::once(m.intercept)
            .chain(m.coef.iter().copied())
            .collect()
    } else {
        m.coef.clone()
    };
    assert_eq!(got.len(), d.coef.len(), "{}: coefficient count", d.name);
    let mut out: Vec<f64> = got.iter().zip(&d.coef).map(|(&g, &c)| lre(g, c)).collect();
    let q = |v: f64| BigRational::from_float(v).expect("finite");
    let n = d.y.len();
    let mut rss = BigRational::from_float(0.0).expect("zero");
    for i in 0..n {
        let mut r = q(d.y[i]) - q(m.intercept);
        for (j, &w) in m.coef.iter().enumerate() {
            let v = q(x[(i, j)]) + lo.map_or_else(|| q(0.0), |lo| q(lo[(i, j)]));
            r -= v * q(w);
        }
        rss += &r * &r;
    }
    let dof = n - d.coef.len();
    let var = (rss / BigRational::from_integer(dof.into()))
        .to_f64()
        .expect("finite");
    out.push(lre(var.sqrt(), d.resid_sd));
    out
}

const LLS: [&str; 11] = [
    "Norris", "Pontius", "NoInt1", "NoInt2", "Filip", "Longley", "Wampler1", "Wampler2",
    "Wampler3", "Wampler4", "Wampler5",
];

/// The smallest coefficient LRE each dataset must reach on a path: the targets (9;
/// Filip 8; Wampler5 6), except Filip given as a float64 design (`fit <isa>`,
/// `accumulator`). The exact least-squares solution of Filip's design as float64 (powers
/// correctly rounded) scores 7.61 (`benches/python/nist_peers.py`, "exact on the float64
/// design"): no float64 solver can be held to 8 there. The refined fit reaches that
/// solution; so does the accumulator, which cannot refine (it keeps no rows) but keeps its
/// factor in double-double (a float64 factor gave 6.8 there). The polynomial paths keep the
/// powers in double-double and are held to the target.
fn floor(name: &str, path: &str) -> f64 {
    match name {
        "Filip" if !path.starts_with("polynomial") => 7.5,
        _ => target(name),
    }
}

/// The target for each dataset (printed beside the results).
fn target(name: &str) -> f64 {
    match name {
        "Filip" => 8.0,
        "Wampler5" => 6.0,
        _ => 9.0,
    }
}

/// Fits through `Ridge::fit_ablated`.
fn fit_whole(isa: Isa, x: &Mat<f64>, y: &[f64], intercept: bool) -> ml_pipeline::LinearModel {
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: intercept,
    };
    let ab = Ablation {
        isa,
        fast_math: true,
    };
    let (m, report) = ridge
        .fit_report(ab, x.as_ref(), Target::Values(y), Par::Seq)
        .unwrap();
    eprintln!("  {isa}: {report:?}");
    m
}

/// The row ranges of the accumulator paths: four uneven chunks.
fn chunks(n: usize) -> Vec<std::ops::Range<usize>> {
    let cuts = [0, n / 5, n / 2, (n / 2 + 3).min(n), n];
    cuts.windows(2).map(|w| w[0]..w[1]).collect()
}

/// Merges the four chunks' accumulators in a shuffled order.
fn merge_shuffled(mut parts: Vec<RidgeAccumulator>) -> RidgeAccumulator {
    let mut left = parts.remove(3);
    left.merge(&parts[1]).unwrap();
    let mut right = parts[0].clone();
    right.merge(&parts[2]).unwrap();
    right.merge(&left).unwrap();
    right
}

/// Fits through the accumulator: four uneven chunks, merged in a shuffled order.
fn fit_chunked(x: &Mat<f64>, y: &[f64], intercept: bool) -> ml_pipeline::LinearModel {
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: intercept,
    };
    let (n, k) = (x.nrows(), x.ncols());
    let parts = chunks(n)
        .into_iter()
        .map(|rows| {
            let mut acc = ridge.accumulator(k);
            acc.update(
                x.as_ref().submatrix(rows.start, 0, rows.len(), k),
                Target::Values(&y[rows]),
            )
            .unwrap();
            acc
        })
        .collect();
    let acc = merge_shuffled(parts);
    assert_eq!(acc.count(), n as u64);
    ridge.finish(&acc).unwrap()
}

/// Fits a polynomial dataset through `Ridge::fit_polynomial` on `isa`.
fn fit_polynomial(isa: Isa, design: &PolynomialDesign, y: &[f64]) -> ml_pipeline::LinearModel {
    let ab = Ablation {
        isa,
        fast_math: true,
    };
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    };
    let (m, report) = ridge.fit_polynomial(ab, design, y, Par::Seq).unwrap();
    eprintln!("  polynomial {isa}: {report:?}");
    m
}

/// Fits a polynomial dataset through `RidgeAccumulator::update_polynomial`: four uneven
/// chunks, merged in a shuffled order.
fn fit_polynomial_chunked(x: &[f64], degree: usize, y: &[f64]) -> ml_pipeline::LinearModel {
    let ridge = Ridge {
        alpha: 0.0,
        fit_intercept: true,
    };
    let parts = chunks(y.len())
        .into_iter()
        .map(|rows| {
            let mut acc = ridge.accumulator(degree);
            let design = PolynomialDesign::new(&x[rows.clone()], degree).unwrap();
            acc.update_polynomial(&design, &y[rows]).unwrap();
            acc
        })
        .collect();
    ridge.finish(&merge_shuffled(parts)).unwrap()
}

/// `(dataset, path, min coefficient LRE, residual-sd LRE)` for every dataset and path
/// ("fit <isa>", "accumulator", and for the polynomial models "polynomial <isa>",
/// "polynomial accumulator").
fn lls_results(dir: &std::path::Path) -> Vec<(&'static str, String, f64, f64)> {
    let mut rows = Vec::new();
    for name in LLS {
        let d = read_lls(dir, name);
        let (x, intercept) = design(&d);
        let mut paths: Vec<(String, ml_pipeline::LinearModel, Option<Mat<f64>>)> = Isa::available()
            .map(|isa| {
                (
                    format!("fit {isa}"),
                    fit_whole(isa, &x, &d.y, intercept),
                    None,
                )
            })
            .collect();
        paths.push(("accumulator".into(), fit_chunked(&x, &d.y, intercept), None));
        let degree = degree(&d);
        if degree > 0 {
            let xs: Vec<f64> = d.x.iter().map(|r| r[0]).collect();
            let pd = PolynomialDesign::new(&xs, degree).unwrap();
            assert_eq!(
                pd.rounded().get(3, degree - 1),
                x[(3, degree - 1)],
                "{name}: rounding"
            );
            let lo = Mat::from_fn(xs.len(), degree, |i, j| pd.rounding_errors().get(i, j));
            for isa in Isa::available() {
                let m = fit_polynomial(isa, &pd, &d.y);
                paths.push((format!("polynomial {isa}"), m, Some(lo.clone())));
            }
            let m = fit_polynomial_chunked(&xs, degree, &d.y);
            paths.push(("polynomial accumulator".into(), m, Some(lo)));
        }
        for (path, m, lo) in paths {
            let s = score(&d, &x, lo.as_ref(), intercept, &m);
            let (coefs, sd) = s.split_at(s.len() - 1);
            let min = coefs.iter().copied().fold(f64::INFINITY, f64::min);
            rows.push((name, path, min, sd[0]));
        }
    }
    rows
}

#[test]
fn least_squares_reach_the_certified_digits_on_every_isa_and_the_accumulator() {
    let Some(dir) = strd_dir() else { return };
    let rows = lls_results(&dir);
    for (name, path, min, sd) in &rows {
        eprintln!("{name:10} {path:14} coef LRE {min:5.2}  resid sd LRE {sd:5.2}");
    }
    let mut failures = Vec::new();
    for (name, path, min, _) in &rows {
        if *min < floor(name, path) {
            failures.push(format!("{name} {path}: {min:.2} < {}", floor(name, path)));
        }
    }
    // The answer's quality does not depend on the ISA: within one digit of each other.
    for (name, kind) in LLS.iter().flat_map(|n| [(n, "fit "), (n, "polynomial ")]) {
        let fits: Vec<f64> = rows
            .iter()
            .filter(|r| r.0 == *name && r.1.starts_with(kind) && r.1 != "polynomial accumulator")
            .map(|r| r.2)
            .collect();
        if fits.is_empty() {
            continue;
        }
        let (lo, hi) = fits
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        if hi - lo > 1.0 {
            failures.push(format!("{name}: LRE {lo:.2}..{hi:.2} across ISAs"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A univariate dataset: values and certified mean and standard deviation.
fn read_univariate(dir: &std::path::Path, name: &str) -> (Vec<f64>, f64, f64) {
    let text = std::fs::read_to_string(dir.join(format!("{name}.dat"))).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let last = |prefix: &str| -> f64 {
        let l = lines
            .iter()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("{name}: no {prefix:?} line"));
        l.split_whitespace().last().unwrap().parse().unwrap()
    };
    let (mean, sd) = (last("Sample Mean"), last("Sample Standard Deviation"));
    let start = lines
        .iter()
        .rposition(|l| l.trim_start().starts_with("Data:"))
        .expect("data line");
    let values: Vec<f64> = lines[start + 1..]
        .iter()
        .filter_map(|l| numbers(l))
        .map(|v| v[0])
        .collect();
    (values, mean, sd)
}

const UNIVARIATE: [&str; 9] = [
    "NumAcc1", "NumAcc2", "NumAcc3", "NumAcc4", "PiDigits", "Lottery", "Lew", "Mavro", "Michelso",
];

/// `(dataset, isa, mean LRE, std LRE)`.
fn univariate_results(dir: &std::path::Path) -> Vec<(&'static str, Isa, f64, f64)> {
    let mut rows = Vec::new();
    for name in UNIVARIATE {
        let (v, mean, sd) = read_univariate(dir, name);
        for isa in Isa::available() {
            let m = simd_kernels::moments_with(isa, &v);
            rows.push((
                name,
                isa,
                lre(m.mean().unwrap(), mean),
                lre(m.std().unwrap(), sd),
            ));
        }
    }
    rows
}

#[test]
fn moments_reach_the_float64_ceiling_on_the_univariate_datasets() {
    let Some(dir) = strd_dir() else { return };
    let mut failures = Vec::new();
    for (name, isa, mean, sd) in univariate_results(&dir) {
        eprintln!("{name:9} {isa:8} mean LRE {mean:5.2}  std LRE {sd:5.2}");
        // NumAcc4's std is limited to 8.3 digits by rounding its decimal inputs to float64
        // (see the folder's README); moments reach that ceiling.
        // NumAcc3's and NumAcc4's std are limited to 9.5 and 8.3 digits by rounding their
        // decimal inputs to float64 (exact arithmetic on the rounded values reaches no more;
        // see the folder's README): moments reach those ceilings.
        let (want_mean, want_sd) = match name {
            "NumAcc3" => (13.0, 9.4),
            "NumAcc4" => (13.0, 8.2),
            _ => (13.0, 13.0),
        };
        if mean < want_mean || sd < want_sd {
            failures.push(format!("{name} {isa}: mean {mean:.2}, std {sd:.2}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Prints the LRE tables: as markdown, or, with `NIST_LRE_TSV=1` (set by `cargo xtask nist`,
/// which writes the "Numerical accuracy" section of docs/RELIABILITY.md), as tab-separated
/// records, full precision:
/// `machine  cpu  isa,isa..`,
/// `lls  dataset  target  floor  path  min-coef-LRE  resid-sd-LRE`,
/// `uni  dataset  isa  mean-LRE  std-LRE`.
#[test]
#[ignore = "prints the LRE tables of docs/RELIABILITY.md"]
fn lre_table() {
    let Some(dir) = strd_dir() else { return };
    let rows = lls_results(&dir);
    let uni = univariate_results(&dir);
    let isas: Vec<Isa> = Isa::available().collect();
    if std::env::var_os("NIST_LRE_TSV").is_some_and(|v| !v.is_empty()) {
        let names: Vec<String> = isas.iter().map(Isa::to_string).collect();
        println!(
            "machine\t{}\t{}",
            simd_kernels::probe::cpu_model(),
            names.join(",")
        );
        for (name, path, min, sd) in &rows {
            let (t, f) = (target(name), floor(name, path));
            println!("lls\t{name}\t{t}\t{f}\t{path}\t{min}\t{sd}");
        }
        for (name, isa, mean, sd) in &uni {
            println!("uni\t{name}\t{isa}\t{mean}\t{sd}");
        }
        return;
    }
    let paths: Vec<String> = rows
        .iter()
        .filter(|r| r.0 == "Norris")
        .map(|r| r.1.clone())
        .collect();
    println!(
        "| dataset | target |{}",
        paths.iter().map(|p| format!(" {p} |")).collect::<String>()
    );
    println!("|---|---|{}", "---|".repeat(paths.len()));
    for name in LLS {
        let cells: String = rows
            .iter()
            .filter(|r| r.0 == name)
            .map(|r| format!(" {:.1} / {:.1} |", r.2, r.3))
            .collect();
        println!("| {name} | {} |{cells}", target(name));
    }
    println!();
    println!(
        "| dataset |{}",
        isas.iter()
            .map(|i| format!(" {i} mean / std |"))
            .collect::<String>()
    );
    println!("|---|{}", "---|".repeat(isas.len()));
    for name in UNIVARIATE {
        let cells: String = uni
            .iter()
            .filter(|r| r.0 == name)
            .map(|r| format!(" {:.1} / {:.1} |", r.2, r.3))
            .collect();
        println!("| {name} |{cells}");
    }
}
