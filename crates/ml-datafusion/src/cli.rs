//! `mlp-sql`: runs SQL, with every function of this crate registered, over Parquet and CSV
//! files, and writes the result as CSV (standard output by default) or Parquet.

use clap::Parser;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::{DataFusionError, Result};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use datafusion::sql::parser::DFParser;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The command line of `mlp-sql`.
#[derive(Debug, Parser)]
#[command(
    name = "mlp-sql",
    about = "Run SQL over Parquet and CSV files with the pipeline's functions (moments, \
             ridge_fit, ols_fit, pca_fit, gbdt_histogram, predict, predict_proba, \
             rolling_features, bar_features) registered.",
    after_help = "A CSV result flattens struct columns into one column per field (named by \
                  the field, or <column>_<field> where names would repeat); a Parquet result \
                  keeps them as structs.\n\nExample:\n  mlp-sql --table bars=data/bars/ \
                  \"SELECT symbol, ridge_fit(y, x1, x2, 0.5) AS model FROM bars GROUP BY symbol\""
)]
pub struct Args {
    /// A table: NAME=PATH, where PATH is a CSV file (with a header), a Parquet file, or a
    /// folder of Parquet files (one table). Repeat for several tables.
    #[arg(long = "table", value_name = "NAME=PATH")]
    pub tables: Vec<String>,
    /// Write the result to this file instead of standard output: CSV, or Parquet when it
    /// ends in .parquet.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read the SQL from this file (statements separated by `;`; the last one's result is
    /// written).
    #[arg(long, value_name = "FILE", conflicts_with = "query")]
    pub file: Option<PathBuf>,
    /// Partitions each query is split into (default: one per core).
    #[arg(long, value_name = "N")]
    pub partitions: Option<usize>,
    /// Run on the Ballista cluster whose scheduler (`mlp-scheduler`) listens at HOST:PORT
    /// instead of in this process (when built with the `ballista` feature). Table paths
    /// must be readable by every executor.
    #[arg(long, value_name = "HOST:PORT")]
    pub cluster: Option<String>,
    /// The SQL (statements separated by `;`; the last one's result is written).
    #[arg(required_unless_present = "file")]
    pub query: Option<String>,
}

/// An error of the program itself (not of DataFusion): its message as it is.
#[derive(Debug)]
struct Failure(String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// An error of the program: one line for the user, shown without DataFusion's prefix.
fn fail(message: impl Into<String>) -> DataFusionError {
    DataFusionError::External(Box::new(Failure(message.into())))
}

/// The line shown for an error: the program's own message as it is, DataFusion's with its
/// kind (`Error during planning: ...`), on one line.
fn message(e: &DataFusionError) -> String {
    let text = match e {
        DataFusionError::External(inner) if inner.is::<Failure>() => inner.to_string(),
        e => e.to_string(),
    };
    text.replace('\n', " ")
}

/// Registers `NAME=PATH` with `ctx`.
pub async fn register_table(ctx: &SessionContext, spec: &str) -> Result<()> {
    let Some((name, path)) = spec.split_once('=') else {
        return Err(fail(format!("--table {spec}: expected NAME=PATH")));
    };
    let p = Path::new(path);
    let lower = path.to_ascii_lowercase();
    if p.is_dir() {
        ctx.register_parquet(name, path, ParquetReadOptions::default())
            .await
    } else if !p.is_file() {
        Err(fail(format!("--table {spec}: no file or folder {path}")))
    } else if lower.ends_with(".parquet") {
        ctx.register_parquet(name, path, ParquetReadOptions::default())
            .await
    } else if lower.ends_with(".csv") {
        ctx.register_csv(name, path, CsvReadOptions::new().has_header(true))
            .await
    } else {
        Err(fail(format!(
            "--table {spec}: {path} is neither .csv, .parquet nor a folder of Parquet files"
        )))
    }
}

/// Runs the statements of `sql` in order and returns the last one's result.
pub async fn run_sql(ctx: &SessionContext, sql: &str) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    let statements = DFParser::parse_sql(sql)?;
    if statements.is_empty() {
        return Err(fail("no SQL statement given"));
    }
    let mut last = None;
    for statement in statements {
        let plan = ctx.state().statement_to_plan(statement).await?;
        let df = ctx.execute_logical_plan(plan).await?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        last = Some((schema, df.collect().await?));
    }
    Ok(last.expect("at least one statement"))
}

/// The batches with every struct column replaced by its fields (recursively), named by the
/// field, or `<column>_<field>` where a name would repeat.
pub fn flatten(
    schema: &Schema,
    batches: &[RecordBatch],
) -> Result<(Arc<Schema>, Vec<RecordBatch>)> {
    fn leaves(name: &str, field: &Field, out: &mut Vec<(String, String, DataType)>) {
        match field.data_type() {
            DataType::Struct(children) => {
                for c in children {
                    leaves(&format!("{name}_{}", c.name()), c, out);
                }
            }
            t => out.push((field.name().clone(), name.to_string(), t.clone())),
        }
    }
    fn columns(array: &ArrayRef, out: &mut Vec<ArrayRef>) {
        match array.data_type() {
            DataType::Struct(_) => {
                let s = array.as_struct();
                for c in s.columns() {
                    // A null struct row makes each of its fields null.
                    let c = match s.nulls() {
                        Some(n) if s.null_count() > 0 => {
                            let merged =
                                datafusion::arrow::buffer::NullBuffer::union(Some(n), c.nulls());
                            datafusion::arrow::array::make_array(
                                c.to_data()
                                    .into_builder()
                                    .nulls(merged)
                                    .build()
                                    .expect("same length"),
                            )
                        }
                        _ => c.clone(),
                    };
                    columns(&c, out);
                }
            }
            _ => out.push(array.clone()),
        }
    }
    let mut names = Vec::new();
    for f in schema.fields() {
        leaves(f.name(), f, &mut names);
    }
    let short: Vec<&String> = names.iter().map(|(s, _, _)| s).collect();
    let fields: Vec<Field> = names
        .iter()
        .map(|(s, long, t)| {
            let unique = short.iter().filter(|n| **n == s).count() == 1;
            Field::new(if unique { s } else { long }, t.clone(), true)
        })
        .collect();
    let flat = Arc::new(Schema::new(fields));
    let out = batches
        .iter()
        .map(|b| {
            let mut cols = Vec::new();
            b.columns().iter().for_each(|c| columns(c, &mut cols));
            RecordBatch::try_new(flat.clone(), cols).map_err(DataFusionError::from)
        })
        .collect::<Result<_>>()?;
    Ok((flat, out))
}

/// Writes `batches` as CSV (header first) to `out`.
fn write_csv(out: impl Write, schema: &Schema, batches: &[RecordBatch]) -> Result<()> {
    let (schema, flat) = flatten(schema, batches)?;
    let mut w = datafusion::arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(out);
    if flat.is_empty() {
        w.write(&RecordBatch::new_empty(schema))?;
    }
    for b in &flat {
        w.write(b)?;
    }
    Ok(())
}

/// Writes the result where `--output` says.
fn write_result(output: Option<&Path>, schema: Arc<Schema>, batches: &[RecordBatch]) -> Result<()> {
    let Some(path) = output else {
        let stdout = std::io::stdout();
        return write_csv(stdout.lock(), &schema, batches);
    };
    let file = std::fs::File::create(path)
        .map_err(|e| fail(format!("cannot create {}: {e}", path.display())))?;
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if parquet {
        let mut w = ArrowWriter::try_new(file, schema, None)?;
        for b in batches {
            w.write(b)?;
        }
        w.close()?;
        Ok(())
    } else {
        write_csv(std::io::BufWriter::new(file), &schema, batches)
    }
}

/// A context on the cluster whose scheduler is at `scheduler`.
#[cfg(feature = "ballista")]
async fn cluster_context(scheduler: &str, config: SessionConfig) -> Result<SessionContext> {
    crate::cluster::remote_context(scheduler, config).await
}

/// Without the `ballista` feature: an error saying so.
#[cfg(not(feature = "ballista"))]
async fn cluster_context(scheduler: &str, _config: SessionConfig) -> Result<SessionContext> {
    Err(fail(format!(
        "--cluster {scheduler}: this mlp-sql was built without the ballista feature \
         (cargo build -p ml-datafusion --features ballista)"
    )))
}

/// Runs the program on parsed arguments.
///
/// # Errors
/// A bad `--table`, an unreadable `--file`, the query's own errors, an unwritable output.
pub async fn run(args: &Args) -> Result<()> {
    let mut config = SessionConfig::new();
    if let Some(p) = args.partitions {
        config = config.with_target_partitions(p.max(1));
    }
    let ctx = match &args.cluster {
        None => {
            let ctx = SessionContext::new_with_config(config);
            crate::register(&ctx);
            ctx
        }
        Some(scheduler) => cluster_context(scheduler, config).await?,
    };
    for t in &args.tables {
        register_table(&ctx, t).await?;
    }
    let sql = match (&args.file, &args.query) {
        (Some(f), _) => std::fs::read_to_string(f)
            .map_err(|e| fail(format!("cannot read {}: {e}", f.display())))?,
        (None, Some(q)) => q.clone(),
        (None, None) => return Err(fail("give a query or --file")),
    };
    let (schema, batches) = run_sql(&ctx, &sql).await?;
    write_result(args.output.as_deref(), schema, &batches)
}

/// The program: parses `std::env::args`, runs, prints an error as one line and returns the
/// exit status (0, or 2 on any error; clap's own for usage errors).
pub fn main_exit() -> i32 {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mlp-sql: cannot start the runtime: {e}");
            return 2;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("mlp-sql: {}", message(&e));
            2
        }
    }
}
