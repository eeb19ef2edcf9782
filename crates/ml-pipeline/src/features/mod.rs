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
