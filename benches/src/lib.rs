//! Shared pieces of the benches: seeded data generators and the naive baselines, i.e. the
//! plain loops a user would write without this project; the results and reports of
//! `validate`; and the parts of the compare tasks that more than one binary or section uses
//! (rounds, the end-to-end rows).

pub mod chart;
pub mod compare_limits;
pub mod e2e;
pub mod e2e_report;
pub mod gbdt_report;
pub mod measure;
pub mod naive;
pub mod report;
pub mod results;
pub mod rounds;
pub mod trees;

/// Deterministic pseudo-random values in [-1, 1) (the workspace's [`seeded_rng`]), so every
/// run and every tool measures the same data.
pub fn random_f64(n: usize, seed: u64) -> Vec<f64> {
    seeded_rng::uniform_vec(n, seed, -1.0, 1.0)
}

/// [`random_f64`] rounded to `f32`.
pub fn random_f32(n: usize, seed: u64) -> Vec<f32> {
    random_f64(n, seed).into_iter().map(|v| v as f32).collect()
}

/// A geometric random walk of `n` prices from 100 with steps of up to 1% (deterministic).
pub fn random_walk(n: usize, seed: u64) -> Vec<f64> {
    let mut p = 100.0;
    random_f64(n, seed)
        .iter()
        .map(|s| {
            p *= (s * 0.01).exp();
            p
        })
        .collect()
}
