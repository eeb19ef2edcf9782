//! Dense matrices, one role per module (faer's layout): the owned, column-major [`Mat`]
//! (`matown`), the strided views [`MatRef`] (`matref`) and [`MatMut`] (`matmut`), and the
//! nalgebra bridge (`nalgebra`). The views share one layout rule, written in `matref`;
//! `bounds` holds the checks all of them panic through.

mod bounds;
mod matmut;
mod matown;
mod matref;
mod nalgebra;

pub use self::nalgebra::NalgebraView;
pub use matmut::MatMut;
pub use matown::Mat;
pub use matref::MatRef;

/// A column stride for a column-major scratch block of `nrows` rows of `T`: one 64-byte cache
/// line more than the rows need. A block whose column length is a multiple of 4 KiB (a
/// power-of-two row count, say) would start every column in the same set of an 8-way L1,
/// and a kernel streaming eight of its columns at once (the Gram matrix's dot products)
/// would evict its own lines; one line of padding puts consecutive columns in consecutive
/// sets.
///
/// ```
/// assert_eq!(fast_math::padded_col_stride::<f64>(512), 520);
/// assert_eq!(fast_math::padded_col_stride::<f32>(512), 528);
/// ```
pub const fn padded_col_stride<T>(nrows: usize) -> usize {
    nrows + 64 / std::mem::size_of::<T>()
}
