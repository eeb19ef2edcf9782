//! The streaming hot path allocates nothing after warm-up: counted, not printed.

mod common;

use ml_pipeline::{GbdtFormat, IntegratedMlPipeline, SavedGbdt, SavedModel, Stage};
use seeded_rng::Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by the current thread, so test-harness threads don't interfere.
struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards to the system allocator unchanged; the counter is a
// thread-local `Cell` with a const initializer, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCS.with(Cell::get)
}

fn walk(n: usize) -> Vec<f64> {
    let mut rng = Rng::new(3);
    let mut p = 100.0f64;
    (0..n)
        .map(|_| {
            p *= 1.0 + rng.range(-0.005, 0.005);
            p
        })
        .collect()
}

fn count_update_allocations(mut pipe: IntegratedMlPipeline) -> (u64, u64) {
    let prices = walk(120_000);
    pipe.fit(&prices[..10_000]).unwrap();
    count_streamed(&mut pipe, &prices)
}

/// Allocations and predictions of 100000 updates (prices 11000..111000), after 1000 to warm.
fn count_streamed(pipe: &mut IntegratedMlPipeline, prices: &[f64]) -> (u64, u64) {
    for &p in &prices[10_000..11_000] {
        pipe.update(p);
    }
    let before = allocations();
    let mut predictions = 0u64;
    for &p in &prices[11_000..111_000] {
        predictions += u64::from(pipe.update(p).is_some());
    }
    (allocations() - before, predictions)
}

#[test]
fn update_allocates_nothing_with_every_layer_on() {
    for logistic in [false, true] {
        let b = IntegratedMlPipeline::builder().window(32);
        let b = if logistic {
            b.logistic(1.0)
        } else {
            b.ridge(1.0)
        };
        let (allocs, predictions) = count_update_allocations(b.build().unwrap());
        assert_eq!(predictions, 100_000);
        assert_eq!(
            allocs, 0,
            "{allocs} allocations in 100000 updates (logistic: {logistic})"
        );
    }
}

#[test]
fn update_with_an_imported_tree_model_allocates_nothing() {
    // A LightGBM model over three of the pipeline's columns, in another order: the pipeline
    // puts a selection stage before it, and each tick goes through stage and trees.
    for objective in ["regression", "binary sigmoid:1"] {
        let text =
            common::lightgbm_text(&common::TREE_FEATURES, objective, &common::TREE_THRESHOLDS);
        let tree = SavedGbdt::import(GbdtFormat::LightgbmText, text.into_bytes()).unwrap();
        let mut pipe = IntegratedMlPipeline::builder().window(32).build().unwrap();
        pipe.set_model(SavedModel::gbdt(tree)).unwrap();
        assert!(matches!(
            pipe.model().unwrap().stages.as_slice(),
            [Stage::Select(_)]
        ));
        let prices = walk(120_000);
        pipe.prime(&prices[..10_000]).unwrap();
        let (allocs, predictions) = count_streamed(&mut pipe, &prices);
        assert_eq!(predictions, 100_000);
        assert_eq!(
            allocs, 0,
            "{allocs} allocations in 100000 updates (tree model, {objective})"
        );
    }
}

#[test]
fn the_counter_sees_allocations_when_pools_are_off() {
    // Proves the counter works: without pools, every prediction allocates its scratch.
    let pipe = IntegratedMlPipeline::builder()
        .window(32)
        .use_pools(false)
        .build()
        .unwrap();
    let (allocs, predictions) = count_update_allocations(pipe);
    assert_eq!(predictions, 100_000);
    assert!(allocs >= 100_000, "only {allocs} allocations counted");
}

#[test]
fn tree_ensemble_predict_one_allocates_nothing() {
    use ml_pipeline::models::GbdtModel;
    use ml_pipeline::Predict;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gbdt");
    // Regression, binary, softmax (whose class index needs the scratch), multiclass,
    // categorical, zero-as-missing: every path of the traversal and the links.
    for name in [
        "xgb_reg_depth6.json",
        "xgb_binary.ubj",
        "xgb_softmax5.json",
        "xgb_cat_reg.json",
        "lgb_multiclass3.txt",
        "lgb_cat_binary.txt",
        "lgb_reg_zero_missing.txt",
    ] {
        let model = GbdtModel::load(&dir.join(name)).unwrap();
        let k = model.n_features();
        let mut rng = Rng::new(5);
        let rows: Vec<Vec<f64>> = (0..1000)
            .map(|_| {
                (0..k)
                    .map(|_| match rng.below(10) {
                        0 => f64::NAN,
                        1 => 0.0,
                        2 => rng.below(12) as f64,
                        _ => rng.range(-30.0, 30.0),
                    })
                    .collect()
            })
            .collect();
        let mut scratch = vec![0.0; model.scratch_len()];
        let mut out = vec![0.0; model.output().width()];
        // Warm-up: the first ISA detection of the process reads SIMD_KERNELS_ISA (a String).
        model.predict_one(&rows[0], &mut scratch, &mut out);
        let before = allocations();
        let mut sum = 0.0;
        for r in &rows {
            model.predict_one(r, &mut scratch, &mut out);
            sum += out[0];
        }
        let allocs = allocations() - before;
        assert!(sum.is_finite(), "{name}");
        assert_eq!(
            allocs, 0,
            "{name}: {allocs} allocations in 1000 predictions"
        );
    }
}

#[test]
fn keyed_features_allocate_nothing_after_each_keys_first_tick() {
    use ml_pipeline::features::{FeatureConfig, KeyedRollingFeatures};
    let symbols: Vec<String> = (0..50).map(|i| format!("SYM{i:03}")).collect();
    let prices = walk(60_000);
    let mut f = KeyedRollingFeatures::<String>::new(FeatureConfig::with_window(32)).unwrap();
    // Symbols arrive interleaved; each one's first tick creates its state (and may grow the
    // map), so the count starts after every symbol has had one.
    let mut firsts = 0;
    for (t, s) in symbols.iter().enumerate() {
        firsts += u64::from(f.update(s, prices[t]).is_none());
    }
    assert_eq!(firsts, 50);
    let before = allocations();
    let mut rows = 0u64;
    for (t, &p) in prices.iter().enumerate().skip(symbols.len()) {
        let s = symbols[(t * 7 + t / 13) % symbols.len()].as_str();
        rows += u64::from(f.update(s, p).is_some());
        f.update_row(s, p * 1.001);
    }
    let allocs = allocations() - before;
    assert!(rows > 50_000, "only {rows} warmed-up rows");
    assert_eq!(
        allocs,
        0,
        "{allocs} allocations in {} keyed ticks",
        2 * (60_000 - 50)
    );
    // The counter sees a new key's state being built.
    let before = allocations();
    f.update("NEW", 1.0);
    assert!(allocations() > before, "a new key's state allocates");
}

#[test]
fn bar_features_allocate_nothing_after_construction() {
    use ml_pipeline::features::{Bar, BarInputs, FeatureConfig, KeyedRollingFeatures};
    use ml_pipeline::RollingFeatures;
    let cfg = FeatureConfig {
        windows: vec![8, 32, 128],
        return_horizons: vec![1, 8, 32],
        bars: BarInputs::OHLCV,
        recompute_every: 500,
        ..FeatureConfig::default()
    };
    let prices = walk(20_000);
    let bar = |t: usize| Bar {
        open: prices[t.saturating_sub(1)],
        high: prices[t] * 1.002,
        low: prices[t] * 0.997,
        close: prices[t],
        volume: 1000.0 + (t % 17) as f64,
    };
    let mut f = RollingFeatures::new(cfg.clone()).unwrap();
    let mut keyed = KeyedRollingFeatures::<u32>::new(cfg).unwrap();
    keyed.update_bar(&0, &bar(0));
    keyed.update_bar(&1, &bar(0));
    let before = allocations();
    let mut rows = 0u64;
    for t in 0..prices.len() {
        rows += u64::from(f.update_bar(&bar(t)).is_some());
        keyed.update_bar_row(&((t % 2) as u32), &bar(t));
    }
    let allocs = allocations() - before;
    assert!(rows > 19_000, "only {rows} warmed-up rows");
    assert_eq!(allocs, 0, "{allocs} allocations in 40000 bar updates");
}
