//! Link functions: how summed tree outputs (margins) become predictions, computed in the
//! precision and order each library uses so results match bit for bit where they can.
//!
//! XGBoost works in float32 (`transform_f32`): its sigmoid is `1 / (exp(min(-x, 88.7)) + 1)`
//! and its softmax subtracts the largest margin, takes `exp` in float32, sums in float64
//! and divides by that sum rounded to float32.
//! LightGBM works in float64: `1 / (1 + exp(-scale x))` and the same softmax in float64.
//! `exp` is the platform's `expf`/`exp` in both, as in the libraries.

use crate::traits::likeliest;

/// What turns margins into the reported prediction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Link {
    /// The margin itself (regression, ranking scores, `binary:logitraw`).
    Identity,
    /// Logistic: `1 / (1 + exp(-scale x))`; XGBoost's has scale 1 and float32.
    Sigmoid { scale: f64 },
    /// Probabilities over the output groups.
    Softmax,
    /// The index of the largest margin (XGBoost's `multi:softmax`; the first on ties).
    Argmax,
}

impl Link {
    /// Applies the link to `margins` in place, in float64 (LightGBM).
    pub fn transform_f64(self, m: &mut [f64]) {
        match self {
            Link::Identity => {}
            Link::Sigmoid { scale } => {
                for v in m.iter_mut() {
                    *v = 1.0 / (1.0 + (-scale * *v).exp());
                }
            }
            Link::Softmax => {
                let max = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for v in m.iter_mut() {
                    *v = (*v - max).exp();
                    sum += *v;
                }
                for v in m.iter_mut() {
                    *v /= sum;
                }
            }
            Link::Argmax => argmax(m),
        }
    }

    /// Applies the link to `margins` in place, each value a float32 held in an `f64`,
    /// computing in float32 (XGBoost).
    #[allow(clippy::cast_possible_truncation)] // the values are float32 already
    pub fn transform_f32(self, m: &mut [f64]) {
        match self {
            Link::Identity => {}
            Link::Sigmoid { .. } => {
                for v in m.iter_mut() {
                    let x = *v as f32;
                    *v = f64::from(1.0f32 / ((-x).min(88.7f32).exp() + 1.0f32));
                }
            }
            Link::Softmax => {
                let max = m
                    .iter()
                    .map(|&v| v as f32)
                    .fold(f32::NEG_INFINITY, f32::max);
                // The exponentials are float32, their sum float64, rounded once to divide.
                let mut sum = 0.0f64;
                for v in m.iter_mut() {
                    let e = (*v as f32 - max).exp();
                    sum += f64::from(e);
                    *v = f64::from(e);
                }
                let sum = sum as f32;
                for v in m.iter_mut() {
                    *v = f64::from(*v as f32 / sum);
                }
            }
            Link::Argmax => argmax(m),
        }
    }
}

/// Replaces the first value by the index of the largest (see [`likeliest`]), and leaves the
/// rest as they are: the caller reads one value.
#[allow(clippy::cast_precision_loss)] // class counts are far below 2^53
fn argmax(m: &mut [f64]) {
    let best = likeliest(m);
    if let Some(first) = m.first_mut() {
        *first = best as f64;
    }
}

/// XGBoost's margin of a base score given as a probability: `-ln(1 / p - 1)` in float32.
pub(super) fn logit_f32(p: f32) -> f32 {
    -(1.0f32 / p - 1.0f32).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_map_margins_as_the_libraries_do() {
        let mut m = [0.0, 2.0];
        Link::Sigmoid { scale: 1.0 }.transform_f64(&mut m);
        assert_eq!(m[0], 0.5);
        assert!((m[1] - 1.0 / (1.0 + (-2.0f64).exp())).abs() < 1e-16);
        let mut m = [-100.0f32 as f64];
        Link::Sigmoid { scale: 1.0 }.transform_f32(&mut m);
        assert!(m[0] > 0.0 && m[0] < 1e-38, "clamped, not 0: {}", m[0]);
        let mut m = [1.0, 3.0, 2.0];
        Link::Softmax.transform_f64(&mut m);
        assert!((m.iter().sum::<f64>() - 1.0).abs() < 1e-15 && m[1] > m[2] && m[2] > m[0]);
        let mut m = [1.0, 3.0, 3.0];
        Link::Argmax.transform_f32(&mut m);
        assert_eq!(m[0], 1.0);
        assert_eq!(logit_f32(0.5), 0.0);
    }
}
