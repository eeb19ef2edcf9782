//! Rolling features of a price series, streaming ([`RollingFeatures`]) and batch
//! ([`extract_features`]), with pandas' definitions; and of many series in one long-format
//! table, batch ([`extract_features_grouped`] over [`Groups`]) and streaming
//! ([`KeyedRollingFeatures`]), each group computed as if it were alone. Bar (OHLCV) features
//! beside them ([`bars`] defines them) come from the same states fed [`Bar`]s, and
//! [`forward_targets`] gives training targets that look ahead, kept apart from the features.

mod bar_batch;
mod bar_state;
pub mod bars;
mod batch;
mod config;
mod grouped;
mod keyed;
mod rolling_batch;
mod streaming;
mod targets;
mod window;

pub use bars::{Bar, BarInputs, Bars};
pub use batch::{extract_bar_features, extract_features, FeatureMatrix};
pub use config::FeatureConfig;
pub use grouped::{extract_bar_features_grouped, extract_features_grouped, Groups};
pub use keyed::KeyedRollingFeatures;
pub use rolling_batch::{rolling_moments, RollingColumns};
pub use streaming::RollingFeatures;
pub use targets::{forward_target_names, forward_targets};
pub use window::{RollingMinMax, RollingMoments, SlidingDft, WindowStats};
