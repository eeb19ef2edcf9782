//! `AlignedVec` against `Vec` as a model: random sequences of the mutating operations must
//! leave both with the same contents, and the aligned one always 64-byte aligned with
//! `capacity >= len`.

use proptest::prelude::*;
use zero_copy_pool::{AlignedVec, TryReserveError, ALIGN};

#[derive(Debug, Clone)]
enum Op<T> {
    Push(T),
    Pop,
    Extend(Vec<T>),
    Resize(usize, T),
    ResizeZeroed(usize),
    Truncate(usize),
    Clear,
    Reserve(usize),
    TryReserve(usize),
    CloneFrom,
    Set(usize, T),
}

fn ops<T: Arbitrary + Clone + 'static>() -> impl Strategy<Value = Vec<Op<T>>> {
    let op = prop_oneof![
        4 => any::<T>().prop_map(Op::Push),
        1 => Just(Op::Pop),
        3 => prop::collection::vec(any::<T>(), 0..100).prop_map(Op::Extend),
        2 => (0usize..300, any::<T>()).prop_map(|(n, v)| Op::Resize(n, v)),
        1 => (0usize..300).prop_map(Op::ResizeZeroed),
        1 => (0usize..300).prop_map(Op::Truncate),
        1 => Just(Op::Clear),
        1 => (0usize..1000).prop_map(Op::Reserve),
        1 => prop_oneof![Just(usize::MAX), Just(usize::MAX / 2), 0usize..1000].prop_map(Op::TryReserve),
        1 => Just(Op::CloneFrom),
        1 => (any::<usize>(), any::<T>()).prop_map(|(i, v)| Op::Set(i, v)),
    ];
    prop::collection::vec(op, 0..60)
}

fn check<T>(ops: Vec<Op<T>>)
where
    T: Copy + PartialEq + std::fmt::Debug + Default + zero_copy_pool::Zeroable,
{
    let mut model: Vec<T> = Vec::new();
    let mut ours: AlignedVec<T> = AlignedVec::new();
    for op in ops {
        let before_cap = ours.capacity();
        match op.clone() {
            Op::Push(v) => {
                model.push(v);
                ours.push(v);
            }
            Op::Pop => assert_eq!(ours.pop(), model.pop()),
            Op::Extend(vs) => {
                model.extend_from_slice(&vs);
                ours.extend_from_slice(&vs);
            }
            Op::Resize(n, v) => {
                model.resize(n, v);
                ours.resize(n, v);
            }
            Op::ResizeZeroed(n) => {
                // All-zero bytes are `T::default()` for the primitive types tested here.
                model.resize(n, T::default());
                ours.resize_zeroed(n);
            }
            Op::Truncate(n) => {
                model.truncate(n);
                ours.truncate(n);
                assert_eq!(ours.capacity(), before_cap, "truncate must keep capacity");
            }
            Op::Clear => {
                model.clear();
                ours.clear();
                assert_eq!(ours.capacity(), before_cap, "clear must keep capacity");
            }
            Op::Reserve(n) => {
                ours.reserve(n);
                assert!(ours.capacity() >= ours.len() + n);
            }
            Op::TryReserve(n) => {
                let fits = ours
                    .len()
                    .checked_add(n)
                    .and_then(|total| total.checked_mul(std::mem::size_of::<T>()))
                    .is_some_and(|bytes| bytes <= isize::MAX as usize - ALIGN);
                match ours.try_reserve(n) {
                    Ok(()) => assert!(ours.capacity() >= ours.len() + n),
                    Err(TryReserveError::CapacityOverflow) => {
                        assert!(!fits, "reserve of {n} wrongly overflowed");
                        assert_eq!(
                            ours.capacity(),
                            before_cap,
                            "failed reserve changed capacity"
                        );
                    }
                    Err(e @ TryReserveError::AllocError { .. }) => {
                        assert!(n > 1 << 40, "allocation of {n} elements failed: {e}")
                    }
                }
            }
            Op::CloneFrom => {
                let copy = ours.clone();
                assert_eq!(copy, ours);
                assert_eq!(copy.as_ptr() as usize % ALIGN, 0);
                ours.clone_from(&copy);
            }
            Op::Set(i, v) => {
                if !model.is_empty() {
                    let i = i % model.len();
                    model[i] = v;
                    ours[i] = v;
                }
            }
        }
        assert_eq!(&ours[..], &model[..], "after {op:?}");
        assert_eq!(ours.len(), model.len());
        assert!(ours.capacity() >= ours.len());
        assert_eq!(
            ours.as_ptr() as usize % ALIGN,
            0,
            "misaligned after {op:?}: {:p}",
            ours.as_ptr()
        );
    }
    let rebuilt: AlignedVec<T> = model.iter().copied().collect();
    assert_eq!(rebuilt, ours);
    assert_eq!(AlignedVec::from(model.as_slice()), ours);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn matches_vec_u8(ops in ops::<u8>()) {
        check(ops);
    }

    #[test]
    fn matches_vec_u32(ops in ops::<u32>()) {
        check(ops);
    }

    #[test]
    fn matches_vec_u64(ops in ops::<u64>()) {
        check(ops);
    }
}
