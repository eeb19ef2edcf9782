//! Test helpers shared by the fast-math integration tests.
#![allow(dead_code)]

use fast_math::{Mat, MatMut, MatRef, Scalar};

/// Deterministic pseudo-random values in [-1, 1).
pub fn rand_mat<T: Scalar>(r: usize, c: usize, seed: u64) -> Mat<T> {
    let mut rng = seeded_rng::Rng::new(seed);
    Mat::from_fn(r, c, |_, _| T::from_f64(rng.range(-1.0, 1.0)))
}

/// Memory layouts a test operand is stored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Column-major, leading dimension = rows.
    ColMajor,
    /// Row-major, built as the transpose of a column-major view (`.t()`).
    RowMajorViaT,
    /// A column-major sub-view at offset (3, 2) of a larger matrix (leading dimension rows + 7).
    SubView,
    /// Both strides non-unit: row stride 2, column stride 2 * rows + 5.
    Strided,
}

pub const LAYOUTS: [Layout; 4] = [
    Layout::ColMajor,
    Layout::RowMajorViaT,
    Layout::SubView,
    Layout::Strided,
];

/// Sentinel stored in every backing slot that is not part of the view.
pub const SENTINEL: f64 = 7777.0;

/// A matrix stored in a backing buffer with a given layout.
pub struct Stored<T> {
    pub buf: Vec<T>,
    pub rows: usize,
    pub cols: usize,
    pub layout: Layout,
}

impl<T: Scalar> Stored<T> {
    pub fn new(m: &Mat<T>, layout: Layout) -> Self {
        let (rows, cols) = (m.nrows(), m.ncols());
        let (off, rs, cs, len) = Self::geometry(rows, cols, layout);
        let mut buf = vec![T::from_f64(SENTINEL); len];
        for j in 0..cols {
            for i in 0..rows {
                buf[off + i * rs + j * cs] = m[(i, j)];
            }
        }
        Stored {
            buf,
            rows,
            cols,
            layout,
        }
    }

    /// (offset, row stride, column stride, backing length).
    fn geometry(rows: usize, cols: usize, layout: Layout) -> (usize, usize, usize, usize) {
        let (off, rs, cs) = match layout {
            Layout::ColMajor => (0, 1, rows),
            Layout::RowMajorViaT => (0, cols, 1),
            Layout::SubView => (3 + 2 * (rows + 7), 1, rows + 7),
            Layout::Strided => (1, 2, 2 * rows + 5),
        };
        let last = if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs
        };
        (off, rs, cs, off + last + 4)
    }

    pub fn view(&self) -> MatRef<'_, T> {
        let (off, rs, cs, _) = Self::geometry(self.rows, self.cols, self.layout);
        match self.layout {
            Layout::ColMajor => MatRef::from_col_major(&self.buf, self.rows, self.cols),
            Layout::RowMajorViaT => MatRef::from_col_major(&self.buf, self.cols, self.rows).t(),
            _ => MatRef::from_slice(&self.buf[off..], self.rows, self.cols, rs, cs),
        }
    }

    pub fn view_mut(&mut self) -> MatMut<'_, T> {
        let (off, rs, cs, _) = Self::geometry(self.rows, self.cols, self.layout);
        match self.layout {
            Layout::ColMajor => MatMut::from_col_major(&mut self.buf, self.rows, self.cols),
            Layout::RowMajorViaT => MatMut::from_col_major(&mut self.buf, self.cols, self.rows).t(),
            _ => MatMut::from_slice(&mut self.buf[off..], self.rows, self.cols, rs, cs),
        }
    }

    /// Whether every slot outside the view still holds the sentinel.
    pub fn padding_intact(&self) -> bool {
        let (off, rs, cs, _) = Self::geometry(self.rows, self.cols, self.layout);
        let mut inside = vec![false; self.buf.len()];
        for j in 0..self.cols {
            for i in 0..self.rows {
                inside[off + i * rs + j * cs] = true;
            }
        }
        self.buf
            .iter()
            .zip(&inside)
            .all(|(v, &ins)| ins || v.to_f64() == SENTINEL)
    }
}

/// `A * B` and `|A| * |B|` in f64 with compensated (TwoSum/TwoProduct-free Neumaier) sums.
pub fn reference<T: Scalar>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> (Mat<f64>, Mat<f64>) {
    let (m, n, k) = (a.nrows(), b.ncols(), a.ncols());
    let mut p = Mat::zeros(m, n);
    let mut mag = Mat::zeros(m, n);
    let at: Vec<f64> = (0..m * k)
        .map(|idx| a.get(idx / k, idx % k).to_f64())
        .collect();
    for j in 0..n {
        let bc: Vec<f64> = (0..k).map(|p| b.get(p, j).to_f64()).collect();
        for i in 0..m {
            let row = &at[i * k..(i + 1) * k];
            let (s, g) = dot_exactish(row, &bc);
            p[(i, j)] = s;
            mag[(i, j)] = g;
        }
    }
    (p, mag)
}

/// Dot product with error-free transformations (TwoProduct via FMA, TwoSum), accurate to
/// about one rounding of the result, and the magnitude sum |a| . |b|.
pub fn dot_exactish(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (mut s, mut c, mut g) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let p = x * y;
        let pe = x.mul_add(y, -p);
        let t = s + p;
        let z = t - s;
        let se = (s - (t - z)) + (p - z);
        s = t;
        c += se + pe;
        g += p.abs();
    }
    (s + c, g)
}
