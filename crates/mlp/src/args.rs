//! Command-line syntax (clap derive): the subcommands and their flags.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// mlp: rolling features, model training and prediction on CSV files, and a demo of the
/// whole zero-allocation pipeline on a synthetic market.
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
    /// Generate a synthetic market, train ridge and logistic models, evaluate them out of
    /// sample, replay the rest tick by tick, and measure latency, allocations and the speedup
    /// of the optimized pipeline over the all-layers-off one.
    Demo(DemoArgs),
    /// Rolling features of a price column, or of OHLCV bars (range, volatility estimators,
    /// VWAP, volume), one output row per input row (empty cell where a feature is undefined),
    /// optionally with forward targets for training; with --group, of each symbol's rows
    /// separately in a long-format file (`date,symbol,...` rows, symbols interleaved).
    Features(FeaturesArgs),
    /// Train a ridge, logistic or softmax regression on CSV columns and save it as a model file.
    Train(TrainArgs),
    /// Predict every row of a CSV file with a saved model, or a tree ensemble saved by XGBoost
    /// (.json, .ubj) or LightGBM (.txt). For linear models, rows with an empty, NaN or
    /// infinite input get empty prediction cells; a tree model takes an empty or NaN cell as
    /// a missing value, as the library does.
    Predict(PredictArgs),
    /// Version, CPU model, detected and available instruction sets.
    Info,
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

/// Flags of `mlp features`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = crate::features_help::COLUMNS)]
pub struct FeaturesArgs {
    /// Input CSV file with a header row.
    #[arg(long, value_name = "F.csv")]
    pub input: PathBuf,
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
    /// Input columns copied as written to the front of each output row, comma-separated
    /// (e.g. `--keep date,symbol,price`).
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub keep: Vec<String>,
    /// Output CSV file (default: standard output).
    #[arg(long, value_name = "FILE.csv")]
    pub output: Option<PathBuf>,
    /// Print the time spent reading, computing and writing to standard error.
    #[arg(long)]
    pub timings: bool,
}

/// The model `mlp train` fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// Ridge regression (scikit-learn's `Ridge(alpha)`, with intercept).
    Ridge,
    /// L2 logistic regression (scikit-learn's `LogisticRegression(C=c)`, labels 0/1).
    Logistic,
    /// Multinomial logistic regression over any number of class labels (scikit-learn's
    /// `LogisticRegression(C=c)` on multiclass data).
    Softmax,
}

/// Flags of `mlp train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Input CSV file with a header row.
    #[arg(long, value_name = "F.csv")]
    pub input: PathBuf,
    /// Name of the target column (0/1 labels for logistic).
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// Feature columns, comma-separated (default: every numeric column except the target).
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// The model.
    #[arg(long, value_enum)]
    pub model: ModelKind,
    /// Ridge penalty (default 1).
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
}

/// Flags of `mlp predict`.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// A model file written by `mlp train`, or a tree ensemble saved by XGBoost
    /// (`Booster.save_model`, .json or .ubj) or LightGBM (.txt); the kind is told from the
    /// content.
    #[arg(long, value_name = "model.json|m.ubj|m.txt")]
    pub model: PathBuf,
    /// Input CSV file holding the model's feature columns (read by name). A tree model's
    /// categorical features are read as their integer codes.
    #[arg(long, value_name = "F.csv")]
    pub input: PathBuf,
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
    /// Output CSV file (default: standard output).
    #[arg(long, value_name = "FILE.csv")]
    pub output: Option<PathBuf>,
}
