//! The integrated pipeline: features, optional standardization, a linear model trained here
//! or an imported one (a tree ensemble from XGBoost or LightGBM), and a tick-by-tick
//! predictor that allocates nothing.

use crate::ablation::Ablation;
use crate::error::{PipelineError, Result};
use crate::features::{extract_features, FeatureConfig, RollingFeatures};
use crate::latency::LatencyHistogram;
use crate::models::{LogisticRegression, Model, Pca, Ridge, SavedModel, Stage, StandardScaler};
use crate::traits::{likeliest, Fit, Output, Predict, Target, Transform};
use fast_math::{Mat, MatRef, Par};
use simd_kernels::Isa;
use std::sync::Arc;
use std::time::Instant;
use zero_copy_pool::{AlignedVec, ObjectPool};

/// The model a pipeline trains.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModelSpec {
    /// Ridge regression of the forward log return.
    Ridge(Ridge),
    /// Logistic regression of the forward return's sign (1 when it is positive).
    Logistic(LogisticRegression),
}

impl ModelSpec {
    /// What the model predicts: the forward log return, or the probability it is positive.
    pub fn output(&self) -> Output {
        match self {
            ModelSpec::Ridge(_) => Output::Value,
            ModelSpec::Logistic(_) => Output::Probability,
        }
    }
}

impl Fit for ModelSpec {
    type Fitted = Model;

    fn check(&self) -> Result<()> {
        match self {
            ModelSpec::Ridge(m) => m.check(),
            ModelSpec::Logistic(m) => m.check(),
        }
    }

    fn fit_ablated(
        &self,
        ablation: Ablation,
        x: MatRef<'_, f64>,
        y: Target<'_>,
        par: Par,
    ) -> Result<Model> {
        Ok(match self {
            ModelSpec::Ridge(m) => Model::Ridge(m.fit_ablated(ablation, x, y, par)?),
            ModelSpec::Logistic(m) => Model::Logistic(m.fit_ablated(ablation, x, y, par)?),
        })
    }
}

/// Everything a pipeline is built from. Use [`IntegratedMlPipeline::builder`].
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineConfig {
    /// Rolling features.
    pub features: FeatureConfig,
    /// Standardize features before the model.
    pub scale: bool,
    /// Project (scaled) features onto this many principal components before the model.
    pub pca: Option<usize>,
    /// The model.
    pub model: ModelSpec,
    /// Ticks ahead of the forward return the model predicts.
    pub horizon: usize,
    /// SIMD kernels (`false`: the scalar ISA everywhere).
    pub use_simd: bool,
    /// Pooled scratch buffers (`false`: a fresh allocation per call).
    pub use_pools: bool,
    /// Fast algorithms (`false`: textbook matrix products in training).
    pub use_fast_math: bool,
    /// Parallelism for training.
    pub par: Par,
}

/// Builder of an [`IntegratedMlPipeline`].
#[derive(Clone, Debug)]
pub struct PipelineBuilder {
    cfg: PipelineConfig,
}

impl PipelineBuilder {
    /// Rolling window of the features.
    pub fn window(mut self, w: usize) -> Self {
        self.cfg.features.window = w;
        self
    }
    /// The full feature configuration.
    pub fn features(mut self, f: FeatureConfig) -> Self {
        self.cfg.features = f;
        self
    }
    /// Standardize features (default on).
    pub fn scale(mut self, on: bool) -> Self {
        self.cfg.scale = on;
        self
    }
    /// Project features onto `k` principal components (after the scaler) before the model.
    pub fn pca(mut self, k: usize) -> Self {
        self.cfg.pca = Some(k);
        self
    }
    /// Ridge regression with penalty `alpha` (the default model, alpha 1).
    pub fn ridge(mut self, alpha: f64) -> Self {
        self.cfg.model = ModelSpec::Ridge(Ridge {
            alpha,
            fit_intercept: true,
        });
        self
    }
    /// Logistic regression with inverse penalty `c`.
    pub fn logistic(mut self, c: f64) -> Self {
        self.cfg.model = ModelSpec::Logistic(LogisticRegression {
            c,
            ..LogisticRegression::default()
        });
        self
    }
    /// Forward-return horizon in ticks (default 1).
    pub fn horizon(mut self, h: usize) -> Self {
        self.cfg.horizon = h;
        self
    }
    /// Turn the SIMD layer on or off.
    pub fn use_simd(mut self, on: bool) -> Self {
        self.cfg.use_simd = on;
        self
    }
    /// Turn the pool layer on or off.
    pub fn use_pools(mut self, on: bool) -> Self {
        self.cfg.use_pools = on;
        self
    }
    /// Turn the fast-math layer on or off.
    pub fn use_fast_math(mut self, on: bool) -> Self {
        self.cfg.use_fast_math = on;
        self
    }
    /// Parallelism for training.
    pub fn par(mut self, par: Par) -> Self {
        self.cfg.par = par;
        self
    }
    /// Checks the configuration and builds the (untrained) pipeline.
    ///
    /// # Errors
    /// [`PipelineError::InvalidSetting`] for bad features or a zero horizon.
    pub fn build(self) -> Result<IntegratedMlPipeline> {
        IntegratedMlPipeline::new(self.cfg)
    }
}

/// `update` measures its latency on every this-many ticks.
const LATENCY_SAMPLE: u64 = 8;

/// One streamed prediction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Index of the tick (0-based, counting every `update` since training).
    pub tick: u64,
    /// Predicted forward log return (ridge) or probability that it is positive (logistic);
    /// for a model given by `set_model`, its one output value, or for a model writing class
    /// probabilities ([`Output::Probabilities`]) the index of the likeliest class (the
    /// probabilities themselves: [`IntegratedMlPipeline::outputs`]).
    pub value: f64,
}

/// Counters and latency quantiles of the streaming path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PipelineMetrics {
    /// Prices fed to `update`.
    pub ticks: u64,
    /// Predictions returned.
    pub predictions: u64,
    /// Median `update` latency, in nanoseconds (bucket upper edge, ~19% resolution; sampled
    /// on every 8th tick).
    pub latency_p50_ns: u64,
    /// 99th percentile `update` latency, in nanoseconds.
    pub latency_p99_ns: u64,
    /// Share of scratch requests served from the pool (0 when pools are off).
    pub pool_hit_rate: f64,
}

/// What [`IntegratedMlPipeline::fit`] learned from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitReport {
    /// Training rows (ticks with every feature and the target defined).
    pub rows: usize,
    /// Feature columns.
    pub features: usize,
    /// In-sample R^2 (ridge) or accuracy (logistic).
    pub in_sample_score: f64,
}

/// Features -> optional scaler -> linear model, trained on a price history with
/// [`fit`](Self::fit) and streamed tick by tick with [`update`](Self::update); or features
/// -> a model trained elsewhere (an imported tree ensemble, a model file), given by
/// [`set_model`](Self::set_model).
///
/// `update` performs no heap allocation once warmed up (asserted by an integration test with
/// a counting allocator), unless `use_pools` is off, which allocates its scratch per call
/// on purpose so the pool layer's contribution can be measured.
pub struct IntegratedMlPipeline {
    cfg: PipelineConfig,
    ablation: Ablation,
    features: RollingFeatures,
    model: Option<SavedModel>,
    scratch: Arc<ObjectPool<AlignedVec<f64>>>,
    /// The last prediction's values (`model.output().width()` of them).
    out: Vec<f64>,
    latency: LatencyHistogram,
    ticks: u64,
    predictions: u64,
}

impl IntegratedMlPipeline {
    /// A builder with defaults: window 64, scaler on, ridge(1.0), horizon 1, every layer on,
    /// sequential training.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder {
            cfg: PipelineConfig {
                features: FeatureConfig::default(),
                scale: true,
                pca: None,
                model: ModelSpec::Ridge(Ridge::default()),
                horizon: 1,
                use_simd: true,
                use_pools: true,
                use_fast_math: true,
                par: Par::Seq,
            },
        }
    }

    fn new(cfg: PipelineConfig) -> Result<Self> {
        cfg.features.validate()?;
        if cfg.horizon == 0 {
            return Err(PipelineError::InvalidSetting {
                name: "horizon",
                value: "0".into(),
                expected: "at least 1".into(),
            });
        }
        let ablation = Ablation {
            isa: if cfg.use_simd {
                Isa::detect()
            } else {
                Isa::Scalar
            },
            fast_math: cfg.use_fast_math,
        };
        cfg.model.check()?;
        Ok(IntegratedMlPipeline {
            features: RollingFeatures::new(cfg.features.clone())?,
            ablation,
            model: None,
            scratch: scratch_pool(0),
            out: vec![f64::NAN],
            latency: LatencyHistogram::new(),
            ticks: 0,
            predictions: 0,
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &PipelineConfig {
        &self.cfg
    }

    /// The trained model, if any.
    pub fn model(&self) -> Option<&SavedModel> {
        self.model.as_ref()
    }

    /// Trains on `prices`: features of every tick, target the log return `horizon` ticks
    /// ahead (or its sign for logistic models), rows with anything undefined dropped. Then
    /// primes the streaming state with the end of `prices`, so `update` continues from there.
    ///
    /// # Errors
    /// [`PipelineError::EmptyData`] when no row has every feature and target defined (too
    /// few prices for the window and horizon); the model's own errors otherwise.
    pub fn fit(&mut self, prices: &[f64]) -> Result<FitReport> {
        let fm = extract_features(prices, &self.cfg.features, self.cfg.par)?;
        let h = self.cfg.horizon;
        let k = fm.ncols();
        let classify = self.cfg.model.output() == Output::Probability;
        let rows: Vec<usize> = (0..prices.len().saturating_sub(h))
            .filter(|&t| {
                let target = (prices[t + h] / prices[t]).ln();
                target.is_finite() && fm.row(t).iter().all(|v| v.is_finite())
            })
            .collect();
        if rows.is_empty() {
            return Err(PipelineError::EmptyData { rows: 0, cols: k });
        }
        let mut x = Mat::from_fn(rows.len(), k, |i, j| fm.get(rows[i], j));
        let y: Vec<f64> = rows
            .iter()
            .map(|&t| {
                let r = (prices[t + h] / prices[t]).ln();
                if classify {
                    f64::from(u8::from(r > 0.0))
                } else {
                    r
                }
            })
            .collect();
        let (ablation, par) = (self.ablation, self.cfg.par);
        let mut stages = Vec::new();
        if self.cfg.scale {
            let s = StandardScaler.fit_ablated(ablation, x.as_ref(), Target::None, par)?;
            x = s.transform(ablation.isa, x.as_ref());
            stages.push(Stage::StandardScaler(s));
        }
        if let Some(r) = self.cfg.pca {
            let p = Pca { n_components: r }.fit_ablated(ablation, x.as_ref(), Target::None, par)?;
            x = p.transform(ablation.isa, x.as_ref());
            stages.push(Stage::Pca(p));
        }
        let model = self
            .cfg
            .model
            .fit_ablated(ablation, x.as_ref(), Target::Values(&y), par)?;
        let mut pred = vec![0.0; y.len()];
        model.predict_into(x.as_ref(), &mut pred, par);
        let score = match model.output() {
            Output::Probability => {
                let hits = pred
                    .iter()
                    .zip(&y)
                    .filter(|(p, y)| (**p > 0.5) == (**y > 0.5))
                    .count();
                hits as f64 / y.len() as f64
            }
            _ => r_squared(&y, &pred),
        };
        let saved = SavedModel::new(fm.names().to_vec(), stages, model);
        self.scratch = scratch_pool(saved.scratch_len());
        self.out = vec![f64::NAN; saved.output().width()];
        self.model = Some(saved);
        self.features = RollingFeatures::primed(self.cfg.features.clone(), prices)?;
        self.reset_metrics();
        Ok(FitReport {
            rows: rows.len(),
            features: k,
            in_sample_score: score,
        })
    }

    /// Serves a model trained elsewhere instead of one trained by [`fit`](Self::fit): a tree
    /// ensemble imported from XGBoost or LightGBM ([`SavedModel::gbdt`]) or a model file.
    /// The model's inputs are the pipeline's feature columns of the same names, picked in
    /// the model's order ([`SavedModel::reading`]; a tree model trained on `roll_mean`,
    /// `zscore` reads those two columns). The streaming state is kept: [`prime`](Self::prime)
    /// it with recent prices, or feed ticks until the window fills. A later `fit` trains
    /// the configured model over it.
    ///
    /// A model writing several values per row (a multiclass model's probabilities) is
    /// served too: [`Prediction::value`] is then the likeliest class and
    /// [`outputs`](Self::outputs) holds every value.
    ///
    /// # Errors
    /// [`PipelineError::MissingFeature`] for a model input that is not a feature column.
    ///
    /// ```
    /// use ml_pipeline::{GbdtFormat, IntegratedMlPipeline, SavedGbdt, SavedModel};
    ///
    /// // A LightGBM model (as `Booster.save_model` writes it) over the column `zscore`.
    /// let text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
    ///     max_feature_idx=0\nobjective=regression\nfeature_names=zscore\n\nTree=0\n\
    ///     num_leaves=2\nnum_cat=0\nsplit_feature=0\nthreshold=0\ndecision_type=2\n\
    ///     left_child=-1\nright_child=-2\nleaf_value=-1 1\n\nend of trees\n";
    /// let tree = SavedGbdt::import(GbdtFormat::LightgbmText, text.as_bytes().to_vec())?;
    /// let mut pipe = IntegratedMlPipeline::builder().window(16).build()?;
    /// pipe.set_model(SavedModel::gbdt(tree))?;
    /// let history: Vec<f64> = (0..100).map(|t| 100.0 + (t as f64 / 5.0).sin()).collect();
    /// pipe.prime(&history)?;
    /// let p = pipe.update(101.0).expect("primed");
    /// assert_eq!(p.value, 1.0); // a price above its rolling mean: zscore > 0
    /// # Ok::<(), ml_pipeline::PipelineError>(())
    /// ```
    pub fn set_model(&mut self, model: SavedModel) -> Result<()> {
        let model = model.reading(self.features.names())?;
        self.scratch = scratch_pool(model.scratch_len());
        self.out = vec![f64::NAN; model.output().width()];
        self.model = Some(model);
        self.reset_metrics();
        Ok(())
    }

    /// Restarts the streaming features from the end of `prices` (what [`fit`](Self::fit)
    /// does after training), so [`update`](Self::update) continues from there.
    ///
    /// # Errors
    /// The feature configuration's errors.
    pub fn prime(&mut self, prices: &[f64]) -> Result<()> {
        self.features = RollingFeatures::primed(self.cfg.features.clone(), prices)?;
        Ok(())
    }

    /// Feeds one price; returns a prediction once the model is trained and the features are
    /// warm, `None` otherwise. A tick whose features are undefined (a NaN price in a window)
    /// predicts NaN.
    #[inline]
    pub fn update(&mut self, price: f64) -> Option<Prediction> {
        let tick = self.ticks;
        // Reading the clock twice costs about as much as a fifth of the update itself, so
        // latency is sampled on every LATENCY_SAMPLE-th tick.
        let start = tick.is_multiple_of(LATENCY_SAMPLE).then(Instant::now);
        self.ticks += 1;
        let row = self.features.update(price)?;
        let model = self.model.as_ref()?;
        let out = &mut self.out[..];
        if self.cfg.use_pools {
            let mut buf = self.scratch.get();
            model.predict_one_with(self.ablation.isa, row, &mut buf, out);
        } else {
            let mut buf = vec![0.0; model.scratch_len()];
            model.predict_one_with(self.ablation.isa, row, &mut buf, out);
        }
        let value = match model.output() {
            #[allow(clippy::cast_precision_loss)] // class counts are far below 2^53
            Output::Probabilities(_) => likeliest(out) as f64,
            _ => out[0],
        };
        self.predictions += 1;
        if let Some(start) = start {
            self.latency.record(start.elapsed().as_nanos() as u64);
        }
        Some(Prediction { tick, value })
    }

    /// Every value of the last prediction [`update`](Self::update) returned, as the model's
    /// [`Output`] lays them out (one per class for a multiclass model); NaN before the
    /// first.
    pub fn outputs(&self) -> &[f64] {
        &self.out
    }

    /// Counters and latency of the streaming path since the last fit (or reset).
    pub fn metrics(&self) -> PipelineMetrics {
        let s = self.scratch.stats();
        let requests = s.hits + s.misses;
        PipelineMetrics {
            ticks: self.ticks,
            predictions: self.predictions,
            latency_p50_ns: self.latency.quantile(0.5),
            latency_p99_ns: self.latency.quantile(0.99),
            pool_hit_rate: if requests == 0 {
                0.0
            } else {
                s.hits as f64 / requests as f64
            },
        }
    }

    /// Clears tick counters and latencies.
    pub fn reset_metrics(&mut self) {
        self.ticks = 0;
        self.predictions = 0;
        self.latency.reset();
    }
}

/// A pool of two scratch buffers of `width` values, warmed so `update` never allocates.
fn scratch_pool(width: usize) -> Arc<ObjectPool<AlignedVec<f64>>> {
    let pool = Arc::new(ObjectPool::new(
        2,
        move || AlignedVec::<f64>::zeroed(width),
        |_| {},
    ));
    pool.prewarm(2);
    pool
}

fn r_squared(y: &[f64], pred: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let ss_tot: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    let ss_res: f64 = y.iter().zip(pred).map(|(a, b)| (a - b) * (a - b)).sum();
    if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        0.0
    }
}
