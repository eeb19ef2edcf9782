//! Feature extraction on arbitrary f64 prices (any bit pattern: NaN, ±inf, subnormals, huge,
//! negative): never panics, and the batch pass equals the streaming pass bit for bit, in
//! sequence and in parallel.
#![no_main]

use fast_math::Par;
use libfuzzer_sys::fuzz_target;
use ml_pipeline::{extract_features, FeatureConfig, RollingFeatures};

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let prices: Vec<f64> = rest
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let cfg = FeatureConfig {
        window: 4 + usize::from(head & 0x1f),
        spectral_len: if head & 0x20 != 0 { 8 } else { 0 },
        spectral_bins: if head & 0x20 != 0 { 4 } else { 0 },
        recompute_every: if head & 0x40 != 0 { 3 } else { 1024 },
        ..FeatureConfig::default()
    };
    let seq = extract_features(&prices, &cfg, Par::Seq).expect("valid config");
    let par = extract_features(&prices, &cfg, Par::Rayon(2)).expect("valid config");
    assert_eq!(seq.nrows(), prices.len());
    for (i, (a, b)) in seq.as_slice().iter().zip(par.as_slice()).enumerate() {
        assert!(same(*a, *b), "cell {i}: sequential {a} vs parallel {b}");
    }
    let mut stream = RollingFeatures::new(cfg.clone()).expect("valid config");
    for (t, &p) in prices.iter().enumerate() {
        if let Some(row) = stream.update(p) {
            for (j, (a, b)) in row.iter().zip(seq.row(t)).enumerate() {
                assert!(
                    same(*a, *b),
                    "tick {t}, column {j}: streaming {a} vs batch {b}"
                );
            }
        }
    }
});
