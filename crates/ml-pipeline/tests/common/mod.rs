//! Shared by the tests that stream ticks through a tree model: a small LightGBM model written
//! as LightGBM's own text, over the pipeline's feature columns.

/// A LightGBM text model over the features `names`, one tree per threshold pair: tree `t`
/// splits on feature `t % n` at the first threshold, then (right branch) on feature
/// `(t + 1) % n` at the second, three leaves, NaN sent left. `objective` is LightGBM's value
/// for the header line (`regression`, `binary sigmoid:1`).
pub fn lightgbm_text(names: &[&str], objective: &str, thresholds: &[(f64, f64)]) -> String {
    let n = names.len();
    let mut text = format!(
        "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
         max_feature_idx={}\nobjective={objective}\nfeature_names={}\n\n",
        n - 1,
        names.join(" ")
    );
    for (t, (a, b)) in thresholds.iter().enumerate() {
        let v = 0.1 * (t as f64 + 1.0);
        text += &format!(
            "Tree={t}\nnum_leaves=3\nnum_cat=0\nsplit_feature={} {}\nthreshold={a} {b}\n\
             decision_type=10 10\nleft_child=-1 -2\nright_child=1 -3\nleaf_value={} {} {}\n\n",
            t % n,
            (t + 1) % n,
            -v,
            v,
            2.0 * v
        );
    }
    text + "end of trees\n"
}

/// Features of the pipeline's default configuration, in another order than the pipeline's
/// (so a selection stage is needed), and thresholds the features of a random walk with
/// returns of a few 1e-3 cross (zscore at 0 and -0.5, the returns' std at 0.003, their mean
/// at 0).
pub const TREE_FEATURES: [&str; 3] = ["zscore", "roll_std", "roll_mean"];
/// See [`TREE_FEATURES`].
pub const TREE_THRESHOLDS: [(f64, f64); 3] = [(0.0, 0.003), (0.003, 0.0), (0.0, -0.5)];
