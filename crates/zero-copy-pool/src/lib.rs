//! `zero-copy-pool` (layer 2): 64-byte aligned buffers, lock-free object pools with RAII
//! guards, a size-class pool manager, bump arenas and pool metrics.
//!
//! This crate is what lets the hot path allocate nothing after warm-up.
