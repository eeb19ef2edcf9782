//! `mlp-scheduler`: a Ballista scheduler whose sessions have every function of this crate.
//!
//! It prints `mlp-scheduler: listening on HOST:PORT` once it accepts connections (with the
//! port it bound, so `--port 0` picks a free one) and `mlp-scheduler: executor ID at
//! HOST:PORT` when an executor registers, so a script or a test can wait for both.

use ballista_core::error::Result;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use clap::{Parser, ValueEnum};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// How the scheduler spreads a stage's tasks over the executors' free slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Distribution {
    /// One task to each executor in turn (Ballista's advice for a single scheduler).
    RoundRobin,
    /// Fill one executor's free slots before the next's (Ballista's default).
    Bias,
}

/// The command line of `mlp-scheduler`.
#[derive(Debug, Parser)]
#[command(
    name = "mlp-scheduler",
    about = "A Ballista scheduler with the pipeline's functions (moments, ridge_fit, ols_fit, \
             pca_fit, gbdt_histogram, predict, predict_proba, rolling_features, bar_features) \
             registered. \
             Start it, then executors (mlp-executor), then run queries with \
             mlp-sql --cluster HOST:PORT."
)]
pub struct SchedulerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to listen on (0: a free one, printed when listening).
    #[arg(long, default_value_t = 50050)]
    pub port: u16,
    /// Host name the scheduler gives out for itself (default: the bind address).
    #[arg(long)]
    pub external_host: Option<String>,
    /// How a stage's tasks are spread over the executors.
    #[arg(long, value_enum, default_value_t = Distribution::RoundRobin)]
    pub task_distribution: Distribution,
}

/// Runs the scheduler until the process is stopped.
///
/// # Errors
/// An address that cannot be bound, or Ballista's own start-up errors.
pub async fn run(args: &SchedulerArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind((args.bind.as_str(), args.port)).await?;
    let addr = listener.local_addr()?;
    let config = SchedulerConfig {
        bind_host: args.bind.clone(),
        bind_port: addr.port(),
        external_host: args.external_host.clone().unwrap_or(args.bind.clone()),
        task_distribution: match args.task_distribution {
            Distribution::RoundRobin => TaskDistributionPolicy::RoundRobin,
            Distribution::Bias => TaskDistributionPolicy::Bias,
        },
        override_session_builder: Some(Arc::new(super::scheduler_session)),
        ..Default::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster.clone(), Arc::new(config))
            .await?;
    tokio::spawn(announce_executors(cluster));
    println!("mlp-scheduler: listening on {addr}");
    start_grpc_service_with_listener(listener, scheduler).await
}

/// Prints each executor once, when it is first seen registered.
async fn announce_executors(cluster: BallistaCluster) {
    let mut seen = HashSet::new();
    loop {
        for e in cluster.cluster_state().registered_executor_metadata().await {
            if seen.insert(e.id.clone()) {
                println!("mlp-scheduler: executor {} at {}:{}", e.id, e.host, e.port);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The program: parses `std::env::args`, runs, and returns the exit status (2 on an error,
/// printed as one line).
pub fn main_exit() -> i32 {
    let args = SchedulerArgs::parse();
    super::block_on("mlp-scheduler", run(&args))
}
