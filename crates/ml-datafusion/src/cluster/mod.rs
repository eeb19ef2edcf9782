//! The functions of this crate on a [Ballista](https://datafusion.apache.org/ballista/)
//! cluster (feature `ballista`): a scheduler ([`scheduler`], the `mlp-scheduler` program),
//! executors ([`executor`], `mlp-executor`) and a client context ([`remote_context`], used
//! by `mlp-sql --cluster`).
//!
//! Ballista sends plans between its processes as DataFusion's protobuf, where a function is
//! its name; each process resolves names in its own registry. So every process has this
//! crate's functions registered:
//!
//! - the client plans the SQL: [`remote_context`] registers them on its session;
//! - the scheduler decodes the client's logical plan and splits the physical plan into
//!   stages: its session builder ([`scheduler_session`]) registers them;
//! - an executor decodes its tasks' physical plans: its function registry
//!   ([`function_registry`]) holds them.
//!
//! No codec of ours is needed: the functions carry no state beyond their name and
//! arguments, and the partial states they exchange are plain arrow columns
//! (`List<Float64>` and Float64), written to the shuffle files and sent over Arrow Flight as
//! Arrow IPC like any other column.

pub mod executor;
pub mod scheduler;

use ballista::extension::SessionContextExt;
use ballista_core::extension::SessionConfigExt;
use ballista_core::registry::BallistaFunctionRegistry;
use datafusion::common::Result;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::sync::Arc;

/// Ballista's default functions (DataFusion's) and every function of this crate, for an
/// executor to decode its tasks' plans with.
pub fn function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    for f in crate::aggregate_functions() {
        registry
            .aggregate_functions
            .insert(f.name().to_string(), Arc::new(f));
    }
    for f in crate::scalar_functions() {
        registry
            .scalar_functions
            .insert(f.name().to_string(), Arc::new(f));
    }
    for f in crate::window_functions() {
        registry
            .window_functions
            .insert(f.name().to_string(), Arc::new(f));
    }
    registry
}

/// Registers every function of this crate with `state`.
fn register_state(state: &mut SessionState) -> Result<()> {
    for f in crate::aggregate_functions() {
        state.register_udaf(Arc::new(f))?;
    }
    for f in crate::scalar_functions() {
        state.register_udf(Arc::new(f))?;
    }
    for f in crate::window_functions() {
        state.register_udwf(Arc::new(f))?;
    }
    Ok(())
}

/// The scheduler's session for a client's `config`: Ballista's default session with every
/// function of this crate registered (the scheduler's `SessionBuilder`).
///
/// # Errors
/// Ballista's, when the session's runtime cannot be built.
pub fn scheduler_session(config: SessionConfig) -> Result<SessionState> {
    let mut state = ballista_core::utils::default_session_builder(config)?;
    register_state(&mut state)?;
    Ok(state)
}

/// A context whose queries run on the Ballista cluster whose scheduler listens at
/// `scheduler` (`HOST:PORT`), with `config` (target partitions, ...) sent with each query
/// and every function of this crate registered. Tables are registered on it as on a local
/// context; their paths must be readable by every executor.
///
/// # Errors
/// An address that is not `HOST:PORT`. The scheduler is first contacted by the first query.
pub async fn remote_context(scheduler: &str, config: SessionConfig) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config.upgrade_for_ballista())
        .build();
    let ctx = SessionContext::remote_with_state(&format!("df://{scheduler}"), state).await?;
    // After the upgrade: it resets the session's functions to Ballista's defaults.
    crate::register(&ctx);
    Ok(ctx)
}

/// Runs `program`'s future on a new runtime: exit status 0, or 2 with the error printed as
/// one line.
fn block_on(
    program: &str,
    future: impl std::future::Future<Output = ballista_core::error::Result<()>>,
) -> i32 {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{program}: cannot start the runtime: {e}");
            return 2;
        }
    };
    match runtime.block_on(future) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{program}: {}", e.to_string().replace('\n', " "));
            2
        }
    }
}
