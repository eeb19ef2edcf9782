//! `fast-math` (layer 3): dense matrices, packed GEMM, Strassen, Cholesky/QR, randomized
//! SVD, FFT convolution, compensated summation and CSR sparse operations.
//!
//! Built on the slice kernels of `simd-kernels` and the scratch buffers of `zero-copy-pool`.
