//! Scoped worker threads for the batch paths (features, ridge, PCA): split rows into
//! contiguous ranges, join in row order.
//!
//! Workers are joined explicitly rather than left to the end of the scope: a worker's panic
//! is re-raised with its own payload (the scope would replace it with "a scoped thread
//! panicked"), and a join is a hand-off ThreadSanitizer can see without an instrumented std.

use std::ops::Range;
use std::thread::ScopedJoinHandle;

/// Joins `workers` in order and returns their results in that order.
pub(crate) fn join_in_order<T>(workers: Vec<ScopedJoinHandle<'_, T>>) -> Vec<T> {
    workers
        .into_iter()
        .map(|w| {
            w.join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
        })
        .collect()
}

/// `work` on `threads` contiguous ranges covering `0..n` (on the calling thread alone when
/// `threads <= 1`), results in row order, so whatever is folded from them does not depend
/// on thread timing.
pub(crate) fn map_row_ranges<T: Send>(
    n: usize,
    threads: usize,
    work: impl Fn(Range<usize>) -> T + Sync,
) -> Vec<T> {
    if threads <= 1 {
        return vec![work(0..n)];
    }
    let per = n.div_ceil(threads);
    let work = &work;
    std::thread::scope(|s| {
        let workers = (0..threads)
            .map(|t| {
                let rows = (t * per).min(n)..((t + 1) * per).min(n);
                s.spawn(move || work(rows))
            })
            .collect();
        join_in_order(workers)
    })
}

/// `work` on `threads` contiguous row ranges covering `0..n`, each with its own part of
/// `out` (`width` values per row), so the threads write disjoint parts of one output.
pub(crate) fn for_row_ranges_into<T: Send>(
    n: usize,
    threads: usize,
    width: usize,
    out: &mut [T],
    work: impl Fn(Range<usize>, &mut [T]) + Sync,
) {
    debug_assert_eq!(
        out.len(),
        n * width,
        "output of {} for {n} x {width}",
        out.len()
    );
    if threads <= 1 || n == 0 || width == 0 {
        work(0..n, out);
        return;
    }
    let per = n.div_ceil(threads);
    let work = &work;
    std::thread::scope(|s| {
        let workers = out
            .chunks_mut(per * width)
            .enumerate()
            .map(|(t, part)| {
                let rows = t * per..(t * per + part.len() / width);
                s.spawn(move || work(rows, part))
            })
            .collect();
        join_in_order(workers);
    });
}
