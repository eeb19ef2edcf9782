//! LightGBM's text model (`Booster.save_model("m.txt")`, versions 3.x and 4.x) into a
//! [`GbdtModel`].
//!
//! LightGBM's rules, as its predictor applies them and as the fixtures confirm:
//! - float64 throughout; a numeric node sends `x <= threshold` left;
//! - an input with |x| <= 1e-35 (its `kZeroThreshold`, a float32 constant) is read as 0.
//!   Only a threshold within that band can tell the difference, so such thresholds are
//!   moved to its edge at load ([`zero_band`]) and rows are used as given;
//! - `decision_type` packs, per node: bit 0 categorical, bit 1 default left, bits 2-3 the
//!   missing type. None: NaN is read as 0 and compared. Zero: NaN and zeros take the
//!   default side. NaN: NaN takes the default side;
//! - a categorical node holds a bitset of the categories that go left; NaN, negative
//!   categories and any beyond the bitset go right;
//! - trees are summed in float64 from 0 (the initial score is folded into the first
//!   trees), tree `t` adding to class `t % num_tree_per_iteration`.

use super::compiled::{Forest, RawNode, Split, LIGHTGBM_ZERO, MAX_FEATURES};
use super::model::{GbdtModel, Library};
use super::objective::Link;
use super::packed::PackedCache;
use crate::error::{PipelineError, Result};

const FORMAT: &str = "LightGBM text";

fn error(line: usize, what: &str, message: impl Into<String>) -> PipelineError {
    PipelineError::ModelImport {
        format: FORMAT,
        at: format!("line {line} ({what})"),
        message: message.into(),
    }
}

/// The `key=value` lines of a section, with their line numbers.
struct Section<'a> {
    name: String,
    first_line: usize,
    entries: Vec<(usize, &'a str, &'a str)>,
}

impl<'a> Section<'a> {
    fn get(&self, key: &str) -> Option<(usize, &'a str)> {
        self.entries
            .iter()
            .find(|(_, k, _)| *k == key)
            .map(|&(l, _, v)| (l, v))
    }

    fn need(&self, key: &str) -> Result<(usize, &'a str)> {
        self.get(key)
            .ok_or_else(|| error(self.first_line, &self.name, format!("no {key}= line")))
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<T> {
        let (line, v) = self.need(key)?;
        v.trim().parse().map_err(|_| {
            error(
                line,
                &format!("{}, {key}", self.name),
                format!("{v:?} is not a number"),
            )
        })
    }

    /// A space-separated list of exactly `n` numbers.
    fn list<T: std::str::FromStr>(&self, key: &str, n: usize) -> Result<Vec<T>> {
        let (line, v) = self.need(key)?;
        let what = format!("{}, {key}", self.name);
        let items: Vec<T> = v
            .split_whitespace()
            .enumerate()
            .map(|(i, s)| {
                s.parse()
                    .map_err(|_| error(line, &what, format!("entry {i}, {s:?}, is not a number")))
            })
            .collect::<Result<_>>()?;
        if items.len() != n {
            return Err(error(
                line,
                &what,
                format!("{} entries, expected {n}", items.len()),
            ));
        }
        Ok(items)
    }
}

/// Splits the text into the header and one section per tree (ending at `end of trees`).
fn sections(text: &str) -> Result<(Section<'_>, Vec<Section<'_>>)> {
    let mut header = Section {
        name: "header".into(),
        first_line: 1,
        entries: Vec::new(),
    };
    let mut trees: Vec<Section<'_>> = Vec::new();
    let mut ended = false;
    for (i, raw) in text.lines().enumerate() {
        let (line, l) = (i + 1, raw.trim_end_matches('\r'));
        if i == 0 {
            if l != "tree" {
                return Err(error(
                    1,
                    "header",
                    "not a LightGBM model: the first line is not \"tree\"",
                ));
            }
            continue;
        }
        if l == "end of trees" {
            ended = true;
            break;
        }
        if l.is_empty() {
            continue;
        }
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        if k == "Tree" {
            trees.push(Section {
                name: format!("Tree={v}"),
                first_line: line,
                entries: Vec::new(),
            });
            continue;
        }
        match trees.last_mut() {
            Some(t) => t.entries.push((line, k, v)),
            None => header.entries.push((line, k, v)),
        }
    }
    let last = text.lines().count();
    if !ended {
        return Err(error(
            last,
            "end",
            "no \"end of trees\" line: the file is truncated",
        ));
    }
    // What LightGBM writes after the trees (importances, parameters) is not needed, but when
    // it is there it must be whole, or the file was cut.
    let tail = text
        .lines()
        .skip_while(|l| l.trim_end() != "end of trees")
        .skip(1);
    let mut tail = tail.map(str::trim_end).filter(|l| !l.is_empty()).peekable();
    if tail.peek().is_some() && !tail.any(|l| l == "end of parameters") {
        return Err(error(
            last,
            "end",
            "no \"end of parameters\" line after the trees: the file is truncated",
        ));
    }
    Ok((header, trees))
}

/// The link of an `objective=` line (`binary sigmoid:1`, `multiclass num_class:3`, ...).
fn objective(line: usize, spec: &str) -> Result<(String, Link)> {
    let mut words = spec.split_whitespace();
    let name = words.next().unwrap_or("").to_string();
    let params: Vec<&str> = words.collect();
    let param = |key: &str| {
        params
            .iter()
            .find_map(|p| p.strip_prefix(key)?.strip_prefix(':'))
    };
    let link = match name.as_str() {
        "regression" if params.contains(&"sqrt") => {
            return Err(error(
                line,
                "objective",
                "regression with reg_sqrt is not supported",
            ))
        }
        "regression" | "regression_l1" | "huber" | "fair" | "quantile" | "mape" => Link::Identity,
        "binary" => {
            let scale = param("sigmoid").unwrap_or("1");
            let scale: f64 = scale
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    error(
                        line,
                        "objective",
                        format!("sigmoid:{scale} is not a positive number"),
                    )
                })?;
            Link::Sigmoid { scale }
        }
        "multiclass" => Link::Softmax,
        _ => {
            return Err(error(
                line,
                "objective",
                format!(
                    "unsupported objective {name:?} (supported: regression, regression_l1, huber, \
                     fair, quantile, mape, binary, multiclass)"
                ),
            ))
        }
    };
    Ok((name, link))
}

/// A threshold that LightGBM's reading of inputs within ±[`LIGHTGBM_ZERO`] as 0 decides
/// differently from the raw input, moved to the band's edge so that `x <= t` on the raw
/// input decides as `0 <= t` does for the whole band.
pub(super) fn zero_band(t: f64) -> f64 {
    if (-LIGHTGBM_ZERO..0.0).contains(&t) {
        (-LIGHTGBM_ZERO).next_down()
    } else if (0.0..LIGHTGBM_ZERO).contains(&t) {
        LIGHTGBM_ZERO
    } else {
        t
    }
}

/// Reads a LightGBM text model.
pub(super) fn import(text: &str) -> Result<GbdtModel> {
    let (header, trees) = sections(text)?;
    if let Some((line, _)) = header.get("average_output") {
        return Err(error(
            line,
            "header",
            "random forest models (average_output) are not supported",
        ));
    }
    let (obj_line, spec) = header.need("objective")?;
    let (obj_name, link) = objective(obj_line, spec)?;
    let max_idx: i64 = header.number("max_feature_idx")?;
    let n_features = usize::try_from(max_idx.saturating_add(1))
        .ok()
        .filter(|&n| n <= MAX_FEATURES)
        .ok_or_else(|| {
            error(
                header.need("max_feature_idx").map_or(1, |l| l.0),
                "header",
                format!("max_feature_idx={max_idx} is out of range"),
            )
        })?;
    let per_iter: usize = header.number("num_tree_per_iteration")?;
    let num_class: usize = header.number("num_class")?;
    let l = header.need("num_class")?.0;
    if per_iter == 0 || per_iter > 1 << 16 {
        return Err(error(
            l,
            "header",
            format!("num_tree_per_iteration={per_iter} is out of range"),
        ));
    }
    match link {
        Link::Softmax if num_class != per_iter || num_class < 2 => {
            return Err(error(
                l,
                "header",
                format!("multiclass with num_class={num_class} and {per_iter} trees per iteration"),
            ))
        }
        Link::Identity | Link::Sigmoid { .. } if per_iter != 1 => {
            return Err(error(
                l,
                "header",
                format!("{obj_name} with {per_iter} trees per iteration is not supported"),
            ))
        }
        _ => {}
    }
    let feature_names: Vec<String> = match header.get("feature_names") {
        Some((line, v)) => {
            let names: Vec<String> = v.split_whitespace().map(str::to_string).collect();
            if names.len() != n_features {
                return Err(error(
                    line,
                    "feature_names",
                    format!("{} names for {n_features} features", names.len()),
                ));
            }
            names
        }
        None => (0..n_features).map(|i| format!("Column_{i}")).collect(),
    };
    if trees.len() % per_iter != 0 {
        return Err(error(
            header.first_line,
            "trees",
            format!(
                "{} trees are not whole iterations of {per_iter}",
                trees.len()
            ),
        ));
    }
    let mut forest = Forest::default();
    for (t, section) in trees.iter().enumerate() {
        let nodes = tree_nodes(section)?;
        forest
            .push_tree(&nodes, t % per_iter, n_features)
            .map_err(|m| error(section.first_line, &section.name, m))?;
    }
    let model = GbdtModel {
        library: Library::LightGbm,
        objective: obj_name,
        feature_names,
        n_features,
        n_groups: per_iter,
        link,
        base_margin: vec![0.0; per_iter],
        used_iterations: trees.len() / per_iter,
        used_trees: forest.n_trees(),
        forest,
        iteration_ends: (1..=trees.len() / per_iter).map(|i| i * per_iter).collect(),
        best_iteration: None,
        raw_margin: false,
        packed: PackedCache::default(),
    };
    // Packed now, so the first prediction neither waits nor allocates.
    model.packed();
    Ok(model)
}

/// Bits of `decision_type`.
const CATEGORICAL: u8 = 1;
const DEFAULT_LEFT: u8 = 2;

fn tree_nodes(s: &Section<'_>) -> Result<Vec<RawNode>> {
    let leaves: usize = s.number("num_leaves")?;
    if leaves == 0 || leaves > i32::MAX as usize {
        let line = s.need("num_leaves")?.0;
        return Err(error(
            line,
            &s.name,
            format!("num_leaves={leaves} is out of range"),
        ));
    }
    if let Some((line, v)) = s.get("is_linear") {
        if v.trim() != "0" {
            return Err(error(line, &s.name, "linear trees are not supported"));
        }
    }
    let leaf_values: Vec<f64> = s.list("leaf_value", leaves)?;
    let leaf_line = s.need("leaf_value")?.0;
    if let Some(v) = leaf_values.iter().find(|v| !v.is_finite()) {
        return Err(error(
            leaf_line,
            &s.name,
            format!("leaf value {v} is not finite"),
        ));
    }
    let inner = leaves - 1;
    let mut nodes = Vec::with_capacity(2 * leaves - 1);
    if inner == 0 {
        nodes.push(RawNode::Leaf(leaf_values[0]));
        return Ok(nodes);
    }
    let feature: Vec<usize> = s.list("split_feature", inner)?;
    let threshold: Vec<f64> = s.list("threshold", inner)?;
    let decision: Vec<u8> = s.list("decision_type", inner)?;
    let left: Vec<i64> = s.list("left_child", inner)?;
    let right: Vec<i64> = s.list("right_child", inner)?;
    let num_cat: usize = s.get("num_cat").map_or(Ok(0), |_| s.number("num_cat"))?;
    if num_cat > inner {
        let line = s.need("num_cat")?.0;
        return Err(error(
            line,
            &s.name,
            format!("num_cat={num_cat} exceeds the {inner} splits"),
        ));
    }
    let (bounds, words): (Vec<usize>, Vec<u32>) = if num_cat > 0 {
        let b: Vec<usize> = s.list("cat_boundaries", num_cat + 1)?;
        let n_words = *b.last().unwrap_or(&0);
        let line = s.need("cat_boundaries")?.0;
        if b[0] != 0 || b.windows(2).any(|w| w[0] > w[1]) {
            return Err(error(line, &s.name, "cat_boundaries must rise from 0"));
        }
        (b, s.list("cat_threshold", n_words)?)
    } else {
        (vec![0], Vec::new())
    };
    // Internal nodes keep their numbers; leaf j becomes node inner + j.
    let child = |c: i64, which: &str, i: usize| -> Result<usize> {
        let index = if c >= 0 {
            usize::try_from(c).ok().filter(|&c| c < inner)
        } else {
            usize::try_from(!c)
                .ok()
                .filter(|&j| j < leaves)
                .map(|j| inner + j)
        };
        index.ok_or_else(|| {
            error(
                s.need(which).map_or(s.first_line, |l| l.0),
                &s.name,
                format!("node {i}: child {c} does not exist"),
            )
        })
    };
    for i in 0..inner {
        let d = decision[i];
        let t = threshold[i];
        let t_line = s.need("threshold")?.0;
        // LightGBM writes an infinite threshold for a split of NaN from everything else.
        if t.is_nan() {
            return Err(error(
                t_line,
                &s.name,
                format!("node {i}: threshold is NaN"),
            ));
        }
        let default_left = d & DEFAULT_LEFT != 0;
        let split = if d & CATEGORICAL != 0 {
            // The threshold holds the index of the node's bitset.
            let k = Some(t)
                .filter(|t| t.fract() == 0.0 && *t >= 0.0 && *t < num_cat as f64)
                .map(|t| t as usize)
                .ok_or_else(|| error(t_line, &s.name, format!("node {i}: categorical threshold {t} is not a set index below num_cat={num_cat}")))?;
            Split::Categorical {
                left_set: words[bounds[k]..bounds[k + 1]].to_vec(),
                nan_left: false,
                other_left: false,
                xgboost_style: false,
            }
        } else {
            let threshold = zero_band(t);
            match (d >> 2) & 3 {
                0 => Split::Numeric {
                    threshold,
                    nan_left: 0.0 <= t,
                    zero_missing: false,
                },
                1 => Split::Numeric {
                    threshold,
                    nan_left: default_left,
                    zero_missing: true,
                },
                2 => Split::Numeric {
                    threshold,
                    nan_left: default_left,
                    zero_missing: false,
                },
                m => {
                    let line = s.need("decision_type")?.0;
                    return Err(error(
                        line,
                        &s.name,
                        format!("node {i}: missing type {m} does not exist"),
                    ));
                }
            }
        };
        nodes.push(RawNode::Split {
            feature: feature[i],
            split,
            left: child(left[i], "left_child", i)?,
            right: child(right[i], "right_child", i)?,
        });
    }
    nodes.extend(leaf_values.into_iter().map(RawNode::Leaf));
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_in_the_zero_band_decide_as_lightgbm_reads_inputs() {
        for t in [
            -2e-35,
            -LIGHTGBM_ZERO,
            -1e-36,
            -0.0,
            0.0,
            1e-36,
            LIGHTGBM_ZERO,
            2e-35,
        ] {
            let tt = zero_band(t);
            for x in [
                -3e-35,
                -LIGHTGBM_ZERO,
                -1e-36,
                -0.0,
                0.0,
                5e-324,
                1e-36,
                LIGHTGBM_ZERO,
                3e-35,
            ] {
                let read = if x.abs() <= LIGHTGBM_ZERO { 0.0 } else { x };
                assert_eq!(x <= tt, read <= t, "t={t:e} x={x:e}");
            }
        }
    }
}
