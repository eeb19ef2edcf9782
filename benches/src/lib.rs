//! Shared helpers for the benches: data generators and naive baselines.
