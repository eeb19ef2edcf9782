//! Shape and stride checks shared by the owned matrix and both views: each panics with a
//! message naming the values involved.

#[track_caller]
#[inline]
pub(super) fn check_index(i: usize, j: usize, nrows: usize, ncols: usize) {
    if i >= nrows || j >= ncols {
        index_oob(i, j, nrows, ncols)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn index_oob(i: usize, j: usize, nrows: usize, ncols: usize) -> ! {
    panic!("matrix index ({i}, {j}) out of bounds for a {nrows}x{ncols} matrix")
}

/// Largest element offset of a view, or `None` when it has no element.
pub(super) fn max_offset(nrows: usize, ncols: usize, rs: usize, cs: usize) -> Option<usize> {
    if nrows == 0 || ncols == 0 {
        return None;
    }
    (nrows - 1)
        .checked_mul(rs)
        .and_then(|a| (ncols - 1).checked_mul(cs).and_then(|b| a.checked_add(b)))
        .or_else(|| panic!("view {nrows}x{ncols} with strides ({rs}, {cs}) overflows usize"))
}

#[track_caller]
pub(super) fn check_view(what: &str, len: usize, nrows: usize, ncols: usize, rs: usize, cs: usize) {
    if let Some(last) = max_offset(nrows, ncols, rs, cs) {
        assert!(
            last < len,
            "{what}: a {nrows}x{ncols} view with strides ({rs}, {cs}) reaches element {last}, \
             but the slice holds {len}"
        );
    }
}

#[track_caller]
pub(super) fn check_block(i: usize, j: usize, nrows: usize, ncols: usize, pr: usize, pc: usize) {
    let ok = i.checked_add(nrows).is_some_and(|e| e <= pr)
        && j.checked_add(ncols).is_some_and(|e| e <= pc);
    assert!(
        ok,
        "block of {nrows}x{ncols} at ({i}, {j}) does not fit in a {pr}x{pc} matrix"
    );
}

#[track_caller]
pub(super) fn check_no_alias(nrows: usize, ncols: usize, rs: usize, cs: usize) {
    if nrows == 0 || ncols == 0 {
        return;
    }
    if nrows == 1 || ncols == 1 {
        let (n, s) = if nrows > 1 { (nrows, rs) } else { (ncols, cs) };
        assert!(
            n <= 1 || s >= 1,
            "a stride of 0 makes the {nrows}x{ncols} view alias itself"
        );
        return;
    }
    let (lo, lo_n, hi) = if rs <= cs {
        (rs, nrows, cs)
    } else {
        (cs, ncols, rs)
    };
    assert!(
        lo >= 1 && hi >= lo * lo_n,
        "strides ({rs}, {cs}) make the {nrows}x{ncols} view alias itself"
    );
}
