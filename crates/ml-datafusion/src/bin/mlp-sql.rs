//! `mlp-sql`: SQL over Parquet and CSV files with the pipeline's functions (see
//! [`ml_datafusion::cli`]).

fn main() {
    std::process::exit(ml_datafusion::cli::main_exit());
}
