//! `mlp-scheduler`: a Ballista scheduler with the pipeline's functions (see
//! [`ml_datafusion::cluster::scheduler`]).

fn main() {
    std::process::exit(ml_datafusion::cluster::scheduler::main_exit());
}
