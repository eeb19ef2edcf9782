//! Streaming features of many series at once (one per symbol), ticks arriving interleaved.

use super::bars::{Bar, Bars};
use super::config::FeatureConfig;
use super::streaming::RollingFeatures;
use crate::error::Result;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// One [`RollingFeatures`] state per key: `update(key, price)` feeds that key's series only.
///
/// A key's state is created on its first tick (that tick allocates); every later tick of a
/// known key is one hash lookup and the O(1) update, allocating nothing. Keys are looked up
/// by reference (`&str` for `String` keys), so a tick never has to build an owned key.
///
/// ```
/// use ml_pipeline::features::{FeatureConfig, KeyedRollingFeatures};
///
/// let mut f = KeyedRollingFeatures::<String>::new(FeatureConfig::with_window(8)).unwrap();
/// for t in 0..100 {
///     let x = t as f64 * 0.3;
///     f.update("AAPL", 180.0 + x.sin());
///     if let Some(row) = f.update("MSFT", 410.0 + x.cos()) {
///         assert_eq!(row.len(), f.names().len());
///     }
/// }
/// assert_eq!(f.get("AAPL").unwrap().ticks(), 100);
/// ```
#[derive(Clone, Debug)]
pub struct KeyedRollingFeatures<K> {
    cfg: FeatureConfig,
    names: Vec<String>,
    /// Position of each key's state in `states`: an index, not a reference, so the lookup's
    /// borrow ends before a missing key is inserted.
    index: HashMap<K, usize>,
    states: Vec<RollingFeatures>,
}

impl<K: Hash + Eq> KeyedRollingFeatures<K> {
    /// An empty set of states, each to be built with `cfg`.
    ///
    /// # Errors
    /// [`PipelineError::InvalidSetting`](crate::PipelineError::InvalidSetting) when the
    /// configuration does not validate.
    pub fn new(cfg: FeatureConfig) -> Result<Self> {
        cfg.validate()?;
        Ok(KeyedRollingFeatures {
            names: cfg.names(),
            cfg,
            index: HashMap::new(),
            states: Vec::new(),
        })
    }

    /// The configuration every state is built with.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// Column names of the rows returned by [`update`](Self::update).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of keys seen.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// No key seen yet.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The keys seen (in no particular order).
    pub fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.index.keys()
    }

    /// The state of `key`, if it has had a tick.
    pub fn get<Q>(&self, key: &Q) -> Option<&RollingFeatures>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.index.get(key).map(|&i| &self.states[i])
    }

    /// Sets `key`'s state to the one reached after `history` ([`RollingFeatures::primed`]),
    /// replacing any state it had: a restart from stored prices without replaying them all.
    ///
    /// # Panics
    /// If the configuration reads bar inputs besides the close (use
    /// [`prime_bars`](Self::prime_bars)).
    pub fn prime(&mut self, key: K, history: &[f64]) {
        let f = RollingFeatures::primed(self.cfg.clone(), history)
            .expect("a configuration validated in new, reading the close alone");
        self.set_state(key, f);
    }

    fn set_state(&mut self, key: K, f: RollingFeatures) {
        match self.index.get(&key) {
            Some(&i) => self.states[i] = f,
            None => {
                self.index.insert(key, self.states.len());
                self.states.push(f);
            }
        }
    }

    /// [`prime`](Self::prime) from a history of bars ([`RollingFeatures::primed_bars`]).
    ///
    /// # Errors
    /// When `history` lacks a column the configuration reads or its columns differ in length.
    pub fn prime_bars(&mut self, key: K, history: &Bars<'_>) -> Result<()> {
        let f = RollingFeatures::primed_bars(self.cfg.clone(), history)?;
        self.set_state(key, f);
        Ok(())
    }

    /// Feeds one bar of `key`'s series and returns its feature row once that series is
    /// warmed up ([`RollingFeatures::update_bar`]), `None` before.
    #[inline]
    pub fn update_bar<Q>(&mut self, key: &Q, bar: &Bar) -> Option<&[f64]>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let i = self.slot(key);
        self.states[i].update_bar(bar)
    }

    /// [`update_bar`](Self::update_bar) whatever the warm-up state, NaN where a feature is not
    /// yet defined: the rows of
    /// [`extract_bar_features_grouped`](super::extract_bar_features_grouped).
    #[inline]
    pub fn update_bar_row<Q>(&mut self, key: &Q, bar: &Bar) -> &[f64]
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let i = self.slot(key);
        self.states[i].push_bar(bar)
    }

    /// Feeds one price of `key`'s series and returns its feature row once that series is
    /// warmed up ([`RollingFeatures::update`]), `None` before.
    #[inline]
    pub fn update<Q>(&mut self, key: &Q, price: f64) -> Option<&[f64]>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let i = self.slot(key);
        self.states[i].update(price)
    }

    /// Feeds one price of `key`'s series and returns its row whatever the warm-up state,
    /// NaN where a feature is not yet defined: the rows of
    /// [`extract_features_grouped`](super::extract_features_grouped).
    #[inline]
    pub fn update_row<Q>(&mut self, key: &Q, price: f64) -> &[f64]
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let i = self.slot(key);
        self.states[i].push(price)
    }

    /// Forgets `key` (a delisted symbol) and returns its state. Later keys keep their
    /// states; the last state moves into the freed place.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<RollingFeatures>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.index.remove(key)?;
        let last = self.states.len() - 1;
        if i != last {
            if let Some(moved) = self.index.values_mut().find(|v| **v == last) {
                *moved = i;
            }
        }
        Some(self.states.swap_remove(i))
    }

    #[inline]
    fn slot<Q>(&mut self, key: &Q) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.index.get(key) {
            Some(&i) => i,
            None => self.insert(key.to_owned()),
        }
    }

    #[cold]
    #[inline(never)]
    fn insert(&mut self, key: K) -> usize {
        let i = self.states.len();
        let f = RollingFeatures::starting_at(self.cfg.clone(), 0).expect("validated in new");
        self.states.push(f);
        self.index.insert(key, i);
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_keeps_the_other_states() {
        let mut f = KeyedRollingFeatures::<u32>::new(FeatureConfig::with_window(4)).unwrap();
        for t in 0..10 {
            for k in 0..3u32 {
                if t <= k as usize * 3 {
                    f.update(&k, 100.0 + t as f64);
                }
            }
        }
        let ticks = |f: &KeyedRollingFeatures<u32>, k| f.get(&k).map(RollingFeatures::ticks);
        assert_eq!(
            (ticks(&f, 0), ticks(&f, 1), ticks(&f, 2)),
            (Some(1), Some(4), Some(7))
        );
        assert_eq!(f.remove(&0).map(|s| s.ticks()), Some(1));
        assert_eq!(
            (ticks(&f, 0), ticks(&f, 1), ticks(&f, 2)),
            (None, Some(4), Some(7))
        );
        assert_eq!(f.len(), 2);
        f.update(&0, 1.0);
        assert_eq!(ticks(&f, 0), Some(1));
    }
}
