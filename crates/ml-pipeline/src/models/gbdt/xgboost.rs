//! XGBoost's model document (the same tree from `.json` and `.ubj`, versions 1.7 to 3.x)
//! into a [`GbdtModel`].
//!
//! XGBoost's rules, as its predictor applies them and as the fixtures confirm:
//! - the input is read as float32 (`(float)x`), NaN is missing and takes the node's
//!   `default_left`; a numeric node sends `x32 < threshold` left. That test is turned here
//!   into the equivalent float64 test `x <= T`: `T` is the largest float64 whose float32
//!   rounding is below the threshold ([`f32_less_as_f64_le`]), so a value between the
//!   float64 and float32 roundings of a threshold goes exactly where XGBoost sends it;
//! - a categorical node lists the categories that go right; any other category, including
//!   those beyond the list and negative or too large inputs, goes left;
//! - leaves are float32; a row's margin starts at the base margin and adds the trees in
//!   order in float32;
//! - `base_score` is stored as the user sees it: a probability for the logistic
//!   objectives (the margin is its logit, in float32), the margin itself otherwise. Since
//!   3.1 it is a list (one value per class or target), before a single number.

use super::compiled::{Forest, RawNode, Split, MAX_FEATURES};
use super::model::GbdtModel;
use super::objective::{logit_f32, Link};
use super::value::{array, count, f32_value, field, int, opt, string, At, Value};
use crate::error::Result;

/// Objectives whose prediction is the margin, and the logistic and softmax ones.
const SUPPORTED: &str = "reg:squarederror, reg:squaredlogerror, reg:pseudohubererror, \
    reg:absoluteerror, reg:quantileerror, reg:linear, binary:logistic, reg:logistic, \
    binary:logitraw, multi:softprob, multi:softmax";

/// The link of `objective` and whether its base score is a probability.
fn objective(name: &str) -> Option<(Link, bool)> {
    Some(match name {
        "reg:squarederror"
        | "reg:squaredlogerror"
        | "reg:pseudohubererror"
        | "reg:absoluteerror"
        | "reg:quantileerror"
        | "reg:linear" => (Link::Identity, false),
        "binary:logistic" | "reg:logistic" => (Link::Sigmoid { scale: 1.0 }, true),
        // Its base score is a margin already (the xgb_binary_logitraw fixture shows it).
        "binary:logitraw" => (Link::Identity, false),
        "multi:softprob" => (Link::Softmax, false),
        "multi:softmax" => (Link::Argmax, false),
        _ => return None,
    })
}

/// The largest float64 `T` with `x <= T` exactly when `(x as f32) < t`, for every non-NaN
/// float64 `x`; `None` for a NaN or -inf threshold, which no such `T` can express.
pub(super) fn f32_less_as_f64_le(t: f32) -> Option<f64> {
    if t.is_nan() || t == f32::NEG_INFINITY {
        return None;
    }
    let below = t.next_down();
    // The float32 neighbours straddle the float64 midpoint; infinity stands for 2^128 there.
    let wide = |v: f32| {
        if v.is_infinite() {
            2f64.powi(128)
        } else {
            f64::from(v)
        }
    };
    let mid = (wide(below) + wide(t)) / 2.0;
    // A midpoint rounds to the neighbour with an even last mantissa bit: `below` (then
    // the midpoint itself goes left) or `t` (then it goes right).
    let below_even = below.to_bits() & 1 == 0 && below.is_finite();
    Some(if below_even { mid } else { mid.next_down() })
}

/// Reads the document of an XGBoost model.
pub(super) fn import(doc: &Value<'_>, format: &'static str) -> Result<GbdtModel> {
    let root = At::root(format);
    let l_at = root.key("learner");
    let learner = field(doc, &root, "learner")?;

    let p_at = l_at.key("learner_model_param");
    let param = field(learner, &l_at, "learner_model_param")?;
    let n_features = count(
        field(param, &p_at, "num_feature")?,
        &p_at.key("num_feature"),
        MAX_FEATURES,
    )?;
    let num_class = match opt(param, &p_at, "num_class")? {
        Some(v) => count(v, &p_at.key("num_class"), 1 << 16)?,
        None => 0,
    };
    let num_target = match opt(param, &p_at, "num_target")? {
        Some(v) => count(v, &p_at.key("num_target"), 1 << 16)?,
        None => 1,
    };
    let n_groups = num_class.max(num_target).max(1);

    let o_at = l_at.key("objective");
    let n_at = o_at.key("name");
    let obj_name = string(
        field(field(learner, &l_at, "objective")?, &o_at, "name")?,
        &n_at,
    )?;
    let (link, base_is_probability) = objective(obj_name).ok_or_else(|| {
        n_at.error(format!(
            "unsupported objective {obj_name:?} (supported: {SUPPORTED})"
        ))
    })?;
    if matches!(link, Link::Softmax | Link::Argmax) && num_class < 2 {
        return Err(p_at
            .key("num_class")
            .error(format!("{obj_name} needs num_class >= 2")));
    }
    if matches!(link, Link::Sigmoid { .. }) && n_groups != 1 {
        return Err(p_at.error(format!(
            "{obj_name} with {n_groups} outputs is not supported"
        )));
    }

    let base_at = p_at.key("base_score");
    let base_margin = base_score(field(param, &p_at, "base_score")?, &base_at, n_groups)?
        .into_iter()
        .map(|b| {
            let m = if base_is_probability {
                if !(b > 0.0 && b < 1.0) {
                    return Err(base_at.error(format!("{b} is not a probability in (0, 1)")));
                }
                logit_f32(b)
            } else {
                b
            };
            Ok(f64::from(m))
        })
        .collect::<Result<Vec<_>>>()?;

    let feature_names = names(learner, &l_at, n_features)?;
    let best_iteration = match opt(learner, &l_at, "attributes")? {
        Some(attrs) => {
            let a_at = l_at.key("attributes");
            match opt(attrs, &a_at, "best_iteration")? {
                Some(b) => Some(count(b, &a_at.key("best_iteration"), usize::MAX >> 1)?),
                None => None,
            }
        }
        None => None,
    };

    let g_at = l_at.key("gradient_booster");
    let booster = field(learner, &l_at, "gradient_booster")?;
    let kind = string(field(booster, &g_at, "name")?, &g_at.key("name"))?;
    if kind != "gbtree" {
        return Err(g_at.key("name").error(format!(
            "booster {kind:?} is not supported (only gbtree; dart and gblinear are not)"
        )));
    }
    let m_at = g_at.key("model");
    let (forest, iteration_ends) =
        trees(field(booster, &g_at, "model")?, &m_at, n_features, n_groups)?;
    // A sliced booster can keep the attribute of the model it was cut from; the trees, not
    // the attribute, define the predictions, so an attribute beyond them is dropped.
    let best_iteration = best_iteration.filter(|&b| b < iteration_ends.len());
    Ok(GbdtModel::xgboost(
        obj_name,
        feature_names,
        link,
        base_margin,
        forest,
        iteration_ends,
        best_iteration,
    ))
}

/// `base_score`: a number, a string holding one, or (3.1 on) a string holding a list
/// `[a,b,...]` with one value or one per group.
fn base_score(v: &Value<'_>, at: &At<'_>, n_groups: usize) -> Result<Vec<f32>> {
    let values: Vec<f32> = match v {
        Value::Str(s) if s.trim_start().starts_with('[') => {
            let inner = s.trim().trim_start_matches('[').trim_end_matches(']');
            inner
                .split(',')
                .map(|p| {
                    p.trim()
                        .parse::<f32>()
                        .map_err(|_| at.error(format!("{p:?} in {s:?} is not a number")))
                })
                .collect::<Result<_>>()?
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| f32_value(x, &at.index(i)))
            .collect::<Result<_>>()?,
        other => vec![f32_value(other, at)?],
    };
    if values.iter().any(|b| !b.is_finite()) {
        return Err(at.error("base score is not finite"));
    }
    match values.len() {
        1 => Ok(vec![values[0]; n_groups]),
        n if n == n_groups => Ok(values),
        n => Err(at.error(format!("{n} values for {n_groups} outputs"))),
    }
}

/// The feature names, or `f0`, `f1`, ... (XGBoost's defaults) when the file has none.
fn names(learner: &Value<'_>, at: &At<'_>, n_features: usize) -> Result<Vec<String>> {
    let list = match opt(learner, at, "feature_names")? {
        Some(v) => array(v, &at.key("feature_names"))?,
        None => &[],
    };
    if list.is_empty() {
        return Ok((0..n_features).map(|i| format!("f{i}")).collect());
    }
    if list.len() != n_features {
        return Err(at
            .key("feature_names")
            .error(format!("{} names for {n_features} features", list.len())));
    }
    let f_at = at.key("feature_names");
    list.iter()
        .enumerate()
        .map(|(i, v)| Ok(string(v, &f_at.index(i))?.to_string()))
        .collect()
}

/// The trees and the tree count at the end of each iteration.
fn trees(
    model: &Value<'_>,
    at: &At<'_>,
    n_features: usize,
    n_groups: usize,
) -> Result<(Forest, Vec<usize>)> {
    let t_at = at.key("trees");
    let list = array(field(model, at, "trees")?, &t_at)?;
    let i_at = at.key("tree_info");
    let info = array(field(model, at, "tree_info")?, &i_at)?;
    if info.len() != list.len() {
        return Err(i_at.error(format!("{} entries for {} trees", info.len(), list.len())));
    }
    let mut forest = Forest::default();
    for (i, tree) in list.iter().enumerate() {
        let group = count(&info[i], &i_at.index(i), n_groups.saturating_sub(1))?;
        let here = t_at.index(i);
        let nodes = tree_nodes(tree, &here, n_features)?;
        forest
            .push_tree(&nodes, group, n_features)
            .map_err(|m| here.error(m))?;
    }
    let ends = match opt(model, at, "iteration_indptr")? {
        Some(v) => {
            let p_at = at.key("iteration_indptr");
            let ptr = array(v, &p_at)?;
            let ptr: Vec<usize> = ptr
                .iter()
                .enumerate()
                .map(|(i, v)| count(v, &p_at.index(i), list.len()))
                .collect::<Result<_>>()?;
            if ptr.first() != Some(&0)
                || ptr.last() != Some(&list.len())
                || ptr.windows(2).any(|w| w[0] > w[1])
            {
                return Err(p_at.error(format!("must rise from 0 to the {} trees", list.len())));
            }
            ptr[1..].to_vec()
        }
        None => {
            // Before 2.0: each iteration has num_parallel_tree trees per output group.
            let g_at = at.key("gbtree_model_param");
            let param = field(model, at, "gbtree_model_param")?;
            let parallel = match opt(param, &g_at, "num_parallel_tree")? {
                Some(v) => count(v, &g_at.key("num_parallel_tree"), 1 << 20)?.max(1),
                None => 1,
            };
            let per = parallel * n_groups;
            if list.len() % per != 0 {
                return Err(t_at.error(format!(
                    "{} trees are not whole iterations of {per}",
                    list.len()
                )));
            }
            (1..=list.len() / per).map(|i| i * per).collect()
        }
    };
    Ok((forest, ends))
}

fn tree_nodes(tree: &Value<'_>, at: &At<'_>, n_features: usize) -> Result<Vec<RawNode>> {
    let p_at = at.key("tree_param");
    let param = field(tree, at, "tree_param")?;
    if let Some(v) = opt(param, &p_at, "size_leaf_vector")? {
        let s = int(v, &p_at.key("size_leaf_vector"))?;
        if s > 1 {
            return Err(p_at.key("size_leaf_vector").error(format!(
                "vector leaves (multi_strategy=multi_output_tree, {s} values) are not supported"
            )));
        }
    }
    let n = count(
        field(param, &p_at, "num_nodes")?,
        &p_at.key("num_nodes"),
        i32::MAX as usize,
    )?;
    let column = |name: &'static str| -> Result<&[Value<'_>]> {
        let a = array(field(tree, at, name)?, &at.key(name))?;
        if a.len() != n {
            return Err(at
                .key(name)
                .error(format!("{} entries for {n} nodes", a.len())));
        }
        Ok(a)
    };
    let left = column("left_children")?;
    let right = column("right_children")?;
    let feature = column("split_indices")?;
    let cond = column("split_conditions")?;
    let default_left = column("default_left")?;
    let split_type = match opt(tree, at, "split_type")? {
        Some(_) => Some(column("split_type")?),
        None => None,
    };
    let cats = categories(tree, at, n)?;

    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let l = int(&left[i], &at.key("left_children").index(i))?;
        let c_at = at.key("split_conditions");
        let c_at = c_at.index(i);
        let value = f32_value(&cond[i], &c_at)?;
        if l == -1 {
            if !value.is_finite() {
                return Err(c_at.error(format!("leaf value {value} is not finite")));
            }
            nodes.push(RawNode::Leaf(f64::from(value)));
            continue;
        }
        let r = int(&right[i], &at.key("right_children").index(i))?;
        let child = |c: i64, name: &'static str| {
            usize::try_from(c).ok().filter(|&c| c < n).ok_or_else(|| {
                at.key(name)
                    .index(i)
                    .error(format!("child {c} is not a node of this tree"))
            })
        };
        let (l, r) = (child(l, "left_children")?, child(r, "right_children")?);
        let f = count(&feature[i], &at.key("split_indices").index(i), MAX_FEATURES)?;
        let nan_left = int(&default_left[i], &at.key("default_left").index(i))? != 0;
        let categorical = match split_type {
            Some(t) => int(&t[i], &at.key("split_type").index(i))? == 1,
            None => false,
        };
        let split = if categorical {
            let right_set = cats
                .iter()
                .find(|(node, _)| *node == i)
                .map(|(_, s)| s.as_slice());
            let right_set = right_set.ok_or_else(|| {
                at.key("categories_nodes")
                    .error(format!("categorical node {i} has no category list"))
            })?;
            Split::Categorical {
                left_set: complement(right_set),
                nan_left,
                other_left: true,
                xgboost_style: true,
            }
        } else {
            let threshold = f32_less_as_f64_le(value).ok_or_else(|| {
                c_at.error(format!("threshold {value} cannot be compared against"))
            })?;
            Split::Numeric {
                threshold,
                nan_left,
                zero_missing: false,
            }
        };
        nodes.push(RawNode::Split {
            feature: f,
            split,
            left: l,
            right: r,
        });
    }
    if n_features == 0 && n > 1 {
        return Err(at.error("splits in a model without features"));
    }
    Ok(nodes)
}

/// Largest category a split may list: sets are bitsets, so this bounds their size.
const MAX_CATEGORY: usize = 1 << 24;

/// Each categorical node's list of categories that go right.
fn categories(tree: &Value<'_>, at: &At<'_>, n: usize) -> Result<Vec<(usize, Vec<usize>)>> {
    let Some(nodes) = opt(tree, at, "categories_nodes")? else {
        return Ok(Vec::new());
    };
    let get = |name: &'static str| -> Result<&[Value<'_>]> {
        array(field(tree, at, name)?, &at.key(name))
    };
    let nodes = array(nodes, &at.key("categories_nodes"))?;
    let (segments, sizes, cats) = (
        get("categories_segments")?,
        get("categories_sizes")?,
        get("categories")?,
    );
    if segments.len() != nodes.len() || sizes.len() != nodes.len() {
        return Err(at.key("categories_segments").error(format!(
            "{} segments and {} sizes for {} categorical nodes",
            segments.len(),
            sizes.len(),
            nodes.len()
        )));
    }
    let mut out = Vec::with_capacity(nodes.len());
    for (k, node) in nodes.iter().enumerate() {
        let node = count(
            node,
            &at.key("categories_nodes").index(k),
            n.saturating_sub(1),
        )?;
        let start = count(
            &segments[k],
            &at.key("categories_segments").index(k),
            cats.len(),
        )?;
        let len = count(
            &sizes[k],
            &at.key("categories_sizes").index(k),
            cats.len() - start,
        )?;
        let c_at = at.key("categories");
        let set = (start..start + len)
            .map(|j| count(&cats[j], &c_at.index(j), MAX_CATEGORY))
            .collect::<Result<Vec<_>>>()?;
        out.push((node, set));
    }
    Ok(out)
}

/// The bitset of the categories below the largest listed one (rounded up to whole words)
/// that are not listed: those go left.
fn complement(right: &[usize]) -> Vec<u32> {
    let max = right.iter().copied().max().unwrap_or(0);
    let mut words = vec![u32::MAX; max / 32 + 1];
    for &c in right {
        words[c / 32] &= !(1 << (c % 32));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every float64 near a threshold goes where its float32 rounding compares.
    #[test]
    fn float32_threshold_becomes_an_exact_float64_one() {
        let probes = [
            0.0f32,
            -0.0,
            1.0,
            1.5,
            3.0,
            0.1,
            -2.75,
            1e-40,
            -1e-40,
            1e30,
            f32::MAX,
            f32::INFINITY,
            16_777_217.0,
        ];
        for &t in &probes {
            let tt = f32_less_as_f64_le(t).unwrap();
            let mut xs = vec![
                tt,
                tt.next_up(),
                tt.next_down(),
                f64::from(t),
                f64::INFINITY,
                f64::NEG_INFINITY,
            ];
            if t.is_finite() {
                xs.extend([
                    f64::from(t.next_down()),
                    f64::from(t.next_up()),
                    f64::from(t).next_down(),
                ]);
            }
            for x in xs {
                #[allow(clippy::cast_possible_truncation)]
                let want = (x as f32) < t;
                assert_eq!(x <= tt, want, "t={t:e} x={x:e}");
            }
        }
        assert!(f32_less_as_f64_le(f32::NAN).is_none());
        assert!(f32_less_as_f64_le(f32::NEG_INFINITY).is_none());
    }

    proptest::proptest! {
        /// Any finite or +inf float32 threshold, any float64 input near it or anywhere.
        #[test]
        fn float32_rule_holds_for_any_threshold(bits in proptest::prelude::any::<u32>(), near in -4i64..4, far in proptest::prelude::any::<f64>()) {
            let t = f32::from_bits(bits);
            if let Some(tt) = f32_less_as_f64_le(t) {
                let mut x = tt;
                for _ in 0..near.unsigned_abs() {
                    x = if near < 0 { x.next_down() } else { x.next_up() };
                }
                for x in [x, far] {
                    if !x.is_nan() {
                        #[allow(clippy::cast_possible_truncation)]
                        let want = (x as f32) < t;
                        proptest::prop_assert_eq!(x <= tt, want, "t={:e} x={:e}", t, x);
                    }
                }
            }
        }
    }

    #[test]
    fn right_lists_become_left_sets() {
        assert_eq!(complement(&[1, 3, 5]), vec![!0b10_1010]);
        assert_eq!(complement(&[33]).len(), 2);
    }
}
