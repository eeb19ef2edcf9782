use super::*;
use crate::{TryReserveError, ALIGN};

fn assert_aligned<T: Copy>(v: &AlignedVec<T>) {
    assert_eq!(
        v.as_ptr() as usize % ALIGN,
        0,
        "pointer {:p} (len {}, cap {}) not {ALIGN}-byte aligned",
        v.as_ptr(),
        v.len(),
        v.capacity()
    );
}

#[test]
fn empty_buffers_allocate_nothing_and_are_aligned() {
    let v: AlignedVec<f64> = AlignedVec::new();
    assert_eq!(v.capacity(), 0);
    assert_aligned(&v);
    let v: AlignedVec<f64> = AlignedVec::with_capacity(0);
    assert_eq!(v.capacity(), 0);
    assert_aligned(&v);
    let v: AlignedVec<u8> = AlignedVec::zeroed(0);
    assert!(v.is_empty());
    assert_aligned(&v);
    let v: AlignedVec<f32> = AlignedVec::default();
    assert_eq!(&v[..], &[] as &[f32]);
}

#[test]
fn zero_sized_elements() {
    let mut v: AlignedVec<()> = AlignedVec::new();
    assert_eq!(v.capacity(), usize::MAX);
    for _ in 0..1000 {
        v.push(());
    }
    assert_eq!(v.len(), 1000);
    assert_aligned(&v);
    v.extend_from_slice(&[(); 24]);
    assert_eq!(v.len(), 1024);
    assert_eq!(
        v.try_reserve(usize::MAX),
        Err(TryReserveError::CapacityOverflow)
    );
    let z: AlignedVec<()> = AlignedVec::zeroed(7);
    assert_eq!(z.len(), 7);
    assert_eq!(z.clone(), z);
}

#[test]
fn growth_keeps_alignment_and_contents() {
    let mut v: AlignedVec<u8> = AlignedVec::new();
    for i in 0..10_000u32 {
        v.push(i as u8);
        assert_aligned(&v);
    }
    assert!(v.iter().enumerate().all(|(i, &b)| b == i as u8));
}

#[test]
fn zeroed_is_zero_and_aligned() {
    for len in [1, 7, 8, 63, 64, 65, 1000, 100_000] {
        let v: AlignedVec<f64> = AlignedVec::zeroed(len);
        assert_eq!(v.len(), len);
        assert!(v.iter().all(|&x| x == 0.0));
        assert_aligned(&v);
    }
}

#[test]
fn over_aligned_elements_keep_their_alignment() {
    #[derive(Clone, Copy, PartialEq, Debug)]
    #[repr(align(128))]
    struct Wide(u8);
    let mut v = AlignedVec::new();
    for i in 0..10 {
        v.push(Wide(i));
        assert_eq!(v.as_ptr() as usize % 128, 0);
    }
    assert_eq!(v[9], Wide(9));
}

#[test]
fn try_reserve_reports_overflow_without_panicking() {
    let mut v: AlignedVec<f64> = AlignedVec::from_elem(1.0, 4);
    assert_eq!(
        v.try_reserve(usize::MAX),
        Err(TryReserveError::CapacityOverflow)
    );
    assert_eq!(
        v.try_reserve(isize::MAX as usize / 8),
        Err(TryReserveError::CapacityOverflow)
    );
    assert_eq!(&v[..], &[1.0; 4]);
    assert!(AlignedVec::<f64>::try_with_capacity(usize::MAX / 4).is_err());
    assert!(AlignedVec::<u64>::try_zeroed(usize::MAX).is_err());
    let msg = TryReserveError::CapacityOverflow.to_string();
    assert!(msg.contains("overflow"), "{msg}");
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn reserve_panics_on_overflow_like_vec() {
    let mut v: AlignedVec<u16> = AlignedVec::new();
    v.reserve(usize::MAX);
}

#[test]
fn clone_eq_debug_conversions() {
    let v: AlignedVec<i32> = (1..=5).collect();
    let c = v.clone();
    assert_eq!(v, c);
    assert_aligned(&c);
    assert_eq!(format!("{v:?}"), "[1, 2, 3, 4, 5]");
    assert_eq!(v, vec![1, 2, 3, 4, 5]);
    let from_slice = AlignedVec::from(&[1, 2, 3, 4, 5][..]);
    assert_eq!(from_slice, v);
    let back: Vec<i32> = v.clone().into();
    assert_eq!(back, vec![1, 2, 3, 4, 5]);
    let sum: i32 = (&v).into_iter().sum();
    assert_eq!(sum, 15);
    let mut m = v.clone();
    for x in &mut m {
        *x *= 2;
    }
    assert_eq!(m, [2, 4, 6, 8, 10][..]);
    let mut target: AlignedVec<i32> = AlignedVec::with_capacity(16);
    let cap = target.capacity();
    target.clone_from(&v);
    assert_eq!(target, v);
    assert_eq!(target.capacity(), cap);
}

#[test]
fn clear_keeps_capacity() {
    let mut v: AlignedVec<f32> = AlignedVec::from_elem(2.0, 300);
    let cap = v.capacity();
    v.clear();
    assert!(v.is_empty());
    assert_eq!(v.capacity(), cap);
    v.resize_zeroed(10);
    assert_eq!(&v[..], &[0.0; 10]);
    v.fill(3.0);
    v.fill_zero();
    assert_eq!(&v[..], &[0.0; 10]);
}

#[test]
fn spare_capacity_and_set_len() {
    let mut v: AlignedVec<u64> = AlignedVec::with_capacity(8);
    for (i, slot) in v.spare_capacity_mut().iter_mut().enumerate().take(4) {
        slot.write(i as u64);
    }
    // SAFETY: the first four slots were written just above and 4 <= capacity.
    unsafe { v.set_len(4) };
    assert_eq!(&v[..], &[0, 1, 2, 3]);
    assert_eq!(v.pop(), Some(3));
    assert_eq!(v.len(), 3);
}

#[test]
fn blocks_from_the_huge_page_size_on_are_huge_page_aligned_zeroed_and_usable() {
    use crate::block::{HUGE_PAGE, HUGE_PAGE_MIN_BYTES};
    let big = HUGE_PAGE_MIN_BYTES / 8;
    for len in [big - 1, big, big + 3, 3 * big] {
        let mut z: AlignedVec<f64> = AlignedVec::zeroed(len);
        assert_eq!(z.len(), len);
        if len * 8 >= HUGE_PAGE_MIN_BYTES {
            assert_eq!(z.as_ptr() as usize % HUGE_PAGE, 0, "len {len}");
        }
        assert_aligned(&z);
        assert!(z.iter().all(|&v| v == 0.0), "len {len}: not zeroed");
        z[len - 1] = 1.5;
        z[0] = -2.0;
        // Growing moves it to a new block of the same kind, contents kept.
        z.push(7.0);
        assert_eq!((z[0], z[len - 1], z[len]), (-2.0, 1.5, 7.0));
        let mut u: AlignedVec<u8> = AlignedVec::with_capacity(len * 8);
        u.resize(len * 8, 9);
        assert!(u.iter().all(|&b| b == 9));
    }
}

#[test]
fn large_blocks_come_back_zeroed_after_others_were_written_and_freed() {
    use crate::block::HUGE_PAGE_MIN_BYTES;
    let len = HUGE_PAGE_MIN_BYTES / 8 + 5;
    for round in 0..4 {
        // The previous round's block, written all over, was freed: a new one must not
        // show its contents.
        let mut z: AlignedVec<f64> = AlignedVec::zeroed(len);
        assert!(z.iter().all(|&v| v == 0.0), "round {round}");
        z.fill(round as f64 + 1.0);
        let copy = z.clone();
        assert!(copy.iter().all(|&v| v == round as f64 + 1.0));
        let mut grown: AlignedVec<f64> = AlignedVec::with_capacity(8);
        grown.extend_from_slice(&z);
        grown.resize_zeroed(2 * len);
        assert_eq!(grown[len - 1], round as f64 + 1.0);
        assert!(grown[len..].iter().all(|&v| v == 0.0));
        let e = AlignedVec::from_elem(3u32, len);
        assert!(e.iter().all(|&v| v == 3));
    }
}
