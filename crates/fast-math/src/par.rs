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
