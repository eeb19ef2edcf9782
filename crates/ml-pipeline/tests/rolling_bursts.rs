//! Rolling mean, std, skew and kurtosis of log returns through volatility bursts and flat
//! stretches, against an exact reference: every statistic of every window is computed from
//! power sums held as big integers (each f64 is an integer times a power of two), so the only
//! rounding in the reference is the final conversion to f64.
//!
//! Bursts of 10x to 1e6x the base volatility enter and leave windows of 8, 20, 64 and 1024,
//! at price levels 1 and 1e4; a stretch where the price stops moving follows each burst. The
//! streaming extractor, the batch extractor (sequential and parallel) and `rolling_moments`
//! (sequential and parallel) are each held to the tolerances below at every tick.

use fast_math::Par;
use ml_pipeline::features::{extract_features, rolling_moments, FeatureConfig, RollingFeatures};
use num_bigint::BigInt;
use seeded_rng::Rng;

/// Relative tolerance of the mean (against the window's scale `|mean| + std`) and of the std.
const MEAN_STD_TOL: f64 = 1e-12;
/// Relative tolerance of skew and kurtosis, and the absolute one near zero.
const SHAPE_REL_TOL: f64 = 1e-9;
const SHAPE_ABS_TOL: f64 = 1e-12;

/// An f64 as `mantissa * 2^exponent` with an integer mantissa.
fn decompose(x: f64) -> (i64, i32) {
    if x == 0.0 {
        return (0, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = (bits & ((1u64 << 52) - 1)) as i64;
    let (m, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1i64 << 52), exp - 1075)
    };
    let m = if x < 0.0 { -m } else { m };
    // Strip trailing zeros so the common scale stays small.
    let tz = m.trailing_zeros().min(63) as i32;
    (m >> tz, e + tz)
}

/// A big integer as `(f, s)` with value `f * 2^s` and `f` holding its leading 64 bits.
fn approx(b: &BigInt) -> (f64, i64) {
    let bits = b.bits();
    let shift = bits.saturating_sub(64);
    let top: BigInt = b >> shift;
    let f = i128::try_from(&top).expect("64 bits fit") as f64;
    (f, shift as i64)
}

/// `num / den^p` for big integers, in f64.
fn ratio(num: &BigInt, den: &BigInt, p: f64) -> f64 {
    let (fn_, sn) = approx(num);
    let (fd, sd) = approx(den);
    fn_ / fd.powf(p) * 2f64.powf(sn as f64 - p * sd as f64)
}

/// Exact statistics of every full window of `x` (NaN where a window holds a NaN).
fn exact_rolling(x: &[f64], w: usize) -> Vec<[f64; 4]> {
    let parts: Vec<Option<(i64, i32)>> = x
        .iter()
        .map(|&v| v.is_finite().then(|| decompose(v)))
        .collect();
    let k = parts
        .iter()
        .flatten()
        .map(|&(_, e)| -e)
        .max()
        .unwrap_or(0)
        .max(0);
    let scaled: Vec<Option<BigInt>> = parts
        .iter()
        .map(|p| p.map(|(m, e)| BigInt::from(m) << (e + k) as usize))
        .collect();
    let zero = BigInt::from(0);
    let mut s = [zero.clone(), zero.clone(), zero.clone(), zero.clone()];
    let mut bad = 0usize;
    let nb = BigInt::from(w as u64);
    let nf = w as f64;
    let scale = 2f64.powi(-k);
    let powers = |v: &BigInt| {
        let v2 = v * v;
        [v.clone(), v2.clone(), &v2 * v, &v2 * &v2]
    };
    let mut out = vec![[f64::NAN; 4]; x.len()];
    for t in 0..x.len() {
        match &scaled[t] {
            Some(v) => {
                for (sj, pj) in s.iter_mut().zip(powers(v)) {
                    *sj += pj;
                }
            }
            None => bad += 1,
        }
        if t >= w {
            match &scaled[t - w] {
                Some(v) => {
                    for (sj, pj) in s.iter_mut().zip(powers(v)) {
                        *sj -= pj;
                    }
                }
                None => bad -= 1,
            }
        }
        if t + 1 < w || bad > 0 {
            continue;
        }
        let [s1, s2, s3, s4] = &s;
        let a = &nb * s2 - s1 * s1; // n * M2
        let b = &nb * &nb * s3 - BigInt::from(3) * &nb * s1 * s2 + BigInt::from(2) * s1 * s1 * s1; // n^2 M3
        let c = &nb * &nb * &nb * s4 - BigInt::from(4) * &nb * &nb * s1 * s3
            + BigInt::from(6) * &nb * s1 * s1 * s2
            - BigInt::from(3) * s1 * s1 * s1 * s1; // n^3 M4
        let (f1, e1) = approx(s1);
        let mean = f1 * 2f64.powi(e1 as i32) * scale / nf;
        if a == zero {
            out[t] = [mean, 0.0, f64::NAN, f64::NAN];
            continue;
        }
        let (fa, ea) = approx(&a);
        let std = (fa / (nf * (nf - 1.0))).sqrt() * 2f64.powf(ea as f64 / 2.0) * scale;
        // M3 / M2^1.5 = (b / n^2) / (a / n)^1.5; M4 / M2^2 = c / (n a^2).
        let g = ratio(&b, &a, 1.5) / nf.sqrt();
        let skew = (nf * (nf - 1.0)).sqrt() / (nf - 2.0) * nf.sqrt() * g;
        let r4 = ratio(&c, &a, 2.0) / nf;
        let denom = (nf - 2.0) * (nf - 3.0);
        let kurt = (nf + 1.0) * nf * (nf - 1.0) / denom * r4 - 3.0 * (nf - 1.0).powi(2) / denom;
        out[t] = [mean, std, skew, kurt];
    }
    out
}

/// Log-price increments: base noise, a burst of `factor` times it for 100 ticks, base
/// again, a flat stretch (zero returns), and the same once more, so every window sees a
/// burst enter and leave and a stretch where the price stops moving.
fn burst_returns(w: usize, factor: f64, seed: u64, pad_to: usize) -> Vec<f64> {
    // The burst itself has returns of about 1e-2, so even 1e6x keeps prices finite.
    let base = 1e-2 / factor;
    let mut rng = Rng::new(seed);
    let mut r = Vec::new();
    let calm = 2 * w + 50;
    let mut noise = |r: &mut Vec<f64>, n: usize, s: f64| {
        for _ in 0..n {
            r.push(rng.normal() * s);
        }
    };
    // Padding puts the first burst at the middle of a long series (where a two-chunk
    // parallel run splits it) and fills the rest after the bursts.
    noise(&mut r, (pad_to / 2).saturating_sub(calm + 50), base);
    for flat in [w + 20, w / 2] {
        noise(&mut r, calm, base);
        noise(&mut r, 100, base * factor);
        noise(&mut r, calm, base);
        r.extend(std::iter::repeat_n(0.0, flat));
    }
    let tail = calm.max(pad_to.saturating_sub(r.len()));
    noise(&mut r, tail, base);
    r
}

fn prices_from(returns: &[f64], level: f64) -> Vec<f64> {
    let mut p = level;
    returns
        .iter()
        .map(|&r| {
            p *= r.exp();
            p
        })
        .collect()
}

/// Checks one path's columns (mean, std, skew, kurt) against the exact reference. Returns
/// the worst error of each statistic in units of its tolerance (above 1 is a failure), and
/// the first failure's description.
fn check(
    path: &str,
    case: &str,
    got: [&[f64]; 4],
    want: &[[f64; 4]],
) -> ([f64; 4], Option<String>) {
    let mut worst = [0.0f64; 4];
    let mut first = None;
    for (t, e) in want.iter().enumerate() {
        let [mean, std, skew, kurt] = *e;
        let tols = [
            MEAN_STD_TOL * (mean.abs() + std),
            MEAN_STD_TOL * std,
            (SHAPE_REL_TOL * skew.abs()).max(SHAPE_ABS_TOL),
            (SHAPE_REL_TOL * kurt.abs()).max(SHAPE_ABS_TOL),
        ];
        for j in 0..4 {
            let (g, wv, tol) = (got[j][t], e[j], tols[j]);
            let ok = (g.is_nan() && wv.is_nan()) || (g - wv).abs() <= tol;
            if !ok && first.is_none() {
                first = Some(format!(
                    "{path}, {case}, tick {t}, {}: got {g:e}, exact {wv:e} (tolerance {tol:e})",
                    ["mean", "std", "skew", "kurt"][j]
                ));
            }
            let err = match (g.is_nan(), wv.is_nan()) {
                (true, true) => 0.0,
                (false, false) if tol > 0.0 => (g - wv).abs() / tol,
                _ if ok => 0.0,
                _ => f64::INFINITY,
            };
            worst[j] = worst[j].max(err);
        }
    }
    (worst, first)
}

/// Collects the checks of every path and case; panics at the end with the worst of each.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    fn add(&mut self, path: &str, case: &str, (worst, first): ([f64; 4], Option<String>)) {
        self.lines.push(format!(
            "{case:<36} {path:<26} worst/tolerance mean {:.2e} std {:.2e} skew {:.2e} kurt {:.2e}",
            worst[0], worst[1], worst[2], worst[3]
        ));
        self.failures.extend(first);
    }

    fn finish(self) {
        if std::env::var_os("ROLLING_BURSTS_REPORT").is_some() || !self.failures.is_empty() {
            for l in &self.lines {
                eprintln!("{l}");
            }
        }
        assert!(
            self.failures.is_empty(),
            "{} failing path/case pairs; first failures:\n{}",
            self.failures.len(),
            self.failures[..self.failures.len().min(12)].join("\n")
        );
    }
}

/// The columns from row `start` on.
fn from(c: &[Vec<f64>; 4], start: usize) -> [&[f64]; 4] {
    [
        &c[0][start..],
        &c[1][start..],
        &c[2][start..],
        &c[3][start..],
    ]
}

fn run_case(rep: &mut Report, w: usize, factor: f64, level: f64, pad_to: usize, par: Par) {
    let case = format!("window {w}, burst {factor:e}x, level {level:e}");
    let returns = burst_returns(w, factor, w as u64 * 31 + factor.log10() as u64, pad_to);
    let prices = prices_from(&returns, level);
    let cfg = FeatureConfig::with_window(w);
    let names = cfg.names();
    let col = |n: &str| names.iter().position(|c| c == n).unwrap();
    let (cr, cm, cs, ck, cu) = (
        col("log_return"),
        col("roll_mean"),
        col("roll_std"),
        col("roll_skew"),
        col("roll_kurt"),
    );

    // The statistics are of the log returns the extractor itself computed.
    let batch = extract_features(&prices, &cfg, Par::Seq).unwrap();
    let r: Vec<f64> = (0..prices.len()).map(|t| batch.get(t, cr)).collect();
    let want = exact_rolling(&r, w);
    let columns = |m: &ml_pipeline::FeatureMatrix| -> [Vec<f64>; 4] {
        [cm, cs, ck, cu].map(|c| (0..m.nrows()).map(|t| m.get(t, c)).collect())
    };

    let b = columns(&batch);
    rep.add("batch", &case, check("batch", &case, from(&b, 0), &want));

    let parallel = extract_features(&prices, &cfg, par).unwrap();
    let p = columns(&parallel);
    rep.add(
        "parallel batch",
        &case,
        check("parallel batch", &case, from(&p, 0), &want),
    );

    let mut f = RollingFeatures::new(cfg.clone()).unwrap();
    let mut s: [Vec<f64>; 4] = Default::default();
    for &price in &prices {
        let row = f.update(price).map(<[f64]>::to_vec);
        for (j, c) in [cm, cs, ck, cu].into_iter().enumerate() {
            s[j].push(row.as_ref().map_or(f64::NAN, |row| row[c]));
        }
    }
    // The streaming extractor returns rows only after its warm-up; compare from there.
    let warm = cfg.warmup();
    rep.add(
        "streaming",
        &case,
        check("streaming", &case, from(&s, warm), &want[warm..]),
    );

    for (name, par) in [
        ("rolling_moments", Par::Seq),
        ("rolling_moments parallel", par),
    ] {
        let m = rolling_moments(&r, w, par).unwrap();
        rep.add(
            name,
            &case,
            check(name, &case, [&m.mean, &m.std, &m.skew, &m.kurt], &want),
        );
    }
}

#[test]
fn bursts_enter_and_leave_every_window() {
    let mut rep = Report::default();
    for w in [8, 20, 64, 1024] {
        for factor in [10.0, 100.0, 1e3, 1e6] {
            for level in [1.0, 1e4] {
                run_case(&mut rep, w, factor, level, 0, Par::Rayon(2));
            }
        }
    }
    rep.finish();
}

/// Long enough that the parallel batch extractor really splits the series (chunks of at
/// least 32768 rows), with bursts near the chunk boundary.
#[test]
fn parallel_chunks_agree_through_bursts() {
    let mut rep = Report::default();
    run_case(&mut rep, 64, 1e6, 1e4, 70_000, Par::Rayon(2));
    run_case(&mut rep, 20, 1e3, 1.0, 70_000, Par::Rayon(3));
    rep.finish();
}

#[test]
fn exact_reference_matches_two_pass_on_easy_data() {
    let mut rng = Rng::new(9);
    let x: Vec<f64> = (0..300).map(|_| rng.normal()).collect();
    let want = exact_rolling(&x, 20);
    for t in 19..300 {
        let m = simd_kernels::moments(&x[t - 19..=t]);
        let two_pass = [
            m.mean().unwrap(),
            m.std().unwrap(),
            m.skewness().unwrap(),
            m.kurtosis().unwrap(),
        ];
        for j in 0..4 {
            assert!(
                (want[t][j] - two_pass[j]).abs() <= 1e-13 * (1.0 + two_pass[j].abs()),
                "tick {t}, statistic {j}: {} vs {}",
                want[t][j],
                two_pass[j]
            );
        }
    }
}
