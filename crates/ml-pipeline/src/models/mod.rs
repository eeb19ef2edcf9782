//! Models: ridge, logistic and softmax (multinomial) regression, PCA, standardization, imported tree ensembles
//! (XGBoost, LightGBM), persistence.

mod checks;
mod gbdt;
mod linear;
mod logistic;
mod pca;
mod persist;
mod ridge;
mod scaler;
mod softmax;

pub use gbdt::{GbdtModel, Library};
pub use linear::LinearModel;
pub use logistic::{LogisticModel, LogisticRegression};
pub use pca::{Pca, PcaModel};
pub use persist::{Model, SavedModel, Stage, MODEL_FORMAT, MODEL_VERSION};
pub use ridge::{
    Ridge, RidgeAccumulator, RidgeReport, SolveMethod, MAX_NORMAL_EQUATIONS_CONDITION,
};
pub use scaler::{ScalerModel, StandardScaler};
pub use softmax::{SoftmaxModel, SoftmaxRegression};
