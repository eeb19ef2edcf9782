//! Side-by-side timing: two (or more) contenders run interleaved, A B A B ..., each round
//! long enough to swamp timer noise, and the medians compared. Interleaving makes a noisy,
//! shared machine hit both contenders alike, so their ratio is trustworthy even when the
//! absolute times are not.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How long one timed round of a contender should last at least.
const ROUND: Duration = Duration::from_millis(20);

/// Median seconds per call of each contender.
#[derive(Clone, Debug)]
pub struct Timings {
    /// Median seconds per call, in the order the contenders were given.
    pub medians: Vec<f64>,
}

impl Timings {
    /// `medians[baseline] / medians[optimized]`: how many times faster `optimized` is.
    pub fn speedup(&self, baseline: usize, optimized: usize) -> f64 {
        self.medians[baseline] / self.medians[optimized]
    }
}

/// Calls per round so that one round of `f` lasts about [`ROUND`].
fn calibrate(f: &mut dyn FnMut()) -> u64 {
    let mut iters = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        let e = t.elapsed();
        if e >= ROUND / 4 || iters >= 1 << 30 {
            let per = e.as_secs_f64() / iters as f64;
            return ((ROUND.as_secs_f64() / per.max(1e-12)).ceil() as u64).clamp(1, 1 << 32);
        }
        iters *= 4;
    }
}

/// Times each contender for `rounds` interleaved rounds and returns the medians.
pub fn interleaved(rounds: usize, contenders: &mut [&mut dyn FnMut()]) -> Timings {
    let iters: Vec<u64> = contenders.iter_mut().map(|f| calibrate(*f)).collect();
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for _ in 0..rounds.max(1) {
        for (i, f) in contenders.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..iters[i] {
                f();
            }
            samples[i].push(t.elapsed().as_secs_f64() / iters[i] as f64);
        }
    }
    let medians = samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect();
    Timings { medians }
}

/// Shorthand for a baseline and an optimized contender; returns `(baseline, optimized)`
/// median seconds.
pub fn pair(rounds: usize, mut baseline: impl FnMut(), mut optimized: impl FnMut()) -> (f64, f64) {
    let t = interleaved(rounds, &mut [&mut baseline, &mut optimized]);
    (t.medians[0], t.medians[1])
}

/// Keeps a value alive so the optimizer cannot delete the work that made it.
#[inline]
pub fn keep<T>(v: T) {
    black_box(v);
}
