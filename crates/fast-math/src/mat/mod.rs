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
