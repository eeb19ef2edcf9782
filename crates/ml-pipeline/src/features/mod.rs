//! Rolling features of a price series, streaming ([`RollingFeatures`]) and batch
//! ([`extract_features`]), with pandas' definitions.

mod batch;
mod config;
mod rolling_batch;
mod streaming;
mod window;

pub use batch::{extract_features, FeatureMatrix};
pub use config::FeatureConfig;
pub use rolling_batch::{rolling_moments, RollingColumns};
pub use streaming::RollingFeatures;
pub use window::{RollingMinMax, RollingMoments, SlidingDft, WindowStats};

/// Joins scoped workers one by one, re-raising a worker's panic with its own payload
/// (leaving them to the scope's end would replace it with "a scoped thread panicked").
/// An explicit join is also a hand-off ThreadSanitizer can see without an instrumented
/// std; the scope's own wait is not.
fn join_all<T>(workers: Vec<std::thread::ScopedJoinHandle<'_, T>>) {
    for w in workers {
        if let Err(payload) = w.join() {
            std::panic::resume_unwind(payload);
        }
    }
}
