//! The same SQL on a Ballista cluster as in one process: a scheduler and two executors
//! (`mlp-scheduler`, `mlp-executor`) started on loopback by the test, over a folder of
//! Parquet files. Fits equal the single-process run to 1e-10 relative (partial states merge
//! in another order), `gbdt_histogram` of dyadic gradients and rolling features bit for bit; every query's tasks run on both
//! executors, and the shuffle is read over Arrow Flight even where it is local, so partial
//! states cross the wire.

mod common;

use ballista_core::extension::SessionConfigExt;
use common::{assert_close, assert_models_close, context, floats, query, strings, Table};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows per symbol: interleaved, so each of the 4 files holds rows of every symbol and each
/// group's fit merges states from every partition.
const SIZES: [(&str, usize); 3] = [("AAA", 600), ("BBB", 450), ("CCC", 300)];
/// Files of the dataset, and partitions of every query: the first stage has 4 tasks.
const FILES: usize = 4;
/// The longest wait for a process to start or a query to finish.
const TIMEOUT: Duration = Duration::from_secs(120);

/// A child process that is killed when dropped (also when a test panics).
struct Process {
    name: String,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Process {
    fn spawn(name: &str, program: &str, args: &[String], dir: &Path) -> Process {
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        Process {
            name: name.to_string(),
            child,
            stdout,
            stderr,
        }
    }

    /// What it printed so far.
    fn output(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// `Some(report)` once it has exited.
    fn exited(&mut self) -> Option<String> {
        let status = self.child.try_wait().unwrap()?;
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        Some(format!("{} exited ({status}): {err}", self.name))
    }
}

impl Process {
    /// The first line it prints that contains `text`, failing if it exits first or prints
    /// none within `TIMEOUT`.
    fn wait_for_line(&mut self, text: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(line) = self.output().lines().find(|l| l.contains(text)) {
                return line.to_string();
            }
            if let Some(report) = self.exited() {
                panic!("waiting for {text:?}: {report}");
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "waiting for {text:?} from {}: nothing within {TIMEOUT:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scheduler and two executors on loopback.
struct Cluster {
    scheduler: Process,
    executors: Vec<Process>,
    address: String,
}

/// `n` distinct ports free at the time of the call.
fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let args = ["--port", "0"].map(String::from);
        let mut scheduler =
            Process::spawn("scheduler", env!("CARGO_BIN_EXE_mlp-scheduler"), &args, dir);
        let address = scheduler.wait_for_line("listening on ");
        let address = address.rsplit(' ').next().unwrap().to_string();
        let mut cluster = Cluster {
            scheduler,
            executors: vec![],
            address,
        };
        // A port picked free may be taken before the executor binds it: then it exits, and
        // is started again on other ports.
        for attempt in 0..3 {
            cluster.executors.clear();
            let ports = free_ports(4);
            for e in 0..2 {
                let work = dir.join(format!("work-{attempt}-{e}"));
                std::fs::create_dir_all(&work).unwrap();
                let args = [
                    "--port".into(),
                    ports[2 * e].to_string(),
                    "--grpc-port".into(),
                    ports[2 * e + 1].to_string(),
                    "--scheduler".into(),
                    cluster.address.clone(),
                    "--vcores".into(),
                    "2".into(),
                    "--work-dir".into(),
                    work.display().to_string(),
                    "--log-tasks".into(),
                ];
                let name = format!("executor-{attempt}-{e}");
                let exe = env!("CARGO_BIN_EXE_mlp-executor");
                cluster
                    .executors
                    .push(Process::spawn(&name, exe, &args, dir));
            }
            if cluster.wait_for_executors() {
                return cluster;
            }
        }
        panic!("the executors did not start in 3 attempts");
    }

    /// Waits until both executors are registered; false if one exited first.
    fn wait_for_executors(&mut self) -> bool {
        let start = Instant::now();
        loop {
            let out = self.scheduler.output();
            if out.lines().filter(|l| l.contains(": executor ")).count() >= self.executors.len() {
                return true;
            }
            if let Some(report) = self.scheduler.exited() {
                panic!("waiting for the executors: {report}");
            }
            for e in &mut self.executors {
                if let Some(report) = e.exited() {
                    eprintln!("an executor did not start, starting both again: {report}");
                    return false;
                }
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "waiting for the executors to register: none within {TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Tasks of a job's first stage (the scan, and for an aggregate the partial states)
    /// each executor has run so far (`mlp-executor --log-tasks` prints one line per task).
    fn first_stage_tasks(&self) -> Vec<usize> {
        self.executors
            .iter()
            .map(|e| {
                e.output()
                    .lines()
                    .filter(|l| l.contains(" stage 0 task "))
                    .count()
            })
            .collect()
    }
}

/// `ctx` with the dataset registered as `bars`.
async fn with_bars(ctx: SessionContext, dir: &Path) -> SessionContext {
    let path = dir.display().to_string();
    ctx.register_parquet("bars", &path, ParquetReadOptions::default())
        .await
        .unwrap();
    ctx
}

/// Runs `sql` on the cluster, checking that both executors ran tasks of its first stage: so
/// the next stage (an aggregate's merge of partial states, a window's partitions by symbol)
/// read output of both, over Arrow Flight.
///
/// How that is ensured: the query has `FILES` input partitions, a first-stage task takes
/// one (`ballista.scheduler.max_partitions_per_task = 1`), and the scheduler binds tasks to
/// the executors' free slots in turn (`--task-distribution round-robin`, the default of
/// `mlp-scheduler`), both executors being registered and idle before each query.
async fn on_cluster(cluster: &Cluster, ctx: &SessionContext, sql: &str) -> RecordBatch {
    let before = cluster.first_stage_tasks();
    let batch = tokio::time::timeout(TIMEOUT, query(ctx, sql))
        .await
        .unwrap_or_else(|_| panic!("{sql}: no result from the cluster within {TIMEOUT:?}"));
    let after = cluster.first_stage_tasks();
    for (e, (b, a)) in before.iter().zip(&after).enumerate() {
        assert!(
            a > b,
            "{sql}: executor {e} ran none of the first stage's tasks (so far per executor: \
             {before:?} before, {after:?} after)"
        );
    }
    batch
}

/// `batch` with its struct columns flattened (as `mlp-sql` writes CSV).
fn flat(batch: &RecordBatch) -> RecordBatch {
    let (_, mut flat) =
        ml_datafusion::cli::flatten(batch.schema().as_ref(), std::slice::from_ref(batch)).unwrap();
    flat.pop().unwrap()
}

/// Every Float64 column (after flattening structs) of `batch` as bits (None for null).
fn float_bits(batch: &RecordBatch) -> Vec<(String, Vec<Option<u64>>)> {
    let b = flat(batch);
    b.schema()
        .fields()
        .iter()
        .zip(b.columns())
        .filter(|(f, _)| f.data_type() == &DataType::Float64)
        .map(|(f, c)| {
            let c = c.as_primitive::<Float64Type>();
            let bits = (0..c.len())
                .map(|i| c.is_valid(i).then(|| c.value(i).to_bits()))
                .collect();
            (f.name().clone(), bits)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_sql_on_a_ballista_cluster_gives_the_same_fits_and_features() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("bars");
    Table::new(&SIZES, 18).write_parquet(&data, FILES);
    let cluster = Cluster::start(tmp.path());

    let local = with_bars(context(FILES), &data).await;
    // Shuffle files are read over Arrow Flight even by the executor that wrote them.
    let config = SessionConfig::new()
        .with_target_partitions(FILES)
        .upgrade_for_ballista()
        .with_ballista_shuffle_reader_force_remote_read(true)
        .set_usize("ballista.scheduler.max_partitions_per_task", 1);
    let remote = ml_datafusion::cluster::remote_context(&cluster.address, config)
        .await
        .unwrap();
    let remote = with_bars(remote, &data).await;

    let fits = [
        "ridge_fit(y, x1, x2, x3, 0.5)",
        "ols_fit(y, x1, x2, x3)",
        "pca_fit(x1, x2, x3, 2)",
    ];
    for fit in fits {
        let sql =
            format!("SELECT symbol, {fit} AS model FROM bars GROUP BY symbol ORDER BY symbol");
        let want = query(&local, &sql).await;
        let got = on_cluster(&cluster, &remote, &sql).await;
        assert_eq!(strings(&got, "symbol"), strings(&want, "symbol"), "{fit}");
        assert_eq!(want.num_rows(), SIZES.len());
        assert_models_close(&strings(&got, "model"), &strings(&want, "model"), fit);
    }

    // Histograms of dyadic gradients are exact: the same text whichever executor summed
    // which rows, by symbol (a GroupsAccumulator) and over the whole table (an Accumulator).
    let histograms = [
        "SELECT symbol, gbdt_histogram(g, h, b1, b2, b3) AS hist FROM bars GROUP BY symbol \
         ORDER BY symbol",
        "SELECT 'all' AS symbol, gbdt_histogram(g, h, b1, b2, b3) AS hist FROM bars",
    ];
    for sql in histograms {
        let want = query(&local, sql).await;
        let got = on_cluster(&cluster, &remote, sql).await;
        assert_eq!(strings(&got, "symbol"), strings(&want, "symbol"), "{sql}");
        let got = strings(&got, "hist");
        assert!(got.iter().all(Option::is_some), "{sql}: a null histogram");
        assert_eq!(got, strings(&want, "hist"), "{sql}");
    }

    // The program: `mlp-sql --cluster` gives the models the context gave.
    let sql = "SELECT symbol, ridge_fit(y, x1, x2, x3, 0.5) AS model FROM bars GROUP BY symbol ORDER BY symbol";
    let out = Command::new(env!("CARGO_BIN_EXE_mlp-sql"))
        .args(["--cluster", &cluster.address, "--partitions", "4"])
        .args(["--table", &format!("bars={}", data.display()), sql])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mlp-sql --cluster: {stderr}");
    let want = query(&local, sql).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut rows = datafusion::arrow::csv::ReaderBuilder::new(Arc::new(Schema::new(vec![
        Field::new("symbol", DataType::Utf8, false),
        Field::new("model", DataType::Utf8, false),
    ])))
    .with_header(true)
    .build(stdout.as_bytes())
    .unwrap();
    let got = rows.next().unwrap().unwrap();
    assert_eq!(strings(&got, "symbol"), strings(&want, "symbol"));
    assert_models_close(
        &strings(&got, "model"),
        &strings(&want, "model"),
        "mlp-sql --cluster",
    );

    let sql = "SELECT symbol, moments(x2) AS m FROM bars GROUP BY symbol ORDER BY symbol";
    let want = flat(&query(&local, sql).await);
    let got = flat(&on_cluster(&cluster, &remote, sql).await);
    assert_eq!(strings(&got, "symbol"), strings(&want, "symbol"));
    assert_eq!(floats(&got, "count"), floats(&want, "count"));
    for name in ["mean", "var", "std", "skew", "kurt"] {
        for (g, w) in floats(&got, name).into_iter().zip(floats(&want, name)) {
            match (g, w) {
                (Some(g), Some(w)) => assert_close(g, w, 1e-10, 1e-300, &format!("moments {name}")),
                (g, w) => assert_eq!(g, w, "moments {name}: a null on one side only"),
            }
        }
    }

    let sql = "SELECT symbol, ts, rolling_features(close, 5) OVER (PARTITION BY symbol ORDER BY ts) AS f, \
               bar_features(open, high, low, close, volume, 20) OVER (PARTITION BY symbol ORDER BY ts) AS b \
               FROM bars ORDER BY symbol, ts";
    let want = query(&local, sql).await;
    let got = on_cluster(&cluster, &remote, sql).await;
    assert_eq!(got.num_rows(), SIZES.iter().map(|s| s.1).sum::<usize>());
    assert_eq!(strings(&got, "symbol"), strings(&want, "symbol"));
    assert_eq!(strings(&got, "ts"), strings(&want, "ts"));
    let (g, w) = (float_bits(&got), float_bits(&want));
    assert!(
        g.len() > 10,
        "the features' columns: {:?}",
        g.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    let values = g.iter().flat_map(|c| &c.1).filter(|v| v.is_some()).count();
    assert!(
        values > g.len() * got.num_rows() / 2,
        "mostly null features"
    );
    assert_eq!(g, w, "rolling features differ");
    eprintln!(
        "first-stage tasks per executor: {:?}",
        cluster.first_stage_tasks()
    );
}
