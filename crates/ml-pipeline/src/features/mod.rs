//! Rolling features of a price series, streaming ([`RollingFeatures`]) and batch
//! ([`extract_features`]), with pandas' definitions; and of many series in one long-format
//! table, batch ([`extract_features_grouped`] over [`Groups`]) and streaming
//! ([`KeyedRollingFeatures`]), each group computed as if it were alone.

mod batch;
mod config;
mod grouped;
mod keyed;
mod rolling_batch;
mod streaming;
mod window;

pub use batch::{extract_features, FeatureMatrix};
pub use config::FeatureConfig;
pub use grouped::{extract_features_grouped, Groups};
pub use keyed::KeyedRollingFeatures;
pub use rolling_batch::{rolling_moments, RollingColumns};
pub use streaming::RollingFeatures;
pub use window::{RollingMinMax, RollingMoments, SlidingDft, WindowStats};
