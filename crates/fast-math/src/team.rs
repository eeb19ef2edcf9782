//! [`Team`]: a few threads kept for one long computation made of many short parallel steps.
//!
//! A rayon pool entered from outside costs three thread wake-ups per parallel step (the pool
//! worker that takes the job, the worker that steals half of it, and the caller waiting on
//! the result); on a shared VM each costs tens of microseconds, as long as a whole step of a
//! GBDT trainer on 100k rows. A team instead runs part 0 of every step on the calling
//! thread and keeps its other threads waiting by spinning for a while before they sleep
//! (what OpenMP runtimes do between parallel regions), so a step that follows another
//! within the spin window starts on every thread within a cache-line transfer.
//!
//! Spinning costs the cores it spins on, so a team spins only when it has no more threads
//! than the machine has logical CPUs; otherwise its threads sleep as soon as they are idle.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it sleeps: longer than the serial stretches between
/// the steps of a tree (microseconds), short enough that a finished computation's workers
/// stop spinning at once.
const SPIN: Duration = Duration::from_millis(1);

/// A worker's state: waiting for a task, holding one, or done with it.
const IDLE: u8 = 0;
const READY: u8 = 1;
const DONE: u8 = 2;

/// A step's work as a worker sees it: part `i` of the step.
type Task = dyn Fn(usize) + Sync;

/// What the caller and one worker share.
struct Mailbox {
    state: AtomicU8,
    /// The step's task, valid from `READY` until the worker sets `DONE`.
    task: UnsafeCell<Option<&'static Task>>,
    sleeping: AtomicBool,
    shutdown: AtomicBool,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

// SAFETY: `task` is written by the caller only while the worker is idle (before it stores
// `READY`, which the worker loads with Acquire before reading `task`), and read by the
// worker only between that load and its Release store of `DONE`, after which the caller
// may write again: the accesses never overlap. Every other field is a sync type.
unsafe impl Sync for Mailbox {}

struct Worker {
    mailbox: Arc<Mailbox>,
    handle: Option<JoinHandle<()>>,
}

/// A team of `threads` threads: the caller of [`Team::run`] and `threads - 1` workers that
/// live as long as the team.
pub struct Team {
    workers: Vec<Worker>,
    /// A step is under way: a nested [`Team::run`] runs its parts on its own thread.
    busy: AtomicBool,
}

impl Team {
    /// A team of `threads` threads (at least 1; with 1 every step runs on the caller).
    ///
    /// # Panics
    /// When the operating system refuses to start a thread.
    pub fn new(threads: usize) -> Team {
        let cpus = thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let spin = if threads <= cpus {
            SPIN
        } else {
            Duration::ZERO
        };
        let workers = (1..threads.max(1))
            .map(|i| {
                let mailbox = Arc::new(Mailbox {
                    state: AtomicU8::new(IDLE),
                    task: UnsafeCell::new(None),
                    sleeping: AtomicBool::new(false),
                    shutdown: AtomicBool::new(false),
                    panic: Mutex::new(None),
                });
                let shared = mailbox.clone();
                let handle = thread::Builder::new()
                    .name(format!("team-{i}"))
                    .spawn(move || work(&shared, i, spin))
                    .expect("a team thread starts");
                Worker {
                    mailbox,
                    handle: Some(handle),
                }
            })
            .collect();
        Team {
            workers,
            busy: AtomicBool::new(false),
        }
    }

    /// How many threads the team has (the caller included).
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `task(i)` for every `i` in `0..parts` and returns when all are done: part 0 on
    /// the calling thread, part `i` on worker `i` (parts beyond the team's threads, and
    /// every part of a step started inside another, run on the caller, in order). A panic of
    /// any part is raised again here, after every part has finished.
    pub fn run(&self, parts: usize, task: &(dyn Fn(usize) + Sync)) {
        let helpers = parts.saturating_sub(1).min(self.workers.len());
        if helpers == 0 || self.busy.swap(true, Ordering::Acquire) {
            (0..parts).for_each(task);
            return;
        }
        let erased: &'static Task = {
            type Borrowed<'t> = &'t (dyn Fn(usize) + Sync + 't);
            // SAFETY: only the lifetime is extended. Every worker given the task sets `DONE`
            // after its last use of it, and this function returns (or unwinds) only after
            // seeing `DONE` from each of them, so no use outlives the borrow.
            unsafe { std::mem::transmute::<Borrowed<'_>, &'static Task>(task) }
        };
        let used = &self.workers[..helpers];
        for w in used {
            // SAFETY: the worker is IDLE (every step waits for `DONE` and resets it), so it
            // does not read `task` until the `READY` store below.
            unsafe { *w.mailbox.task.get() = Some(erased) };
            w.mailbox.state.store(READY, Ordering::SeqCst);
            // Paired with the worker's SeqCst store of `sleeping` then load of `state`:
            // either it sees READY and stays awake, or this sees it asleep and wakes it.
            if w.mailbox.sleeping.load(Ordering::SeqCst) {
                if let Some(h) = &w.handle {
                    h.thread().unpark();
                }
            }
        }
        let mine = catch_unwind(AssertUnwindSafe(|| {
            task(0);
            (helpers + 1..parts).for_each(task);
        }));
        let mut panic = mine.err();
        for w in used {
            wait_until_done(&w.mailbox.state);
            w.mailbox.state.store(IDLE, Ordering::Relaxed);
            let theirs = w
                .mailbox
                .panic
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            panic = panic.or(theirs);
        }
        self.busy.store(false, Ordering::Release);
        if let Some(p) = panic {
            resume_unwind(p);
        }
    }

    /// Runs `work` on every job, the jobs dealt round-robin to the team's threads (job `j`
    /// on thread `j % threads`), each thread taking its own in order.
    pub fn for_each<T: Send>(&self, jobs: Vec<T>, work: impl Fn(T) + Sync) {
        let parts = jobs.len().min(self.threads());
        if parts <= 1 {
            jobs.into_iter().for_each(work);
            return;
        }
        let mut dealt: Vec<Vec<T>> = (0..parts).map(|_| Vec::new()).collect();
        for (j, job) in jobs.into_iter().enumerate() {
            dealt[j % parts].push(job);
        }
        let dealt: Vec<Mutex<Vec<T>>> = dealt.into_iter().map(Mutex::new).collect();
        self.run(parts, &|i| {
            let mine = std::mem::take(
                &mut *dealt[i]
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            mine.into_iter().for_each(&work);
        });
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        for w in &self.workers {
            w.mailbox.shutdown.store(true, Ordering::SeqCst);
            if let Some(h) = &w.handle {
                h.thread().unpark();
            }
        }
        for w in &mut self.workers {
            if let Some(h) = w.handle.take() {
                // A worker's panics were caught and handed over; joining cannot fail.
                let _ = h.join();
            }
        }
    }
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Team")
            .field("threads", &self.threads())
            .finish()
    }
}

/// The caller's wait for a worker's part: spins (parts are short), yielding now and then
/// so that a worker sharing this core gets it.
fn wait_until_done(state: &AtomicU8) {
    let mut spins = 0u32;
    while state.load(Ordering::Acquire) != DONE {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(1024) {
            thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

/// A worker's life: wait for a task (spinning up to `spin`, then asleep), run its part,
/// report, until the team is dropped.
fn work(mb: &Mailbox, part: usize, spin: Duration) {
    loop {
        let mut since = Instant::now();
        let mut spins = 0u32;
        while mb.state.load(Ordering::Acquire) != READY {
            if mb.shutdown.load(Ordering::Acquire) {
                return;
            }
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(64) || since.elapsed() < spin {
                std::hint::spin_loop();
                continue;
            }
            mb.sleeping.store(true, Ordering::SeqCst);
            if mb.state.load(Ordering::SeqCst) != READY && !mb.shutdown.load(Ordering::SeqCst) {
                thread::park();
            }
            mb.sleeping.store(false, Ordering::SeqCst);
            since = Instant::now();
        }
        // SAFETY: READY was seen with Acquire, so the caller's write of `task` is visible,
        // and the caller does not touch it again before seeing DONE.
        let task = unsafe { *mb.task.get() };
        if let Some(task) = task {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| task(part))) {
                *mb.panic
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(p);
            }
        }
        mb.state.store(DONE, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn every_part_runs_once_on_its_thread() {
        for threads in [1, 2, 3, 5] {
            let team = Team::new(threads);
            assert_eq!(team.threads(), threads);
            for parts in [0, 1, 2, 3, 7] {
                for _ in 0..200 {
                    let hits: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
                    let names: Vec<Mutex<Option<String>>> =
                        (0..parts).map(|_| Mutex::new(None)).collect();
                    team.run(parts, &|i| {
                        hits[i].fetch_add(1, Ordering::Relaxed);
                        *names[i].lock().unwrap() = thread::current().name().map(str::to_owned);
                    });
                    assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
                    let caller = thread::current().name().map(str::to_owned);
                    for (i, name) in names.iter().enumerate() {
                        let want = if i == 0 || i >= threads {
                            caller.clone()
                        } else {
                            Some(format!("team-{i}"))
                        };
                        assert_eq!(*name.lock().unwrap(), want, "{threads} threads, part {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn for_each_gives_every_job_to_exactly_one_call() {
        let team = Team::new(2);
        for n in [0, 1, 2, 3, 10, 101] {
            let seen: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            team.for_each((0..n).collect(), |j: usize| {
                seen[j].fetch_add(1, Ordering::Relaxed);
            });
            assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1), "{n}");
        }
    }

    #[test]
    fn workers_that_fell_asleep_wake_for_the_next_step() {
        let team = Team::new(2);
        let sum = AtomicUsize::new(0);
        for round in 0..3 {
            // Longer than the spin window: the worker is asleep when the step comes.
            thread::sleep(SPIN * 5);
            team.run(2, &|i| {
                sum.fetch_add(i + 1, Ordering::Relaxed);
            });
            assert_eq!(sum.load(Ordering::Relaxed), 3 * (round + 1));
        }
    }

    #[test]
    fn a_nested_step_runs_on_its_caller() {
        let team = Team::new(2);
        let count = AtomicUsize::new(0);
        team.run(2, &|_| {
            team.run(3, &|_| {
                count.fetch_add(1, Ordering::Relaxed);
            });
        });
        assert_eq!(count.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn a_panic_in_a_worker_reaches_the_caller_after_every_part() {
        let team = Team::new(2);
        let finished = AtomicUsize::new(0);
        let r = catch_unwind(AssertUnwindSafe(|| {
            team.run(2, &|i| {
                if i == 1 {
                    panic!("part 1 fails");
                }
                thread::sleep(Duration::from_millis(5));
                finished.fetch_add(1, Ordering::Relaxed);
            });
        }));
        assert!(r.is_err());
        assert_eq!(finished.load(Ordering::Relaxed), 1);
        // The team still works.
        let sum = AtomicUsize::new(0);
        team.run(2, &|i| {
            sum.fetch_add(i, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 1);
    }
}
