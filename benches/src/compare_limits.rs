//! The compare page's section "against the machine's limit": for the rows whose time is
//! dense floating-point arithmetic, the time that arithmetic takes at the FMA peak measured
//! in the same rounds, how close each side comes to it, and so the largest ratio to the
//! peer that any implementation of the same arithmetic could reach on this machine.
//!
//! Each round of ours records the peak (`fma_peak_gflops`, the probe of
//! `simd_kernels::probe` on the ISA in use, so capped runs are held to the capped peak);
//! the section takes the median over the rounds, like the times.

use crate::report::fmt_s;
use crate::rounds::median;
use fast_math::rsvd::RsvdOptions;
use serde_json::Value;
use std::fmt::Write as _;

/// The floating-point work of a compare row, when its time is mostly dense arithmetic:
/// `(flops, what was counted)`. Only the dominant products are counted, so the floor they
/// give is a lower bound of any implementation's time.
pub fn work_of(id: &str) -> Option<(f64, String)> {
    let gram = |n: f64, k: f64| {
        (
            n * k * (k + 1.0),
            format!(
                "the Gram matrix's lower triangle, n k (k + 1) = {n:.0e} x {k} x {}",
                k + 1.0
            ),
        )
    };
    match id {
        "matmul_1024" | "matmul_1024_into" => {
            let n = 1024.0f64;
            Some((2.0 * n * n * n, "2 n^3, n = 1024".into()))
        }
        "ridge_1M_x_64" => Some(gram(1e6, 64.0)),
        "pca_100k_x_64" => Some(gram(1e5, 64.0)),
        "rsvd_10k_x_2k_r50" => {
            let (m, n) = (10_000usize, 2_000usize);
            let opts = RsvdOptions::new(50);
            let l = opts.rank + opts.oversamples;
            // The sketch, two products per power iteration, the last sketch and B^T = A^T Q.
            let products = 2 * opts.iterations(m, n) + 2;
            let flops = (products * 2 * m * n * l) as f64;
            Some((
                flops,
                format!("{products} products of A ({m} x {n}) with {l} columns, 2 m n l each"),
            ))
        }
        _ => None,
    }
}

/// The median FMA peak (GFLOP/s, f64) the rounds of ours recorded, if any did.
pub fn peak_gflops(our_rounds: &[Value]) -> Option<f64> {
    let peaks: Vec<f64> = our_rounds
        .iter()
        .filter_map(|r| r["fma_peak_gflops"].as_f64())
        .collect();
    (!peaks.is_empty()).then(|| median(peaks))
}

/// One row of the section: an operation, the peer, and both sides' median times.
pub struct Timed {
    /// The row's id in the rounds.
    pub id: String,
    /// What the row measures, as the table names it.
    pub what: String,
    /// The peer's name and version.
    pub peer: String,
    /// Median seconds of the peer.
    pub peer_s: f64,
    /// Median seconds of ours.
    pub ours_s: f64,
}

/// The section's Markdown for the rows among `rows` with a known [`work_of`], or `None`
/// when the rounds hold no peak or no such row.
pub fn section(peak: Option<f64>, rows: &[Timed]) -> Option<String> {
    let peak = peak.filter(|p| p.is_finite() && *p > 0.0)?;
    let mut table = String::new();
    for r in rows {
        let Some((flops, counted)) = work_of(&r.id) else {
            continue;
        };
        let floor = flops / (peak * 1e9);
        let _ = writeln!(
            table,
            "| {} | {} | {counted} | {} | {:.0}% | {:.0}% | {:.2}x |",
            r.what,
            r.peer,
            fmt_s(floor),
            100.0 * floor / r.ours_s,
            100.0 * floor / r.peer_s,
            r.peer_s / floor
        );
    }
    if table.is_empty() {
        return None;
    }
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n## Against the machine's limit\n\nFMA peak on one core with the ISA in use, measured \
         in every round of ours: {peak:.1} GFLOP/s (median). The floor is the counted work at \
         that peak, a lower bound of any implementation's time; each side's share of the peak \
         is the floor over its median time, and the last column is the largest ratio to the \
         peer that the peak allows (the peer's time over the floor): a target above it cannot \
         be met by arithmetic speed on this machine, only by doing less of it.\n"
    );
    let _ = writeln!(
        md,
        "| operation | peer | work counted | floor | ours | peer | ratio the peak allows |\n\
         |---|---|---|---:|---:|---:|---:|"
    );
    md.push_str(&table);
    Some(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_randomized_svd_counts_sixteen_products() {
        // scikit-learn's 'auto': 7 power iterations for rank 50 of 2000 columns.
        let (flops, counted) = work_of("rsvd_10k_x_2k_r50").unwrap();
        assert_eq!(flops, 16.0 * 2.0 * 10_000.0 * 2_000.0 * 60.0);
        assert!(counted.starts_with("16 products"), "{counted}");
        assert_eq!(work_of("matmul_1024").unwrap().0, 2.0 * 1024f64.powi(3));
        assert_eq!(work_of("pca_100k_x_64").unwrap().0, 1e5 * 64.0 * 65.0);
        assert!(work_of("dot_1M").is_none());
    }

    #[test]
    fn the_section_puts_each_side_against_the_floor() {
        let rows = [
            Timed {
                id: "matmul_1024".into(),
                what: "matmul f64 1024x1024".into(),
                peer: "numpy".into(),
                peer_s: 0.04,
                ours_s: 0.02,
            },
            Timed {
                id: "dot_1M".into(),
                what: "dot".into(),
                peer: "numpy".into(),
                peer_s: 1.0,
                ours_s: 1.0,
            },
        ];
        // 2^31 flops at 2^31 / 0.016 flop/s: a floor of 16 ms.
        let peak = 2f64.powi(31) / 0.016 / 1e9;
        let md = section(Some(peak), &rows).unwrap();
        assert!(md.contains("| 16.00 ms | 80% | 40% | 2.50x |"), "{md}");
        assert!(!md.contains("| dot |"), "{md}");
        assert!(section(None, &rows).is_none());
        assert!(section(Some(peak), &rows[1..]).is_none());
    }
}
