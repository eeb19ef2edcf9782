//! `mlp-executor`: a Ballista executor that runs plans using every function of this crate.
//!
//! It registers with its scheduler (which then prints it), serves its shuffle output over
//! Arrow Flight on `--port` and takes tasks on `--grpc-port`. With `--log-tasks` it prints
//! one line per task it runs (`mlp-executor ID: job J stage S task T output partitions [..]`,
//! the partitions of the stage's output it writes), which shows where a query's work went.

use ballista_core::error::Result;
use ballista_core::JobId;
use ballista_executor::execution_engine::{
    DefaultExecutionEngine, ExecutionEngine, QueryStageExecutor,
};
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use clap::Parser;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use std::sync::Arc;

/// The command line of `mlp-executor`.
#[derive(Debug, Parser)]
#[command(
    name = "mlp-executor",
    about = "A Ballista executor with the pipeline's functions (moments, ridge_fit, ols_fit, \
             pca_fit, gbdt_histogram, predict, predict_proba, rolling_features, bar_features) \
             registered. \
             Start the scheduler (mlp-scheduler) first."
)]
pub struct ExecutorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Host name the executor gives the scheduler and the other executors for itself
    /// (default: the bind address).
    #[arg(long)]
    pub external_host: Option<String>,
    /// Port of the Arrow Flight service (shuffle output).
    #[arg(long, default_value_t = 50051)]
    pub port: u16,
    /// Port of the gRPC service (tasks from the scheduler).
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// The scheduler, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// Seconds to keep trying to reach the scheduler at start-up.
    #[arg(long, default_value_t = 30)]
    pub connect_timeout: u16,
    /// Tasks run at once (default: one per core).
    #[arg(long)]
    pub vcores: Option<usize>,
    /// Folder for shuffle files (default: a temporary folder).
    #[arg(long)]
    pub work_dir: Option<String>,
    /// Print one line per task run to standard output.
    #[arg(long)]
    pub log_tasks: bool,
}

/// The default engine, printing each task it is given.
struct TaskLog {
    executor: String,
    inner: DefaultExecutionEngine,
}

impl ExecutionEngine for TaskLog {
    fn create_query_stage_exec(
        &self,
        job_id: JobId,
        stage_id: usize,
        task_id: usize,
        partitions: Vec<usize>,
        plan: Arc<dyn ExecutionPlan>,
        work_dir: &str,
        config: &SessionConfig,
    ) -> datafusion::common::Result<Arc<dyn QueryStageExecutor>> {
        println!(
            "mlp-executor {}: job {job_id} stage {stage_id} task {task_id} output partitions {partitions:?}",
            self.executor
        );
        self.inner.create_query_stage_exec(
            job_id, stage_id, task_id, partitions, plan, work_dir, config,
        )
    }
}

/// Runs the executor until the process is stopped.
///
/// # Errors
/// A scheduler address that is not `HOST:PORT`, ports that cannot be bound, a scheduler that
/// cannot be reached within `--connect-timeout`.
pub async fn run(args: &ExecutorArgs) -> Result<()> {
    let Some((host, port)) = args.scheduler.rsplit_once(':') else {
        return Err(bad_scheduler(&args.scheduler));
    };
    let Ok(port) = port.parse() else {
        return Err(bad_scheduler(&args.scheduler));
    };
    let mut config = ExecutorProcessConfig {
        bind_host: args.bind.clone(),
        external_host: Some(args.external_host.clone().unwrap_or(args.bind.clone())),
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler_host: host.to_string(),
        scheduler_port: port,
        scheduler_connect_timeout_seconds: args.connect_timeout,
        work_dir: args.work_dir.clone(),
        print_thread_info: false,
        override_function_registry: Some(Arc::new(super::function_registry())),
        ..Default::default()
    };
    if let Some(v) = args.vcores {
        config.vcores = v.max(1);
    }
    if args.log_tasks {
        config.override_execution_engine = Some(Arc::new(TaskLog {
            executor: config.executor_id.clone(),
            inner: DefaultExecutionEngine::new(),
        }));
    }
    start_executor_process(Arc::new(config)).await
}

fn bad_scheduler(given: &str) -> ballista_core::error::BallistaError {
    ballista_core::error::BallistaError::Configuration(format!(
        "--scheduler {given}: expected HOST:PORT"
    ))
}

/// The program: parses `std::env::args`, runs, and returns the exit status (2 on an error,
/// printed as one line).
pub fn main_exit() -> i32 {
    let args = ExecutorArgs::parse();
    super::block_on("mlp-executor", run(&args))
}
