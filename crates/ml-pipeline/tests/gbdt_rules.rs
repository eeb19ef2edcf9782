//! Each library's evaluation rule, one test each, on one-split models written here: the
//! fixtures (tests/gbdt.rs) show the rules match the libraries in aggregate; these pin down
//! what each rule is.

use ml_pipeline::models::GbdtModel;
use ml_pipeline::{Output, Predict};

fn predict(m: &GbdtModel, x: &[f64]) -> Vec<f64> {
    let mut scratch = vec![0.0; m.scratch_len()];
    let mut out = vec![0.0; m.output().width()];
    m.predict_one(x, &mut scratch, &mut out);
    out
}

/// An XGBoost model with one tree: feature 0 against `threshold` (as written in JSON),
/// leaves -1 (left) and 1 (right).
fn xgb(threshold: &str, default_left: u8, objective: &str, base_score: &str) -> GbdtModel {
    let doc = format!(
        r#"{{"learner":{{"learner_model_param":{{"base_score":"{base_score}","num_class":"0","num_feature":"2"}},
        "objective":{{"name":"{objective}"}},"feature_names":["a","b"],
        "gradient_booster":{{"name":"gbtree","model":{{"gbtree_model_param":{{"num_parallel_tree":"1"}},
        "tree_info":[0],"trees":[{{"tree_param":{{"num_nodes":"3","size_leaf_vector":"1"}},
        "left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],
        "split_conditions":[{threshold},-1.0,1.0],"default_left":[{default_left},0,0],
        "split_type":[0,0,0]}}]}}}}}},"version":[1,7,6]}}"#
    );
    GbdtModel::from_xgboost_json(doc.as_bytes()).unwrap()
}

/// A LightGBM model with one tree: feature 0 against `threshold` with `decision_type`,
/// leaves -1 (left) and 1 (right).
fn lgb(threshold: &str, decision_type: u8) -> GbdtModel {
    let text = format!(
        "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
         max_feature_idx=1\nobjective=regression\nfeature_names=a b\n\nTree=0\nnum_leaves=2\n\
         num_cat=0\nsplit_feature=0\nthreshold={threshold}\ndecision_type={decision_type}\n\
         left_child=-1\nright_child=-2\nleaf_value=-1 1\nis_linear=0\n\nend of trees\n"
    );
    GbdtModel::from_lightgbm_text(&text).unwrap()
}

#[test]
fn xgboost_compares_the_float32_input_below_the_float32_threshold() {
    // float32(0.1) = 0.100000001490116..., above the float64 0.1. XGBoost reads the input
    // 0.1 as float32(0.1), equal to the threshold: not below it, so right.
    let m = xgb("0.1", 0, "reg:squarederror", "0");
    let t = f64::from(0.1f32);
    assert_eq!(predict(&m, &[0.1, 0.0]), [1.0]);
    assert_eq!(predict(&m, &[t, 0.0]), [1.0]);
    assert_eq!(predict(&m, &[f64::from(0.1f32.next_down()), 0.0]), [-1.0]);
    // Between float32 neighbours: the float64 midpoint rounds to the even one.
    let below = 0.1f32.next_down();
    let mid = (f64::from(below) + t) / 2.0;
    let to_even_goes_left = below.to_bits().is_multiple_of(2);
    assert_eq!(
        predict(&m, &[mid, 0.0]),
        [if to_even_goes_left { -1.0 } else { 1.0 }]
    );
    assert_eq!(predict(&m, &[mid.next_down(), 0.0]), [-1.0]);
    assert_eq!(predict(&m, &[mid.next_up(), 0.0]), [1.0]);
}

#[test]
fn xgboost_missing_values_take_default_left() {
    assert_eq!(
        predict(&xgb("0.5", 1, "reg:squarederror", "0"), &[f64::NAN, 0.0]),
        [-1.0]
    );
    assert_eq!(
        predict(&xgb("0.5", 0, "reg:squarederror", "0"), &[f64::NAN, 0.0]),
        [1.0]
    );
}

#[test]
fn xgboost_base_score_is_a_probability_for_logistic_objectives() {
    // base 0.25: margin ln(1/3); prediction sigmoid(margin + leaf), in float32.
    let m = xgb("0.5", 0, "binary:logistic", "2.5E-1");
    assert_eq!(m.output(), Output::Probability);
    let raw = m.clone().with_raw_margin(true);
    let margin = -(1.0f32 / 0.25 - 1.0).ln() + 1.0;
    assert_eq!(predict(&raw, &[1.0, 0.0]), [f64::from(margin)]);
    let p = 1.0 / ((-margin).exp() + 1.0);
    assert_eq!(predict(&m, &[1.0, 0.0]), [f64::from(p)]);
    // For regression it is the margin itself, and 3.1's list form reads the same.
    let m = xgb("0.5", 0, "reg:squarederror", "[2.5E-1]");
    assert_eq!(predict(&m, &[1.0, 0.0]), [1.25]);
}

#[test]
fn lightgbm_compares_the_float64_input_at_or_below_the_threshold() {
    let m = lgb("0.10000000000000001", 2 | 8);
    assert_eq!(predict(&m, &[0.1, 0.0]), [-1.0]);
    assert_eq!(predict(&m, &[0.1f64.next_up(), 0.0]), [1.0]);
    assert_eq!(predict(&m, &[f64::from(0.1f32), 0.0]), [1.0]);
}

#[test]
fn lightgbm_missing_types_none_zero_and_nan() {
    // None (bits 2-3 = 0): NaN is read as 0, then compared (default_left ignored).
    assert_eq!(predict(&lgb("-1", 0), &[f64::NAN, 0.0]), [1.0]);
    assert_eq!(predict(&lgb("1", 0), &[f64::NAN, 0.0]), [-1.0]);
    // Zero (1): NaN and zeros take the default side; other values compare.
    for (d, side) in [(4 | 2, -1.0), (4, 1.0)] {
        let m = lgb("-5", d);
        for z in [f64::NAN, 0.0, -0.0, 1e-36, -1e-36] {
            assert_eq!(predict(&m, &[z, 0.0]), [side], "zero-as-missing {z:e}");
        }
        assert_eq!(predict(&m, &[-6.0, 0.0]), [-1.0]);
        assert_eq!(predict(&m, &[1e-30, 0.0]), [1.0]);
    }
    // NaN (2): NaN takes the default side; zero compares.
    assert_eq!(predict(&lgb("-1", 8 | 2), &[f64::NAN, 0.0]), [-1.0]);
    assert_eq!(predict(&lgb("-1", 8), &[f64::NAN, 0.0]), [1.0]);
    assert_eq!(predict(&lgb("-1", 8 | 2), &[0.0, 0.0]), [1.0]);
}

#[test]
fn lightgbm_reads_inputs_within_1e35_of_zero_as_zero() {
    // Threshold 5e-36: x = 8e-36 is above it, but LightGBM reads it as 0, which is not.
    let m = lgb("5.0000000000000001e-36", 8);
    assert_eq!(predict(&m, &[8e-36, 0.0]), [-1.0]);
    assert_eq!(predict(&m, &[2e-35, 0.0]), [1.0]);
    // Threshold -5e-36: -8e-36 is below it, but read as 0 it goes right.
    let m = lgb("-5.0000000000000001e-36", 8);
    assert_eq!(predict(&m, &[-8e-36, 0.0]), [1.0]);
    assert_eq!(predict(&m, &[-2e-35, 0.0]), [-1.0]);
}

#[test]
fn categorical_splits_follow_each_library() {
    // XGBoost lists the categories that go right (here 1 and 3); others, invalid and
    // beyond the list go left; NaN takes default_left.
    let doc = r#"{"learner":{"learner_model_param":{"base_score":"0","num_class":"0","num_feature":"1"},
        "objective":{"name":"reg:squarederror"},"gradient_booster":{"name":"gbtree","model":{
        "iteration_indptr":[0,1],"tree_info":[0],"trees":[{"tree_param":{"num_nodes":"3"},
        "left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],
        "split_conditions":[0,-1.0,1.0],"default_left":[0,0,0],"split_type":[1,0,0],
        "categories":[1,3],"categories_nodes":[0],"categories_segments":[0],"categories_sizes":[2]}]}}}}"#;
    let m = GbdtModel::from_xgboost_json(doc.as_bytes()).unwrap();
    assert_eq!(m.feature_names(), ["f0"]);
    let go = |x: f64| predict(&m, &[x])[0];
    assert_eq!([go(1.0), go(3.0), go(3.5)], [1.0, 1.0, 1.0]);
    assert_eq!(
        [go(0.0), go(2.0), go(4.0), go(100.0), go(-1.0), go(-0.5)],
        [-1.0; 6]
    );
    assert_eq!(go(f64::NAN), 1.0);

    // LightGBM's bitset holds the categories that go left (here 0 and 2); NaN, negative
    // and unlisted categories go right.
    let text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
        max_feature_idx=0\nobjective=regression\nfeature_names=c\n\nTree=0\nnum_leaves=2\n\
        num_cat=1\nsplit_feature=0\nthreshold=0\ndecision_type=1\nleft_child=-1\n\
        right_child=-2\nleaf_value=-1 1\ncat_boundaries=0 1\ncat_threshold=5\n\nend of trees\n";
    let m = GbdtModel::from_lightgbm_text(text).unwrap();
    let go = |x: f64| predict(&m, &[x])[0];
    assert_eq!([go(0.0), go(2.0), go(2.9), go(-0.5)], [-1.0; 4]);
    assert_eq!(
        [go(1.0), go(3.0), go(-1.0), go(40.0), go(f64::NAN)],
        [1.0; 5]
    );
}
