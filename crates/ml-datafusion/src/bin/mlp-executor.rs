//! `mlp-executor`: a Ballista executor with the pipeline's functions (see
//! [`ml_datafusion::cluster::executor`]).

fn main() {
    std::process::exit(ml_datafusion::cluster::executor::main_exit());
}
