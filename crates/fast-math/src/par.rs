//! [`Par`]: how many threads an operation may use, and the cached rayon pools behind it.
//!
//! Parallelism is always an explicit argument; every multi-threaded path of the crate
//! (GEMM, gram, Strassen's block additions) enters its pool through [`run_in`].

use std::sync::{Arc, Mutex};

/// How many threads an operation may use. Parallelism is always an explicit argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Par {
    /// Run on the calling thread only.
    Seq,
    /// Run on a cached rayon pool of this many threads (`Rayon(0)` and `Rayon(1)` behave
    /// like [`Par::Seq`]).
    Rayon(usize),
}

impl Par {
    /// Number of threads this value asks for (at least 1).
    pub fn threads(self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon(n) => n.max(1),
        }
    }
}

/// A rayon pool of `n` threads, built once per distinct `n` and cached for the process.
fn thread_pool(n: usize) -> Option<Arc<rayon::ThreadPool>> {
    static POOLS: Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>> = Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = pools.iter().find(|(k, _)| *k == n) {
        return Some(p.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(move |i| format!("fast-math-{n}-{i}"))
        .build()
        .ok()?;
    let pool = Arc::new(pool);
    pools.push((n, pool.clone()));
    Some(pool)
}

/// Runs `f` inside the pool for `par` (or directly when sequential), and reports how many
/// threads it may use.
pub(crate) fn run_in<R: Send>(par: Par, f: impl FnOnce(usize) -> R + Send) -> R {
    let n = par.threads();
    if n > 1 {
        if let Some(pool) = thread_pool(n) {
            return pool.install(|| f(n));
        }
    }
    f(1)
}

/// Runs `f` on the cached pool of `par`'s threads (directly when sequential), passing the
/// number of threads it may use, so callers above this layer share the pools instead of
/// starting threads per call (a thread start costs tens of microseconds here).
pub fn install<R: Send>(par: Par, f: impl FnOnce(usize) -> R + Send) -> R {
    run_in(par, f)
}

/// Runs every job of `jobs` on the cached pool of `par`'s threads (on the calling thread
/// when sequential or when there is one job), returning when all are done.
pub fn for_each_job<T: Send>(par: Par, jobs: Vec<T>, work: impl Fn(T) + Sync) {
    if par.threads() <= 1 || jobs.len() <= 1 {
        jobs.into_iter().for_each(work);
        return;
    }
    let work = &work;
    run_in(par, |_| {
        rayon::scope(|s| {
            for job in jobs {
                s.spawn(move |_| work(job));
            }
        });
    });
}

/// The smallest product, in multiply-adds, worth splitting across threads on this machine:
/// the work whose one-thread time is six times what handing it to the pool costs, so that
/// two threads finish it at least 1.5 times sooner (`T / (T / 2 + h) >= 1.5` for
/// `T >= 6 h`). Both sides are measured once per process, on first use:
///
/// - `h`, the handoff: the median of five round trips into the cached two-thread pool
///   (`install` then `join`), each after a pause long enough for the idle worker to fall
///   asleep, since that is what a product arriving after other work meets (on a shared VM
///   its wake-up costs tens of microseconds, on bare metal a few);
/// - the multiply-add rate: the fastest of three short runs of the FMA probe of
///   `simd_kernels` on the detected ISA (what a GEMM approaches; the products that use this
///   run at 50-90% of it, which only makes the threshold err towards one thread).
///
/// Measuring takes about 2 ms of wall time (mostly the pauses). On an AVX2 AMD EPYC (Zen 3,
/// a shared VM) the handoff measured 26-35 us and the rate 19-20 multiply-adds per ns,
/// so the threshold is about 3.5M multiply-adds (a 150^3 product); the constant it
/// replaced was 128^3 = 2.1M, set on an AVX-512 Xeon.
pub(crate) fn min_parallel_macs() -> usize {
    let forced = FORCED_MIN_PARALLEL_MACS.load(std::sync::atomic::Ordering::Relaxed);
    if forced != usize::MAX {
        return forced;
    }
    measured_min_parallel_macs()
}

/// The threshold of [`min_parallel_macs`] as measured, once per process, whatever
/// [`set_min_parallel_macs`] forces.
fn measured_min_parallel_macs() -> usize {
    static MIN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MIN.get_or_init(|| {
        let handoff = handoff_seconds();
        let rate = macs_per_second();
        let macs = 6.0 * handoff * rate;
        // A clock that did not advance, or a pool that could not start: fall back to the
        // Xeon's figure.
        if macs.is_finite() && macs >= 1.0 {
            macs as usize
        } else {
            128 * 128 * 128
        }
    })
}

/// A threshold set by [`set_min_parallel_macs`]; `usize::MAX` for none.
static FORCED_MIN_PARALLEL_MACS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(usize::MAX);

/// Replaces the measured threshold of multiply-adds below which products run on one thread
/// (`Some(0)`: every product with `Par::Rayon(t > 1)` splits; `None`: the measured one
/// again), for the whole process. For tests, which must run the threaded paths on small
/// inputs whatever the machine measures, and for benchmarks; results never depend on it
/// (they are independent of the thread count).
#[doc(hidden)]
pub fn set_min_parallel_macs(macs: Option<usize>) {
    FORCED_MIN_PARALLEL_MACS.store(
        macs.unwrap_or(usize::MAX),
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// Median wall time of a round trip into the two-thread pool, each after a 200 us pause.
fn handoff_seconds() -> f64 {
    let Some(pool) = thread_pool(2) else {
        return f64::INFINITY;
    };
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_micros(200));
            let t = std::time::Instant::now();
            pool.install(|| rayon::join(|| std::hint::black_box(1), || std::hint::black_box(2)));
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Multiply-adds per second of one core at its FMA peak (best of three short probes).
fn macs_per_second() -> f64 {
    let isa = simd_kernels::Isa::detect();
    let iterations = 20_000;
    let best = (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            std::hint::black_box(simd_kernels::probe::fma_loop_f64(isa, iterations));
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    simd_kernels::probe::fma_loop_flops(isa, iterations, 8) as f64 / 2.0 / best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parallel_threshold_is_measured_once_and_plausible() {
        // The measured value, not `min_parallel_macs`: tests running beside this one in the
        // process force the threshold to 0 while they run.
        let m = measured_min_parallel_macs();
        // From a few microseconds of handoff on a slow core to a millisecond on a wide
        // one (tests may run unoptimized, where the FMA probe is tens of times slower).
        assert!((1_000..=100_000_000_000).contains(&m), "{m}");
        assert_eq!(measured_min_parallel_macs(), m);
    }
}
