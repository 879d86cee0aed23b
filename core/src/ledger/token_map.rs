//! Values per token symbol: a wallet's balances, the funds at its address and its holds.
//!
//! A wallet holds one to a few tokens, so a sorted vector with the symbols stored inline beats a
//! `BTreeMap<String, _>`: one allocation per wallet instead of a node plus a string per token,
//! and a lookup reads one cache line. With a million wallets in the books, that is the difference
//! between one and three cache misses on a transfer's receiver.

use compact_str::CompactString;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;
use std::fmt;
use std::marker::PhantomData;

/// Values by token symbol, in symbol order; serialized as a JSON object like a `BTreeMap`.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenMap<V>(SmallVec<[(CompactString, V); 1]>);

impl<V> Default for TokenMap<V> {
    fn default() -> Self {
        TokenMap(SmallVec::new_const())
    }
}

impl<V: fmt::Debug> fmt::Debug for TokenMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V> TokenMap<V> {
    /// An empty map.
    pub const fn new() -> Self {
        TokenMap(SmallVec::new_const())
    }

    fn find(&self, token: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(t, _)| t.as_str().cmp(token))
    }

    /// The value of a token.
    pub fn get(&self, token: &str) -> Option<&V> {
        self.find(token).ok().map(|i| &self.0[i].1)
    }

    /// The value of a token, to change it.
    pub fn get_mut(&mut self, token: &str) -> Option<&mut V> {
        self.find(token).ok().map(|i| &mut self.0[i].1)
    }

    /// The value of a token, set to its default first when the token has none.
    pub fn slot(&mut self, token: &str) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(token) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (CompactString::from(token), V::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Sets a token's value; returns the one it replaces.
    pub fn insert(&mut self, token: &str, value: V) -> Option<V> {
        match self.find(token) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (CompactString::from(token), value));
                None
            }
        }
    }

    /// Removes a token; returns its value.
    pub fn remove(&mut self, token: &str) -> Option<V> {
        self.find(token).ok().map(|i| self.0.remove(i).1)
    }

    /// Whether the token has a value.
    pub fn contains_key(&self, token: &str) -> bool {
        self.find(token).is_ok()
    }

    /// Tokens and values, in symbol order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &V)> + ExactSizeIterator {
        self.0.iter().map(|(t, v)| (t.as_str(), v))
    }

    /// Tokens, in symbol order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.0.iter().map(|(t, _)| t.as_str())
    }

    /// Values, in symbol order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no token has a value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes every token.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Keeps the tokens for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        self.0.retain(|(t, v)| keep(t.as_str(), v));
    }
}

impl<'a, V> IntoIterator for &'a TokenMap<V> {
    type Item = (&'a str, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (CompactString, V)>,
        fn(&'a (CompactString, V)) -> (&'a str, &'a V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(t, v)| (t.as_str(), v))
    }
}

impl<K: AsRef<str>, V> FromIterator<(K, V)> for TokenMap<V> {
    /// Later values of a repeated token replace earlier ones, as in a map.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = TokenMap::new();
        for (k, v) in iter {
            map.insert(k.as_ref(), v);
        }
        map
    }
}

impl<V: Serialize> Serialize for TokenMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for TokenMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = TokenMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of values by token symbol")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut map = TokenMap::new();
                while let Some((token, value)) = access.next_entry::<CompactString, V>()? {
                    map.insert(&token, value);
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn keeps_symbol_order_and_serializes_as_a_btreemap_does() {
        let mut m = TokenMap::new();
        for (t, v) in [("USDT", 1), ("ETH", 2), ("USDC", 3), ("ETH", 4)] {
            m.insert(t, v);
        }
        *m.slot("BNB") += 5;
        *m.slot("USDT") += 10;
        let reference: BTreeMap<&str, i32> =
            [("USDT", 11), ("ETH", 4), ("USDC", 3), ("BNB", 5)].into();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["BNB", "ETH", "USDC", "USDT"]);
        let json = serde_json::to_string(&m).expect("serializes");
        assert_eq!(json, serde_json::to_string(&reference).expect("serializes"));
        let back: TokenMap<i32> = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, m);
        assert_eq!(m.remove("ETH"), Some(4));
        assert_eq!(m.get("ETH"), None);
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn a_repeated_symbol_in_stored_json_keeps_the_last_value() {
        let m: TokenMap<i32> =
            serde_json::from_str(r#"{"USDT":1,"ETH":2,"USDT":3}"#).expect("parses");
        assert_eq!(m.iter().collect::<Vec<_>>(), [("ETH", &2), ("USDT", &3)]);
    }
}
