//! Probe.
use fast_math::{gram_with, Mat, Par};
use ml_pipeline::models::Pca;
use ml_pipeline::{Fit, Target};
use std::time::Instant;
fn main() {
    let (n, k) = (100_000usize, 64usize);
    let bytes = std::fs::read("target/compare-data/pca_x.f64").unwrap();
    let data: Vec<f64> = bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(data.len(), n * k);
    let mut s = 12345u64;
    let rnd: Vec<f64> = (0..n * k).map(|_| { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (s >> 11) as f64 / (1u64 << 53) as f64 + 3.0 }).collect();
    for (name, data) in [("file", &data), ("random", &rnd), ("file", &data)] {
    let x = Mat::from_col_major(n, k, data);
    let isa = simd_kernels::Isa::detect();
    let reps = 30;
    let (mut tp, mut tg, mut te) = (vec![], vec![], vec![]);
    for _ in 0..reps {
        let t = Instant::now();
        let m = Pca { n_components: 8 }.fit(x.as_ref(), Target::None, Par::Seq).unwrap();
        tp.push(t.elapsed().as_secs_f64()); std::hint::black_box(m);
        let t = Instant::now();
        let g = gram_with(isa, x.as_ref(), Par::Seq);
        tg.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let e = nalgebra::SymmetricEigen::new(nalgebra::DMatrix::from_fn(k, k, |i, j| g[(i, j)]));
        te.push(t.elapsed().as_secs_f64()); std::hint::black_box(e);
    }
    for v in [&mut tp, &mut tg, &mut te] { v.sort_by(f64::total_cmp); }
    println!("{name}: pca {:.2} ms; gram {:.2} ms; eig {:.2} ms", tp[reps/2]*1e3, tg[reps/2]*1e3, te[reps/2]*1e3);
}
}
