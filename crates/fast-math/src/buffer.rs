//! The one place matrix storage and packing scratch come from.
//!
//! Storage is a 64-byte aligned buffer ([`zero_copy_pool::AlignedVec`] once that layer
//! provides it). Packing scratch is a per-thread buffer that grows to the largest size seen
//! and is then reused, so GEMM allocates nothing per call after warm-up.

use crate::Scalar;
use std::cell::RefCell;

/// Alignment of matrix storage and packing buffers, in bytes (one cache line, one zmm).
pub(crate) const ALIGN: usize = 64;

/// A 64-byte aligned, fixed-length buffer of `T`.
///
/// Built on an over-allocated `Vec<T>` plus an offset, so it needs no unsafe code: moving the
/// `Vec` does not move its heap block, so the offset stays valid.
#[derive(Debug)]
pub(crate) struct AlignedBuf<T> {
    raw: Vec<T>,
    offset: usize,
    len: usize,
}

impl<T: Copy> AlignedBuf<T> {
    /// `len` copies of `value`.
    pub(crate) fn from_elem(value: T, len: usize) -> Self {
        let size = std::mem::size_of::<T>().max(1);
        let pad = ALIGN.div_ceil(size);
        let raw = vec![value; len + pad];
        let addr = raw.as_ptr() as usize;
        let offset = if len == 0 {
            0
        } else {
            (addr.next_multiple_of(ALIGN) - addr) / size
        };
        debug_assert!(offset + len <= raw.len());
        AlignedBuf { raw, offset, len }
    }

    /// The elements.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.raw[self.offset..self.offset + self.len]
    }

    /// The elements, mutably.
    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.raw[self.offset..self.offset + self.len]
    }

    /// Number of elements.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl<T: Copy> Clone for AlignedBuf<T> {
    fn clone(&self) -> Self {
        let mut out = match self.as_slice().first() {
            Some(&v) => AlignedBuf::from_elem(v, self.len),
            None => {
                return AlignedBuf {
                    raw: Vec::new(),
                    offset: 0,
                    len: 0,
                }
            }
        };
        out.as_mut_slice().copy_from_slice(self.as_slice());
        out
    }
}

/// Per-thread packing scratch for one element type.
pub(crate) struct Scratch<T> {
    buf: RefCell<Option<AlignedBuf<T>>>,
}

impl<T: Scalar> Scratch<T> {
    pub(crate) const fn new() -> Self {
        Scratch {
            buf: RefCell::new(None),
        }
    }

    /// Runs `f` on a scratch slice of at least `len` elements (contents unspecified).
    ///
    /// The buffer is taken out of its slot for the duration of `f`, so a nested call (which
    /// the GEMM driver never makes) would get a fresh buffer instead of aliasing this one.
    pub(crate) fn with<R>(&self, len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
        let taken = self.buf.borrow_mut().take();
        let mut buf = match taken {
            Some(b) if b.len() >= len => b,
            _ => grow::<T>(len),
        };
        let r = f(&mut buf.as_mut_slice()[..len]);
        *self.buf.borrow_mut() = Some(buf);
        r
    }
}

#[cold]
#[inline(never)]
fn grow<T: Scalar>(len: usize) -> AlignedBuf<T> {
    AlignedBuf::from_elem(T::ZERO, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_buf_is_aligned_and_clones_deeply() {
        for len in [0usize, 1, 3, 64, 1000] {
            let mut b = AlignedBuf::from_elem(1.5f64, len);
            assert_eq!(b.len(), len);
            if len > 0 {
                assert_eq!(b.as_slice().as_ptr() as usize % ALIGN, 0);
                b.as_mut_slice()[0] = 2.0;
            }
            let c = b.clone();
            assert_eq!(c.as_slice(), b.as_slice());
            if len > 0 {
                assert_eq!(c.as_slice().as_ptr() as usize % ALIGN, 0);
            }
            let f = AlignedBuf::from_elem(0.5f32, len);
            if len > 0 {
                assert_eq!(f.as_slice().as_ptr() as usize % ALIGN, 0);
            }
        }
    }

    #[test]
    fn scratch_is_reused_after_warm_up() {
        let s = Scratch::<f64>::new();
        let p1 = s.with(100, |b| {
            b[0] = 1.0;
            b.as_ptr() as usize
        });
        let p2 = s.with(50, |b| b.as_ptr() as usize);
        assert_eq!(p1, p2);
        assert_eq!(p1 % ALIGN, 0);
    }
}
