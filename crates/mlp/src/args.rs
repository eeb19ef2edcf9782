//! Command-line syntax (clap derive): the subcommands and their flags.

use crate::formats::{parse_sep, Format};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// mlp: rolling features, model training and prediction on CSV, Parquet and Arrow files, and
/// a demo of the whole zero-allocation pipeline on a synthetic market.
#[derive(Debug, Parser)]
#[command(name = "mlp", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a synthetic market, train ridge, logistic and gradient-boosted tree models,
    /// evaluate them out of sample, replay the rest tick by tick, and measure latency,
    /// allocations and the speedup of the optimized pipeline over the all-layers-off one.
    Demo(DemoArgs),
    /// Rolling features of a price column, or of OHLCV bars (range, volatility estimators,
    /// VWAP, volume), one output row per input row (empty cell where a feature is undefined),
    /// optionally with forward targets for training; with --group, of each symbol's rows
    /// separately in a long-format file (`date,symbol,...` rows, symbols interleaved).
    // Boxed, as `Train`: its flags make it several times larger than the small variants.
    Features(Box<FeaturesArgs>),
    /// Train a ridge, logistic or softmax regression, or gradient-boosted trees, on columns of
    /// a CSV, Parquet or Arrow file and save it as a model file.
    // Boxed: the tree flags make it several times larger than the other variants.
    Train(Box<TrainArgs>),
    /// Predict every row of a CSV, Parquet or Arrow file with a saved model, or a tree
    /// ensemble saved by XGBoost (.json, .ubj) or LightGBM (.txt). For linear models, rows with an empty, NaN or
    /// infinite input get empty prediction cells; a tree model takes an empty or NaN cell as
    /// a missing value, as the library does.
    Predict(PredictArgs),
    /// Write a tree model of a model file as another library's file: XGBoost JSON, which
    /// `xgboost.Booster(model_file=...)` loads and predicts the same from.
    Export(ExportArgs),
    /// Version, CPU model, detected and available instruction sets.
    Info,
}

/// Flags of `mlp export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A model file written by `mlp train --model gbdt` (or holding an imported XGBoost JSON
    /// model).
    #[arg(long, value_name = "model.json")]
    pub model: PathBuf,
    /// The format to write.
    #[arg(long, value_enum, default_value = "xgboost")]
    pub format: ExportFormat,
    /// Where to write it.
    #[arg(long, value_name = "x.json")]
    pub out: PathBuf,
}

/// Formats `mlp export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// XGBoost's JSON model (`Booster.save_model("m.json")`).
    Xgboost,
}

/// Flags of `mlp demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Number of ticks of the synthetic market (at least 2000).
    #[arg(long, default_value_t = 1_000_000)]
    pub ticks: usize,
    /// Seed of the market's random numbers (same seed, same market).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write an SVG of predicted against realized returns and the equity curves here.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Interleaved repeats of the optimized / all-layers-off timing (medians are reported).
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
}

/// How `--input` is read: its format and CSV separator.
#[derive(Debug, Default, clap::Args)]
pub struct ReadFlags {
    /// The input's format, whatever its extension [default: by extension, else by content,
    /// else csv].
    #[arg(long, value_enum, value_name = "FMT")]
    pub format: Option<Format>,
    /// CSV field separator: one character, or tab (also `\t`), comma, semicolon, pipe, space
    /// [default: comma; tab for .tsv].
    #[arg(long, value_name = "C", value_parser = parse_sep)]
    pub sep: Option<u8>,
}

/// Flags of `mlp features`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = crate::features_help::COLUMNS)]
pub struct FeaturesArgs {
    /// Input file: CSV with a header row (.csv, .tsv, .txt, gzip-compressed as .gz),
    /// Parquet (.parquet, .pq) or Arrow IPC (.arrow, .feather, .ipc); `-` reads standard
    /// input (CSV unless --format says otherwise).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// How the input is read.
    #[command(flatten)]
    pub read: ReadFlags,
    /// The five bar columns at once, in this order: open, high, low, close, volume (e.g.
    /// `--ohlcv o,h,l,c,v`); instead of --open/--high/--low/--close/--volume.
    #[arg(long, value_name = "O,H,L,C,V", value_delimiter = ',', num_args = 1,
          conflicts_with_all = ["column", "close", "open", "high", "low", "volume"])]
    pub ohlcv: Vec<String>,
    /// The price column, for price features only (today's output): bar features only with
    /// bar columns named by --open/--high/--low/--volume.
    #[arg(long, value_name = "COL", conflicts_with = "close")]
    pub column: Option<String>,
    /// The close of a bar file, the price of the price features (default, without
    /// --column: the column named close); open, high, low and volume are then read from
    /// the columns of those names when the file has them.
    #[arg(long, value_name = "COL")]
    pub close: Option<String>,
    /// The open column (Garman-Klass, Rogers-Satchell; needs --high and --low).
    #[arg(long, value_name = "COL")]
    pub open: Option<String>,
    /// The high column (bar range, true range, Parkinson; needs --low).
    #[arg(long, value_name = "COL")]
    pub high: Option<String>,
    /// The low column (needs --high).
    #[arg(long, value_name = "COL")]
    pub low: Option<String>,
    /// The volume column (dollar volume, VWAP and its deviation, volume z-score).
    #[arg(long, value_name = "COL")]
    pub volume: Option<String>,
    /// Rolling window length (at least 4).
    #[arg(long, default_value_t = 64)]
    pub window: usize,
    /// Several windows at once, comma-separated (e.g. `--windows 8,32,128`, each at least 4):
    /// every windowed column is computed for each and named with it (`roll_std_32`); replaces
    /// --window.
    #[arg(long, value_name = "W,..", value_delimiter = ',')]
    pub windows: Vec<usize>,
    /// Horizons h of the `log_return_<h>` columns, comma-separated (default: the windows,
    /// when there are bar columns or --windows; else none).
    #[arg(long, value_name = "H,..", value_delimiter = ',')]
    pub return_horizons: Vec<usize>,
    /// Add the forward targets `fwd_log_return_<h>` (log return from this row to h rows
    /// later of the same series; empty for the last h rows) and `fwd_up_<h>` (1 if that
    /// return is positive, 0 if not) for each horizon, comma-separated (e.g. `--horizon 1`).
    #[arg(long, value_name = "H,..", value_delimiter = ',')]
    pub horizon: Vec<usize>,
    /// Compute each value of this column's rows as a series of its own (e.g. `--group
    /// symbol`): rows of a symbol must be in time order, symbols may be interleaved; output
    /// rows stay in input order.
    #[arg(long, visible_alias = "group-by", value_name = "COL")]
    pub group: Option<String>,
    /// Check that the rows of each series (of each --group value, or of the file) are in the
    /// order of this column (a date, time or number; equal values allowed): a row out of
    /// order is an error naming it, instead of features computed over shuffled time.
    #[arg(long, value_name = "COL")]
    pub order_by: Option<String>,
    /// With --order-by: sort the rows of each series by that column instead of refusing rows
    /// out of order (a stable sort: rows of equal time keep their file order); the output
    /// rows stay in input order, each with the features of its place in time.
    #[arg(long, requires = "order_by")]
    pub sort: bool,
    /// Input columns copied as written to the front of each output row, comma-separated
    /// (e.g. `--keep date,symbol,price`) [default: every input column].
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub keep: Vec<String>,
    /// Copy no input column to the output: the features (and targets) only.
    #[arg(long, conflicts_with = "keep")]
    pub no_keep: bool,
    /// Output file, its format by extension: CSV (.csv, .tsv; gzip-compressed as .gz; any
    /// other extension), Parquet (.parquet, .pq) or Arrow IPC (.arrow, .feather, .ipc). `-` or
    /// none: CSV on standard output. Written through a temporary file, renamed when complete.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The output's format, whatever its extension (e.g. `--output - --output-format
    /// parquet` for Parquet on standard output).
    #[arg(long, value_enum, value_name = "FMT")]
    pub output_format: Option<Format>,
    /// Print the time spent reading, computing and writing to standard error.
    #[arg(long)]
    pub timings: bool,
}

/// The model `mlp train` fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// Ridge regression (scikit-learn's `Ridge(alpha)`, with intercept).
    Ridge,
    /// L2 logistic regression (scikit-learn's `LogisticRegression(C=c)`): binary on 0/1
    /// labels, multinomial (as softmax) on any other labels.
    Logistic,
    /// Multinomial logistic regression over any number of class labels (scikit-learn's
    /// `LogisticRegression(C=c)` on multiclass data).
    Softmax,
    /// Gradient-boosted trees (histogram GBDT; hyperparameters as LightGBM's).
    Gbdt,
}

/// The loss of `--model gbdt` (LightGBM's `objective`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GbdtObjective {
    /// Squared error.
    Regression,
    /// Logistic loss on 0/1 labels; predicts the probability of 1.
    Binary,
    /// Softmax over class labels 0, 1, .., K-1 (K: the largest label plus one).
    Multiclass,
    /// Pinball loss at the quantile `--alpha`.
    Quantile,
}

/// How `--model gbdt` grows each tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GrowthKind {
    /// Split the leaf that gains most next (LightGBM's way).
    Leaf,
    /// Split level by level (XGBoost's default).
    Depth,
}

/// Flags of `mlp train --model gbdt`, named as LightGBM's parameters with dashes. Every one is
/// optional so that one given to another model can be refused by name; the defaults are
/// LightGBM's (`GbdtParams::default()`).
#[derive(Debug, Default, clap::Args)]
#[command(next_help_heading = "Gradient-boosted trees (--model gbdt)")]
pub struct GbdtFlags {
    /// The loss [default: regression].
    #[arg(long, value_enum)]
    pub objective: Option<GbdtObjective>,
    /// Boosting iterations [default: 100].
    #[arg(long, value_name = "N")]
    pub n_estimators: Option<usize>,
    /// Shrinkage of every leaf [default: 0.1].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub learning_rate: Option<f64>,
    /// Leaves per tree at most [default: 31].
    #[arg(long, value_name = "N")]
    pub num_leaves: Option<usize>,
    /// Levels per tree at most; 0 or less means unlimited, as LightGBM's -1 [default:
    /// unlimited].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub max_depth: Option<i64>,
    /// Tree growth [default: leaf].
    #[arg(long, value_enum)]
    pub growth: Option<GrowthKind>,
    /// Rows a leaf needs at least [default: 20].
    #[arg(long, value_name = "N")]
    pub min_data_in_leaf: Option<usize>,
    /// Hessian a leaf needs at least [default: 1e-3].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub min_sum_hessian_in_leaf: Option<f64>,
    /// L1 penalty on leaf values [default: 0].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub lambda_l1: Option<f64>,
    /// L2 penalty on leaf values [default: 0].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub lambda_l2: Option<f64>,
    /// Gain a split needs beyond 0 [default: 0].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub min_gain_to_split: Option<f64>,
    /// Value bins per feature at most, 2 to 255, besides the missing bin [default: 255].
    #[arg(long, value_name = "N")]
    pub max_bin: Option<usize>,
    /// Share of rows each bag keeps, in (0, 1]; below 1 needs --bagging-freq [default: 1].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub bagging_fraction: Option<f64>,
    /// Draw a new bag every N iterations (0: no bagging) [default: 0].
    #[arg(long, value_name = "N")]
    pub bagging_freq: Option<usize>,
    /// Share of features each tree may split on, in (0, 1] [default: 1].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub feature_fraction: Option<f64>,
    /// Seed of the binning sample, the bags and the feature samples [default: 0].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Hold out the last F of the rows (file order, so time order for time series) as a
    /// validation set whose metric is reported after each iteration; the model is trained on
    /// the rest.
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub valid_fraction: Option<f64>,
    /// Stop when the validation metric has not improved for N iterations and keep the
    /// iterations up to the best one (needs --valid-fraction).
    #[arg(long, value_name = "N")]
    pub early_stopping_rounds: Option<usize>,
    /// Also write the model as an XGBoost JSON model (`xgboost.Booster(model_file=PATH)`
    /// loads it and predicts the same).
    #[arg(long, value_name = "x.json")]
    pub export_xgboost: Option<PathBuf>,
}

impl GbdtFlags {
    /// The first flag given, by its name on the command line (to refuse it for another model).
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.objective.is_some(), "--objective"),
            (self.n_estimators.is_some(), "--n-estimators"),
            (self.learning_rate.is_some(), "--learning-rate"),
            (self.num_leaves.is_some(), "--num-leaves"),
            (self.max_depth.is_some(), "--max-depth"),
            (self.growth.is_some(), "--growth"),
            (self.min_data_in_leaf.is_some(), "--min-data-in-leaf"),
            (
                self.min_sum_hessian_in_leaf.is_some(),
                "--min-sum-hessian-in-leaf",
            ),
            (self.lambda_l1.is_some(), "--lambda-l1"),
            (self.lambda_l2.is_some(), "--lambda-l2"),
            (self.min_gain_to_split.is_some(), "--min-gain-to-split"),
            (self.max_bin.is_some(), "--max-bin"),
            (self.bagging_fraction.is_some(), "--bagging-fraction"),
            (self.bagging_freq.is_some(), "--bagging-freq"),
            (self.feature_fraction.is_some(), "--feature-fraction"),
            (self.seed.is_some(), "--seed"),
            (self.valid_fraction.is_some(), "--valid-fraction"),
            (
                self.early_stopping_rounds.is_some(),
                "--early-stopping-rounds",
            ),
            (self.export_xgboost.is_some(), "--export-xgboost"),
        ]
        .into_iter()
        .find_map(|(given, name)| given.then_some(name))
    }
}

/// Flags of `mlp train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Input file: CSV with a header row (.csv, .tsv, .txt, gzip-compressed as .gz),
    /// Parquet (.parquet, .pq) or Arrow IPC (.arrow, .feather, .ipc); `-` reads standard
    /// input. A leading unnamed column (pandas' index) is not taken as a feature.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// How the input is read.
    #[command(flatten)]
    pub read: ReadFlags,
    /// Name of the target column (0/1 labels for logistic and gbdt's binary objective).
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// Feature columns, comma-separated (default: every numeric column except the target).
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// The model.
    #[arg(long, value_enum)]
    pub model: ModelKind,
    /// Ridge penalty (default 1); with `--model gbdt --objective quantile`, the quantile
    /// predicted, in (0, 1) (default 0.9, as LightGBM's).
    #[arg(long, value_name = "X")]
    pub alpha: Option<f64>,
    /// Inverse regularization strength of logistic and softmax regression (default 1).
    #[arg(long, value_name = "X")]
    pub c: Option<f64>,
    /// Project the features on their first K principal components (scikit-learn's `PCA`,
    /// randomized SVD) and train on the scores; the model file keeps the projection.
    #[arg(long, value_name = "K")]
    pub pca: Option<usize>,
    /// Where to save the model (JSON).
    #[arg(long, value_name = "model.json")]
    pub out: PathBuf,
    /// Standardize the features (scikit-learn's `StandardScaler`: mean 0, variance 1) before
    /// the linear model; the model file keeps the scaler, so `predict` reads raw columns.
    #[arg(long)]
    pub standardize: bool,
    /// The column naming each row's series (e.g. `--group symbol` in a long-format file):
    /// time-ordered splits are made within each series. Rows of a series must be in time
    /// order; series may be interleaved.
    #[arg(long, value_name = "COL", visible_alias = "group-by")]
    pub group: Option<String>,
    /// Hold out the last F of each series (in (0, 1)), train on the rows before, and print
    /// the out-of-sample metrics (R^2, RMSE and hit rate; accuracy and log-loss for
    /// classifiers; pinball loss and coverage for quantiles). The saved model is the one
    /// trained on the rows before.
    #[arg(long, value_name = "F", conflicts_with = "walk_forward")]
    pub test_fraction: Option<f64>,
    /// Score K expanding-window folds (each series cut into K + 1 blocks in time order; fold
    /// i trains on blocks 1..=i and tests on block i + 1), print each fold's out-of-sample
    /// metrics and their mean, then train the saved model on every row.
    #[arg(long, value_name = "K")]
    pub walk_forward: Option<usize>,
    /// Drop the rows with a missing value (empty, NaN or infinite) in the target or, for a
    /// linear model, a feature, and say how many; without it such a row is an error naming
    /// its line and column (tree models take missing features as data).
    #[arg(long)]
    pub drop_missing: bool,
    /// Hyperparameters of the trees.
    #[command(flatten)]
    pub gbdt: GbdtFlags,
}

/// Flags of `mlp predict`.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// A model file written by `mlp train`, or a tree ensemble saved by XGBoost
    /// (`Booster.save_model`, .json or .ubj) or LightGBM (.txt); the kind is told from the
    /// content.
    #[arg(long, value_name = "model.json|m.ubj|m.txt")]
    pub model: PathBuf,
    /// Input file holding the model's feature columns (read by name): CSV with a header row
    /// (.csv, .tsv, .txt, gzip-compressed as .gz), Parquet (.parquet, .pq) or Arrow IPC
    /// (.arrow, .feather, .ipc); `-` reads standard input. A tree model's categorical
    /// features are read as their integer codes.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// How the input is read.
    #[command(flatten)]
    pub read: ReadFlags,
    /// The input columns, in the model's order (needed for a tree model whose file names no
    /// features; otherwise they replace the model's names).
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// Write a tree model's raw margins (log-odds, softmax inputs) instead of probabilities:
    /// `margin`, or `margin_<k>` per class.
    #[arg(long)]
    pub raw: bool,
    /// Input columns copied as written to the front of each output row, comma-separated
    /// (e.g. `--keep date,symbol`), so predictions need not be matched to inputs by row
    /// position.
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub keep: Vec<String>,
    /// Output file, its format by extension: CSV (.csv, .tsv; gzip-compressed as .gz; any
    /// other extension), Parquet (.parquet, .pq) or Arrow IPC (.arrow, .feather, .ipc). `-` or
    /// none: CSV on standard output. Written through a temporary file, renamed when complete.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The output's format, whatever its extension (e.g. `--output - --output-format
    /// parquet` for Parquet on standard output).
    #[arg(long, value_enum, value_name = "FMT")]
    pub output_format: Option<Format>,
}
