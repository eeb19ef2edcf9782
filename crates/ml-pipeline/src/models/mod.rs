//! Models: ridge and logistic regression, standardization, persistence.

mod data;
mod linear;
mod logistic;
mod persist;
mod ridge;
mod scaler;

pub use linear::LinearModel;
pub use logistic::{LogisticModel, LogisticRegression};
pub use persist::{Model, SavedModel, MODEL_FORMAT, MODEL_VERSION};
pub use ridge::{Ridge, RidgeAccumulator};
pub use scaler::StandardScaler;
