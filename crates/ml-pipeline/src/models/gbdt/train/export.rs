//! The XGBoost JSON document of a trained ensemble (`Booster.save_model("m.json")`'s format,
//! XGBoost 3.1 and later: `base_score` as a list).
//!
//! Float32 values are written in their shortest decimal form, which reads back as the same
//! float32 in XGBoost and in our importer. Every node carries what XGBoost's loader checks:
//! parents, base weights, loss changes and hessian sums besides the split itself.

use super::grow::TreeNode;
use super::objective::Objective;
use super::params::TrainedGbdt;
use std::fmt::Write;

/// Shortest decimal of a float32, in exponent form (valid JSON).
fn num(v: f32) -> String {
    format!("{v:e}")
}

#[allow(clippy::cast_possible_truncation)] // float32 fields in XGBoost's format
fn list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    let parts: Vec<String> = items.iter().map(f).collect();
    format!("[{}]", parts.join(","))
}

fn string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The document.
#[allow(clippy::cast_possible_truncation)] // float32 fields in XGBoost's format
pub(super) fn xgboost_json(t: &TrainedGbdt) -> String {
    let p = &t.params;
    let groups = p.objective.n_groups();
    let k = t.model.feature_names().len();
    let mut trees = Vec::with_capacity(t.trees.len());
    for (id, tree) in t.trees.iter().enumerate() {
        trees.push(tree_json(tree, id, k, p.learning_rate, &p.rules()));
    }
    let n_trees = t.trees.len();
    let tree_info = list(&(0..n_trees).collect::<Vec<_>>(), |i| {
        (i % groups).to_string()
    });
    let indptr = list(&(0..=n_trees / groups).collect::<Vec<_>>(), |i| {
        (i * groups).to_string()
    });
    let names = if t.model.has_feature_names() {
        list(t.model.feature_names(), |s| string(s))
    } else {
        "[]".into()
    };
    let objective = match p.objective {
        Objective::Regression | Objective::Binary => format!(
            "{{\"name\":\"{}\",\"reg_loss_param\":{{\"scale_pos_weight\":\"1\"}}}}",
            p.objective.xgboost_name()
        ),
        Objective::Multiclass { n_classes } => format!(
            "{{\"name\":\"multi:softprob\",\"softmax_multiclass_param\":{{\"num_class\":\"{n_classes}\"}}}}"
        ),
        Objective::Quantile { alpha } => format!(
            "{{\"name\":\"reg:quantileerror\",\"quantile_loss_param\":{{\"quantile_alpha\":\"[{}]\"}}}}",
            num(alpha as f32)
        ),
    };
    let num_class = match p.objective {
        Objective::Multiclass { n_classes } => n_classes,
        _ => 0,
    };
    let attributes = match t.model.best_iteration() {
        Some(b) => format!("{{\"best_iteration\":\"{b}\"}}"),
        None => "{}".into(),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"learner\":{{\"attributes\":{attributes},\"feature_names\":{names},\"feature_types\":[],\
         \"gradient_booster\":{{\"model\":{{\"cats\":{{\"enc\":[],\"feature_segments\":[],\"sorted_idx\":[]}},\
         \"gbtree_model_param\":{{\"num_parallel_tree\":\"1\",\"num_trees\":\"{n_trees}\"}},\
         \"iteration_indptr\":{indptr},\"tree_info\":{tree_info},\"trees\":[{}]}},\"name\":\"gbtree\"}},\
         \"learner_model_param\":{{\"base_score\":\"{}\",\"boost_from_average\":\"1\",\
         \"num_class\":\"{num_class}\",\"num_feature\":\"{k}\",\"num_target\":\"1\"}},\
         \"objective\":{objective}}},\"version\":[3,1,0]}}",
        trees.join(","),
        list(&t.base_score, |v| num(*v)),
    );
    out
}

/// One tree: XGBoost's columns, one entry per node.
#[allow(clippy::cast_possible_truncation)] // float32 fields in XGBoost's format
fn tree_json(
    tree: &super::grow::Tree,
    id: usize,
    k: usize,
    learning_rate: f64,
    rules: &super::split::Rules,
) -> String {
    let n = tree.nodes.len();
    let mut parents = vec![i32::MAX as usize; n];
    for (i, node) in tree.nodes.iter().enumerate() {
        if let TreeNode::Split { left, right, .. } = node {
            parents[*left] = i;
            parents[*right] = i;
        }
    }
    let col = |f: &dyn Fn(&TreeNode) -> String| list(&tree.nodes, |n| f(n));
    let sums = |n: &TreeNode| match n {
        TreeNode::Leaf { sums, .. } | TreeNode::Split { sums, .. } => *sums,
    };
    format!(
        "{{\"base_weights\":{},\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],\
         \"categories_sizes\":[],\"default_left\":{},\"id\":{id},\"left_children\":{},\
         \"loss_changes\":{},\"parents\":{},\"right_children\":{},\"split_conditions\":{},\
         \"split_indices\":{},\"split_type\":{},\"sum_hessian\":{},\
         \"tree_param\":{{\"num_deleted\":\"0\",\"num_feature\":\"{k}\",\"num_nodes\":\"{n}\",\
         \"size_leaf_vector\":\"1\"}}}}",
        col(&|n| match n {
            TreeNode::Leaf { value, .. } => num(*value),
            TreeNode::Split { sums, .. } => num((learning_rate * rules.leaf_output(*sums)) as f32),
        }),
        col(&|n| match n {
            TreeNode::Split { default_left: true, .. } => "1".into(),
            _ => "0".into(),
        }),
        col(&|n| match n {
            TreeNode::Split { left, .. } => left.to_string(),
            TreeNode::Leaf { .. } => "-1".into(),
        }),
        col(&|n| match n {
            TreeNode::Split { gain, .. } => num(*gain as f32),
            TreeNode::Leaf { .. } => "0e0".into(),
        }),
        list(&parents, |p| p.to_string()),
        col(&|n| match n {
            TreeNode::Split { right, .. } => right.to_string(),
            TreeNode::Leaf { .. } => "-1".into(),
        }),
        col(&|n| match n {
            TreeNode::Split { threshold, .. } => num(*threshold),
            TreeNode::Leaf { value, .. } => num(*value),
        }),
        col(&|n| match n {
            TreeNode::Split { feature, .. } => feature.to_string(),
            TreeNode::Leaf { .. } => "0".into(),
        }),
        col(&|_| "0".into()),
        col(&|n| num(sums(n).h as f32)),
    )
}
