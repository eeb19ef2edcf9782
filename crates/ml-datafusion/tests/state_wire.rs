//! Partial states as they cross a wire: each partition's `GroupsAccumulator` state, written
//! as Arrow IPC (the format of Ballista's shuffle files and Flight streams), read back
//! unchanged, and merged in another order into the result the engine gives in one process.

mod common;

use common::{assert_close, assert_models_close, context, query, strings, with_memtable, Table};
use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Field, Float64Type, Schema};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{AggregateUDF, EmitTo};
use datafusion::physical_expr::expressions::{col, lit};
use datafusion::physical_expr::PhysicalExpr;
use std::sync::Arc;

/// DDD has rows in the first partition only: the others send it a null state.
const SIZES: [(&str, usize); 4] = [("AAA", 700), ("BBB", 1300), ("CCC", 40), ("DDD", 5)];
const PARTS: usize = 3;

/// The batch through an Arrow IPC stream and back.
fn through_ipc(batch: &RecordBatch) -> RecordBatch {
    let mut bytes = Vec::new();
    let mut w = StreamWriter::try_new(&mut bytes, &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    drop(w);
    let mut r = StreamReader::try_new(bytes.as_slice(), None).unwrap();
    let back = r.next().expect("one batch").unwrap();
    assert!(r.next().is_none());
    back
}

/// `function(args)` by symbol: each partition's state through IPC, merged last partition
/// first; the results, one per symbol of `SIZES`.
fn merged_over_the_wire(function: &str, args: &[&str], alpha: Option<f64>) -> ArrayRef {
    let udaf: AggregateUDF = ml_datafusion::aggregate_functions()
        .into_iter()
        .find(|f| f.name() == function)
        .unwrap();
    let schema = Table::schema();
    let mut exprs: Vec<Arc<dyn PhysicalExpr>> =
        args.iter().map(|a| col(a, &schema).unwrap()).collect();
    if let Some(a) = alpha {
        exprs.push(lit(ScalarValue::Float64(Some(a))));
    }
    let fields: Vec<_> = exprs
        .iter()
        .map(|e| e.return_field(&schema).unwrap())
        .collect();
    let return_field = udaf.return_field(&fields).unwrap();
    let acc_args = || AccumulatorArgs {
        return_field: return_field.clone(),
        schema: &schema,
        ignore_nulls: false,
        order_bys: &[],
        is_reversed: false,
        name: function,
        is_distinct: false,
        exprs: &exprs,
        expr_fields: &fields,
    };
    let state_fields = udaf
        .state_fields(StateFieldsArgs {
            name: function,
            input_fields: &fields,
            return_field: return_field.clone(),
            ordering_fields: &[],
            is_distinct: false,
        })
        .unwrap();
    let state_schema = Arc::new(Schema::new(
        state_fields
            .iter()
            .map(|f| f.as_ref().clone())
            .collect::<Vec<Field>>(),
    ));
    let table = Table::new(&SIZES, 7);
    let groups = SIZES.len();
    let mut wire = Vec::new();
    for batch in table.batches(PARTS) {
        let mut acc = udaf.create_groups_accumulator(acc_args()).unwrap();
        let values: Vec<ArrayRef> = exprs
            .iter()
            .map(|e| {
                e.evaluate(&batch)
                    .unwrap()
                    .into_array(batch.num_rows())
                    .unwrap()
            })
            .collect();
        let symbols = batch.column_by_name("symbol").unwrap().as_string::<i32>();
        let index: Vec<usize> = symbols
            .iter()
            .map(|s| SIZES.iter().position(|g| Some(g.0) == s).unwrap())
            .collect();
        acc.update_batch(&values, &index, None, groups).unwrap();
        let state =
            RecordBatch::try_new(state_schema.clone(), acc.state(EmitTo::All).unwrap()).unwrap();
        let back = through_ipc(&state);
        assert_eq!(back, state, "{function}: a state changed through IPC");
        wire.push(back);
    }
    let mut total = udaf.create_groups_accumulator(acc_args()).unwrap();
    let all: Vec<usize> = (0..groups).collect();
    for state in wire.iter().rev() {
        total.merge_batch(state.columns(), &all, groups).unwrap();
    }
    total.evaluate(EmitTo::All).unwrap()
}

/// A Utf8 result column as strings.
fn texts(array: &ArrayRef) -> Vec<Option<String>> {
    array
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(String::from))
        .collect()
}

/// The same aggregate by SQL in one process (`ORDER BY symbol` is `SIZES`' order).
async fn in_one_process(call: &str) -> RecordBatch {
    let ctx = with_memtable(context(2), &Table::new(&SIZES, 7), 4);
    let sql = format!("SELECT symbol, {call} AS r FROM t GROUP BY symbol ORDER BY symbol");
    let b = query(&ctx, &sql).await;
    let order: Vec<_> = SIZES.iter().map(|s| Some(s.0.to_string())).collect();
    assert_eq!(strings(&b, "symbol"), order);
    b
}

#[tokio::test]
async fn fit_states_cross_arrow_ipc_and_merge_to_the_one_process_fit() {
    let cases: [(&str, &[&str], Option<f64>, &str); 3] = [
        (
            "ridge_fit",
            &["y", "x1", "x2", "x3"],
            Some(0.5),
            "ridge_fit(y, x1, x2, x3, 0.5)",
        ),
        (
            "ols_fit",
            &["y", "x1", "x2", "x3"],
            None,
            "ols_fit(y, x1, x2, x3)",
        ),
        (
            "pca_fit",
            &["x1", "x2", "x3"],
            Some(2.0),
            "pca_fit(x1, x2, x3, 2)",
        ),
    ];
    for (function, args, constant, call) in cases {
        let got = texts(&merged_over_the_wire(function, args, constant));
        let want = in_one_process(call).await;
        assert_models_close(&got, &strings(&want, "r"), function);
    }
}

#[tokio::test]
async fn moments_states_cross_arrow_ipc_and_merge_to_the_one_process_moments() {
    let got = merged_over_the_wire("moments", &["x2"], None);
    let want = in_one_process("moments(x2)").await;
    let want = want.column_by_name("r").unwrap().as_struct();
    let got = got.as_struct();
    assert_eq!(got.column_names(), want.column_names());
    for (name, (g, w)) in got
        .column_names()
        .iter()
        .zip(got.columns().iter().zip(want.columns()))
    {
        if *name == "count" {
            assert_eq!(g, w, "count");
            continue;
        }
        let (g, w) = (
            g.as_primitive::<Float64Type>(),
            w.as_primitive::<Float64Type>(),
        );
        for (i, (g, w)) in g.iter().zip(w).enumerate() {
            match (g, w) {
                (Some(g), Some(w)) => assert_close(g, w, 1e-10, 1e-300, &format!("{name} {i}")),
                (g, w) => assert_eq!(g, w, "{name} {i}"),
            }
        }
    }
}

#[tokio::test]
async fn histogram_states_cross_arrow_ipc_and_merge_to_the_one_process_histograms() {
    let args = ["g", "h", "b1", "b2", "b3"];
    let got = texts(&merged_over_the_wire("gbdt_histogram", &args, None));
    let want = strings(
        &in_one_process("gbdt_histogram(g, h, b1, b2, b3)").await,
        "r",
    );
    assert!(got.iter().all(Option::is_some), "a histogram per symbol");
    // Dyadic gradients: every sum is exact, so any merge order gives the same text.
    assert_eq!(got, want);
}
