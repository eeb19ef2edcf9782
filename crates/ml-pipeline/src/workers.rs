//! Scoped worker threads for the batch paths (features, ridge, PCA, prediction): split rows
//! into contiguous ranges, or into chunks the threads claim as they go, and join in row order.
//!
//! Workers are joined explicitly rather than left to the end of the scope: a worker's panic
//! is re-raised with its own payload (the scope would replace it with "a scoped thread
//! panicked"), and a join is a hand-off ThreadSanitizer can see without an instrumented std.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};
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

/// Rows per chunk of [`for_row_chunks_into`] for `n` rows on `threads` threads: about 16
/// chunks per thread, so that a thread the host slows down hands its share to the others
/// (the imbalance at the end is at most one chunk, 1/16 of a thread's share), and at least
/// `min` rows, so that the hand-off stays negligible against a chunk's work.
pub(crate) fn chunk_rows(n: usize, threads: usize, min: usize) -> usize {
    n.div_ceil(threads.max(1) * 16).max(min).max(1)
}

/// `work` on consecutive chunks of `chunk` rows covering `0..n`, each with its own part of
/// `out` (`width` values per row), on `threads` threads (the caller among them) that each
/// claim the next chunk when they finish one. Every row's output is the same however the
/// chunks fall, as long as `work` treats rows independently; a static split would leave one
/// thread idle at the end whenever the other is descheduled, which on a shared host is often.
pub(crate) fn for_row_chunks_into<T: Send>(
    n: usize,
    threads: usize,
    width: usize,
    chunk: usize,
    out: &mut [T],
    work: impl Fn(Range<usize>, &mut [T]) + Sync,
) {
    debug_assert_eq!(
        out.len(),
        n * width,
        "output of {} for {n} x {width}",
        out.len()
    );
    let chunk = chunk.max(1);
    let threads = threads.min(n.div_ceil(chunk));
    if threads <= 1 || width == 0 {
        work(0..n, out);
        return;
    }
    let parts = Mutex::new(out.chunks_mut(chunk * width).enumerate());
    let drain = || loop {
        // The guard is dropped at the end of this statement, before `work` runs, so no
        // panic can poison the lock; were it poisoned, the iterator would still be sound.
        let next = parts.lock().unwrap_or_else(PoisonError::into_inner).next();
        let Some((c, part)) = next else { break };
        let start = c * chunk;
        work(start..start + part.len() / width, part);
    };
    let drain = &drain;
    std::thread::scope(|s| {
        let workers = (1..threads).map(|_| s.spawn(drain)).collect();
        drain();
        join_in_order(workers);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_once_with_its_own_part() {
        for n in [0, 1, 5, 31, 32, 33, 100, 1000] {
            for threads in 1..=4 {
                for chunk in [1, 3, 32, 1000] {
                    let width = 2;
                    let mut out = vec![usize::MAX; n * width];
                    for_row_chunks_into(n, threads, width, chunk, &mut out, |rows, part| {
                        assert_eq!(part.len(), rows.len() * width);
                        assert!(rows.len() <= chunk.max(1) || threads.min(n.div_ceil(chunk)) <= 1);
                        for (r, o) in rows.zip(part.chunks_exact_mut(width)) {
                            assert_eq!(o, [usize::MAX; 2], "row {r} written twice");
                            o.copy_from_slice(&[r, 7 * r]);
                        }
                    });
                    let want: Vec<usize> = (0..n).flat_map(|r| [r, 7 * r]).collect();
                    assert_eq!(out, want, "n {n} threads {threads} chunk {chunk}");
                }
            }
        }
    }

    #[test]
    fn chunk_rows_gives_each_thread_many_chunks_of_at_least_min_rows() {
        assert_eq!(chunk_rows(200_000, 2, 256), 6250);
        assert_eq!(chunk_rows(1000, 2, 256), 256);
        assert_eq!(chunk_rows(0, 0, 0), 1);
    }

    #[test]
    #[should_panic(expected = "chunk 3 fails")]
    fn a_workers_panic_reaches_the_caller_with_its_message() {
        let mut out = vec![0u8; 10];
        for_row_chunks_into(10, 2, 1, 2, &mut out, |rows, _| {
            assert!(rows.start != 6, "chunk 3 fails");
        });
    }
}
