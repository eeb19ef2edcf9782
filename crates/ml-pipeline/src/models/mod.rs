//! Models: ridge, logistic and softmax (multinomial) regression, PCA, standardization,
//! imported tree ensembles (XGBoost, LightGBM), persistence (model files, tree ensembles in
//! them, column selection).

mod centered_blocks;
mod checks;
mod gbdt;
mod linear;
mod logistic;
mod logistic_exp;
mod model_file;
mod pca;
mod pca_accumulator;
mod persist;
mod ridge;
mod saved_gbdt;
mod scaler;
mod select;
mod softmax;

pub use gbdt::{
    GbdtDataset, GbdtDatasetBuilder, GbdtModel, GbdtParams, Growth, Library, Objective,
    TrainExtras, TrainPhases, TrainedGbdt, Validation,
};
pub use linear::LinearModel;
pub use logistic::{LogisticModel, LogisticRegression};
pub use model_file::ModelFile;
pub use pca::{Pca, PcaModel};
pub use pca_accumulator::PcaAccumulator;
pub use persist::{Model, SavedModel, Stage, MODEL_FORMAT, MODEL_VERSION};
pub use ridge::{
    PolynomialDesign, Ridge, RidgeAccumulator, RidgeReport, SolveMethod, ACCUMULATOR_STATE_VERSION,
    MAX_NORMAL_EQUATIONS_CONDITION,
};
pub use saved_gbdt::{GbdtFormat, SavedGbdt};
pub use scaler::{ScalerModel, StandardScaler};
pub use select::ColumnSelect;
pub use softmax::{SoftmaxModel, SoftmaxRegression};
