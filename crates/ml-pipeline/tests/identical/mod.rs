//! Bit-for-bit comparison of feature matrices, shared by the tests that hold two paths to
//! the same values (batch and streaming, grouped and each group alone).

use ml_pipeline::features::FeatureMatrix;

/// The same `f64` bits (so NaN equals NaN, and 0.0 differs from -0.0).
pub fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// Every value of `got` equals `want` bit for bit (NaN included).
pub fn assert_identical(got: &FeatureMatrix, want: &FeatureMatrix, what: &str) {
    assert_eq!(got.names(), want.names(), "{what}");
    assert_eq!(got.nrows(), want.nrows(), "{what}");
    for t in 0..got.nrows() {
        for (j, (&a, &b)) in got.row(t).iter().zip(want.row(t)).enumerate() {
            assert!(
                same_bits(a, b),
                "{what}: row {t} {}: {a:e} vs {b:e}",
                got.names()[j]
            );
        }
    }
}
