//! `mlp demo`: a synthetic market with a weak planted signal, trained, evaluated out of
//! sample, replayed tick by tick, and timed against the all-layers-off pipeline.

use crate::args::DemoArgs;
use crate::error::{CliError, CliResult};
use crate::info;
use crate::progress::{progress, spinner};
use fast_math::Par;
use ml_pipeline::{
    extract_features, FeatureConfig, FeatureMatrix, IntegratedMlPipeline, Predict, SavedModel,
};
use seeded_rng::Rng;
use std::time::{Duration, Instant};

/// Number of heap allocations the process has made so far, from a counting global
/// allocator; `mlp demo` reads it around its replay loops.
pub type AllocationCounter = fn() -> u64;

/// Smallest market the demo accepts: enough for the window, training and a test part.
const MIN_TICKS: usize = 2000;
/// Share of the ticks used for training; the rest is the out-of-sample test.
const TRAIN_SHARE: f64 = 0.7;
/// Rolling window of the features.
const WINDOW: usize = 64;

/// Parameters of the synthetic market.
struct MarketSpec {
    /// Per-tick volatility in the calm and the turbulent regime.
    sigma: [f64; 2],
    /// Probability per tick of switching regime.
    switch_prob: f64,
    /// Autocorrelation of consecutive log returns (planted momentum).
    phi: f64,
    /// Mean reversion: the next return moves `-gamma * sigma_bar * z` where `z` is the price's
    /// z-score against its last `WINDOW` prices (the `zscore` feature).
    gamma: f64,
}

const MARKET: MarketSpec = MarketSpec {
    sigma: [4e-4, 1.2e-3],
    switch_prob: 1.0 / 20_000.0,
    phi: 0.04,
    gamma: 0.06,
};

/// Geometric Brownian motion with two volatility regimes (a Markov chain) and a weak
/// linear signal in the features: the next log return is
/// `phi * r_t - gamma * sigma_bar * z_t + sigma_regime * eps`.
fn generate_market(n: usize, seed: u64) -> Vec<f64> {
    let spec = &MARKET;
    let sigma_bar = 0.5 * (spec.sigma[0] + spec.sigma[1]);
    let mut rng = Rng::new(seed);
    let mut prices = Vec::with_capacity(n);
    let mut log_p = 100f64.ln();
    let mut r = 0.0;
    let mut regime = 0usize;
    // Rolling sums of the last WINDOW prices, re-summed exactly now and then.
    let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
    for t in 0..n {
        let p = log_p.exp();
        prices.push(p);
        sum += p;
        sum_sq += p * p;
        if t >= WINDOW {
            let old = prices[t - WINDOW];
            sum -= old;
            sum_sq -= old * old;
        }
        if t % 4096 == 0 {
            let w = &prices[t + 1 - (t + 1).min(WINDOW)..];
            sum = w.iter().sum();
            sum_sq = w.iter().map(|v| v * v).sum();
        }
        let z = if t + 1 >= WINDOW {
            let w = WINDOW as f64;
            let mean = sum / w;
            let var = ((sum_sq - w * mean * mean) / (w - 1.0)).max(0.0);
            if var > 0.0 {
                ((p - mean) / var.sqrt()).clamp(-4.0, 4.0)
            } else {
                0.0
            }
        } else {
            0.0
        };
        if rng.uniform() < spec.switch_prob {
            regime ^= 1;
        }
        r = spec.phi * r - spec.gamma * sigma_bar * z + spec.sigma[regime] * rng.normal();
        log_p += r;
    }
    prices
}

/// Out-of-sample quality of a series of predictions of the next log return.
struct Evaluation {
    /// Share of ticks whose predicted direction was the realized one (zero returns skipped).
    hit_rate: f64,
    /// Cumulative log return of holding `sign(signal)` one tick at a time.
    strategy: Vec<f64>,
}

/// Scores `signal` (positive means "up") against the realized next returns.
fn evaluate(signal: impl Iterator<Item = f64>, realized: &[f64]) -> Evaluation {
    let (mut hits, mut counted) = (0usize, 0usize);
    let mut equity = 0.0;
    let mut strategy = Vec::with_capacity(realized.len());
    for (s, &r) in signal.zip(realized) {
        let position = if s > 0.0 {
            1.0
        } else if s < 0.0 {
            -1.0
        } else {
            0.0
        };
        if r != 0.0 && position != 0.0 {
            counted += 1;
            hits += usize::from((position > 0.0) == (r > 0.0));
        }
        equity += position * r;
        strategy.push(equity);
    }
    Evaluation {
        hit_rate: hits as f64 / counted.max(1) as f64,
        strategy,
    }
}

/// Mean log-loss of probabilities of an up move against the realized returns (a zero
/// return counts as not up, as in the training target).
fn log_loss(prob: &[f64], realized: &[f64]) -> f64 {
    let sum: f64 = prob
        .iter()
        .zip(realized)
        .map(|(&p, &r)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if r > 0.0 {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    sum / realized.len() as f64
}

/// Largest difference between streamed predictions (`streamed[i]` at tick `first + i`) and
/// the same model on the batch features of those ticks.
fn batch_difference(model: &SavedModel, fm: &FeatureMatrix, first: usize, streamed: &[f64]) -> f64 {
    let mut scratch = vec![0.0; model.scratch_len()];
    streamed
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let mut value = [0.0];
            model.predict_one(fm.row(first + i), &mut scratch, &mut value);
            (p - value[0]).abs()
        })
        .fold(0.0f64, f64::max)
}

/// Median of a few durations.
fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Builds the demo's ridge pipeline, optimized or with every layer off.
fn ridge_pipeline(optimized: bool, par: Par) -> CliResult<IntegratedMlPipeline> {
    IntegratedMlPipeline::builder()
        .window(WINDOW)
        .ridge(1.0)
        .horizon(1)
        .use_simd(optimized)
        .use_pools(optimized)
        .use_fast_math(optimized)
        .par(par)
        .build()
        .map_err(|e| CliError::pipeline("pipeline", e))
}

/// Wall time of one fit-and-replay run.
#[derive(Clone, Copy)]
struct RunTime {
    fit: Duration,
    replay: Duration,
}

impl RunTime {
    fn total(self) -> Duration {
        self.fit + self.replay
    }
}

/// Fit on the training part and replay the test part: wall times, and allocations per tick
/// of the replay.
fn fit_and_replay(
    allocations: AllocationCounter,
    optimized: bool,
    par: Par,
    train: &[f64],
    test: &[f64],
) -> CliResult<(RunTime, f64)> {
    let mut pipe = ridge_pipeline(optimized, par)?;
    let start = Instant::now();
    pipe.fit(train)
        .map_err(|e| CliError::pipeline("training", e))?;
    let fit = start.elapsed();
    let start = Instant::now();
    let a0 = allocations();
    let mut sink = 0.0;
    for &p in test {
        if let Some(pred) = pipe.update(p) {
            sink += pred.value;
        }
    }
    let a1 = allocations();
    let replay = start.elapsed();
    std::hint::black_box(sink);
    Ok((
        RunTime { fit, replay },
        (a1 - a0) as f64 / test.len() as f64,
    ))
}

/// The run whose total time is the median, with the medians of its parts.
fn medians(runs: &[RunTime]) -> RunTime {
    let med = |f: fn(&RunTime) -> Duration| median(runs.iter().map(f).collect());
    RunTime {
        fit: med(|r| r.fit),
        replay: med(|r| r.replay),
    }
}

/// Runs the demo and prints its report on standard output.
///
/// # Errors
/// Too few ticks, a training failure or a plot that cannot be written.
pub fn run(args: &DemoArgs, counter: Option<AllocationCounter>) -> CliResult<()> {
    // Without a counting allocator the allocation figures are not printed at all.
    let allocations = counter.unwrap_or(|| 0);
    if args.ticks < MIN_TICKS {
        return Err(CliError::new(format!(
            "--ticks must be at least {MIN_TICKS} (got {})",
            args.ticks
        )));
    }
    if args.repeats == 0 {
        return Err(CliError::new("--repeats must be at least 1"));
    }
    let total = Instant::now();
    let threads = info::threads();
    let par = Par::Rayon(threads);
    let isa = simd_kernels::Isa::detect();
    let available: Vec<&str> = simd_kernels::Isa::available()
        .map(simd_kernels::Isa::name)
        .collect();
    say!("mlp demo: {} ticks, seed {}", args.ticks, args.seed);
    say!(
        "machine: {}; isa {} (available: {}); {threads} threads; load average {}",
        info::cpu_model(),
        isa.name(),
        available.join(", "),
        info::load_average()
    );

    // 1. The market.
    let t = Instant::now();
    let prices = generate_market(args.ticks, args.seed);
    say!(
        "market: GBM with volatility regimes {:.1e}/{:.1e} per tick, planted signal (AR(1) {} on returns, mean reversion {} on the {WINDOW}-tick z-score); {:.2} s",
        MARKET.sigma[0],
        MARKET.sigma[1],
        MARKET.phi,
        MARKET.gamma,
        t.elapsed().as_secs_f64()
    );

    // 2. Features of the whole series (batch), used to check the streaming path below.
    let t = Instant::now();
    let cfg = FeatureConfig::with_window(WINDOW);
    let fm = extract_features(&prices, &cfg, par).map_err(|e| CliError::pipeline("features", e))?;
    say!(
        "features: {} rows x {} columns (window {WINDOW}); {:.2} s",
        fm.nrows(),
        fm.ncols(),
        t.elapsed().as_secs_f64()
    );

    // 3. Training on the first part.
    let n_train = (args.ticks as f64 * TRAIN_SHARE) as usize;
    let (train, test) = prices.split_at(n_train);
    say!(
        "split: train on ticks 0..{n_train}, test on {n_train}..{} ({} ticks)",
        args.ticks,
        test.len()
    );
    let spin = spinner("training");
    let t = Instant::now();
    let mut ridge = ridge_pipeline(true, par)?;
    let ridge_fit = ridge
        .fit(train)
        .map_err(|e| CliError::pipeline("ridge training", e))?;
    let t_ridge = t.elapsed();
    let t = Instant::now();
    let mut logistic = IntegratedMlPipeline::builder()
        .window(WINDOW)
        .logistic(1.0)
        .horizon(1)
        .par(par)
        .build()
        .map_err(|e| CliError::pipeline("pipeline", e))?;
    let logistic_fit = logistic
        .fit(train)
        .map_err(|e| CliError::pipeline("logistic training", e))?;
    let t_logistic = t.elapsed();
    spin.finish_and_clear();
    // The trees train on the batch features and replay right away (the replay's
    // allocations are counted inside).
    let spin = spinner("training trees");
    let trees =
        crate::demo_gbdt::train_and_replay(&fm, &prices, n_train, WINDOW, par, allocations)?;
    spin.finish_and_clear();
    say!(
        "ridge (alpha 1, standardized): {} rows x {} features, in-sample R^2 {:.5}; {:.2} s",
        ridge_fit.rows,
        ridge_fit.features,
        ridge_fit.in_sample_score,
        t_ridge.as_secs_f64()
    );
    say!(
        "logistic (C 1, standardized): {} rows, in-sample accuracy {:.4}; {:.2} s",
        logistic_fit.rows,
        logistic_fit.in_sample_score,
        t_logistic.as_secs_f64()
    );
    say!("{}", trees.summary);

    // 4. Replay of the test part, tick by tick; allocations counted around the loop.
    let mut ridge_pred = Vec::with_capacity(test.len());
    let a0 = allocations();
    for &p in test {
        ridge_pred.push(ridge.update(p).map_or(f64::NAN, |q| q.value));
    }
    let ridge_allocs = allocations() - a0;
    let ridge_metrics = ridge.metrics();
    let mut logistic_prob = Vec::with_capacity(test.len());
    let a0 = allocations();
    for &p in test {
        logistic_prob.push(logistic.update(p).map_or(f64::NAN, |q| q.value));
    }
    let logistic_allocs = allocations() - a0;
    let logistic_metrics = logistic.metrics();

    // 5. Out-of-sample evaluation: the prediction at tick t is for the return t -> t+1.
    let realized: Vec<f64> = test.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let m = realized.len();
    let r2 = crate::evaluate::r_squared(&realized, &ridge_pred[..m]);
    let ridge_eval = evaluate(ridge_pred.iter().copied(), &realized);
    let logistic_eval = evaluate(logistic_prob.iter().map(|p| p - 0.5), &realized);
    let logistic_loss = log_loss(&logistic_prob[..m], &realized);
    let gbdt_eval = evaluate(trees.prob.iter().map(|p| p - 0.5), &realized);
    let hold: f64 = realized.iter().sum();
    say!("out of sample ({m} ticks, predictions from the tick-by-tick replay):");
    say!(
        "  ridge:    R^2 {r2:.5}, hit rate {:.2}%, sign strategy log return {:+.3} without costs (buy and hold {hold:+.3})",
        100.0 * ridge_eval.hit_rate,
        ridge_eval.strategy.last().copied().unwrap_or(0.0)
    );
    say!(
        "  logistic: hit rate {:.2}%, log-loss {logistic_loss:.5}, sign strategy log return {:+.3}",
        100.0 * logistic_eval.hit_rate,
        logistic_eval.strategy.last().copied().unwrap_or(0.0)
    );
    say!(
        "  gbdt:     hit rate {:.2}%, log-loss {:.5}, sign strategy log return {:+.3}",
        100.0 * gbdt_eval.hit_rate,
        log_loss(&trees.prob[..m], &realized),
        gbdt_eval.strategy.last().copied().unwrap_or(0.0)
    );
    // The streaming features must agree with the batch ones: same model on both.
    let model = ridge
        .model()
        .ok_or_else(|| CliError::new("the ridge pipeline has no model after training"))?;
    let max_diff = batch_difference(model, &fm, n_train, &ridge_pred);
    // The tree model reads its features by name; the batch matrix has them in that order.
    let trees_diff = batch_difference(&trees.model, &fm, n_train, &trees.prob);
    say!(
        "  streaming vs batch features: max |prediction difference| {max_diff:.1e} over {} ticks (ridge), {:.1e} (gbdt)",
        ridge_pred.len(),
        trees_diff
    );
    say!(
        "replay latency per tick (IntegratedMlPipeline::update): ridge p50 {} ns, p99 {} ns; logistic p50 {} ns, p99 {} ns; gbdt ({} trees) p50 {} ns, p99 {} ns",
        ridge_metrics.latency_p50_ns,
        ridge_metrics.latency_p99_ns,
        logistic_metrics.latency_p50_ns,
        logistic_metrics.latency_p99_ns,
        trees.n_trees,
        trees.metrics.latency_p50_ns,
        trees.metrics.latency_p99_ns
    );
    if counter.is_some() {
        let per_tick = |a: u64| a as f64 / test.len() as f64;
        say!(
            "allocations per tick (counted by the global allocator): ridge {:.3} ({ridge_allocs} in {} ticks), logistic {:.3} ({logistic_allocs}), gbdt {:.3} ({})",
            per_tick(ridge_allocs),
            test.len(),
            per_tick(logistic_allocs),
            per_tick(trees.allocations),
            trees.allocations
        );
    } else {
        say!("allocations per tick: not counted (no counting global allocator installed)");
    }
    drop(fm);

    // 6. Optimized against all layers off, same data, interleaved repeats.
    let bar = progress(2 * args.repeats as u64, "optimized vs all-off");
    let (mut on, mut off) = (Vec::new(), Vec::new());
    let mut off_allocs = 0.0;
    for rep in 0..args.repeats {
        let order = if rep % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for optimized in order {
            let (d, allocs) = fit_and_replay(allocations, optimized, Par::Seq, train, test)?;
            if optimized {
                on.push(d);
            } else {
                off.push(d);
                off_allocs = allocs;
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let (on_total, off_total) = (
        median(on.iter().map(|r| r.total()).collect()),
        median(off.iter().map(|r| r.total()).collect()),
    );
    let (on, off) = (medians(&on), medians(&off));
    let ticks = test.len() as f64;
    say!(
        "speedup (ridge fit on {n_train} ticks + replay of {}, one thread, medians of {} interleaved runs each):",
        test.len(),
        args.repeats
    );
    say!(
        "  all layers on:  {:.3} s (fit {:.3} s, replay {:.3} s = {:.0} ns/tick)",
        on_total.as_secs_f64(),
        on.fit.as_secs_f64(),
        on.replay.as_secs_f64(),
        on.replay.as_secs_f64() * 1e9 / ticks
    );
    let off_allocs = match counter {
        Some(_) => format!("; {off_allocs:.2} allocations per replayed tick"),
        None => String::new(),
    };
    say!(
        "  all layers off: {:.3} s (fit {:.3} s, replay {:.3} s = {:.0} ns/tick; use_simd, use_pools, use_fast_math false{off_allocs})",
        off_total.as_secs_f64(),
        off.fit.as_secs_f64(),
        off.replay.as_secs_f64(),
        off.replay.as_secs_f64() * 1e9 / ticks
    );
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-12);
    say!(
        "  speedup: {:.2}x (fit {:.2}x, replay {:.2}x)",
        ratio(off_total, on_total),
        ratio(off.fit, on.fit),
        ratio(off.replay, on.replay)
    );

    if let Some(path) = &args.plot {
        crate::plot::write_svg(
            path,
            &ridge_pred[..m],
            &realized,
            &ridge_eval.strategy,
            &logistic_eval.strategy,
        )?;
        say!("plot: {}", path.display());
    }
    say!("total: {:.2} s", total.elapsed().as_secs_f64());
    Ok(())
}
