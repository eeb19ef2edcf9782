//! A fixed-size log-scale latency histogram: recording is a few integer ops, no allocation.

/// Sub-buckets per power of two: quantiles are resolved to about 19%.
const SUB: usize = 4;
const BUCKETS: usize = 64 * SUB;

/// Counts of durations (in nanoseconds) in log-spaced buckets.
#[derive(Clone, Debug)]
pub(crate) struct LatencyHistogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
}

impl LatencyHistogram {
    pub(crate) fn new() -> Self {
        LatencyHistogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }

    #[inline]
    fn bucket(ns: u64) -> usize {
        if ns < SUB as u64 {
            return ns as usize;
        }
        let log = 63 - ns.leading_zeros() as usize;
        let frac = ((ns >> (log - 2)) & 3) as usize;
        (log * SUB + frac).min(BUCKETS - 1)
    }

    /// Upper edge of a bucket, in nanoseconds.
    fn upper(b: usize) -> u64 {
        if b < SUB {
            return b as u64;
        }
        let (log, frac) = (b / SUB, b % SUB);
        ((4 + frac as u64 + 1) << (log - 2)).saturating_sub(1)
    }

    #[inline]
    pub(crate) fn record(&mut self, ns: u64) {
        self.counts[Self::bucket(ns)] += 1;
        self.total += 1;
    }

    /// The `q`-quantile (0..=1) as the upper edge of its bucket; 0 when empty.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let target = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= target {
                return Self::upper(b);
            }
        }
        Self::upper(BUCKETS - 1)
    }

    pub(crate) fn reset(&mut self) {
        self.counts.fill(0);
        self.total = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_bracket_the_recorded_values() {
        let mut h = LatencyHistogram::new();
        for ns in 1..=1000u64 {
            h.record(ns);
        }
        let p50 = h.quantile(0.5);
        assert!((500..=640).contains(&p50), "p50 {p50}");
        let p99 = h.quantile(0.99);
        assert!((990..=1280).contains(&p99), "p99 {p99}");
        for ns in [0u64, 1, 3, 4, 5, 7, 8, 100, 12345, u64::MAX / 2] {
            let b = LatencyHistogram::bucket(ns);
            assert!(
                LatencyHistogram::upper(b) >= ns,
                "{ns} above its bucket's edge"
            );
        }
    }
}
