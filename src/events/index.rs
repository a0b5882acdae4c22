//! The subscription index: a trie over pattern segments that answers "which subscribers want
//! this event type" by walking only the branches the type can reach, instead of testing every
//! subscription.

use std::collections::{BTreeMap, BTreeSet};

use super::types::{EventType, Pattern, PatternSegment};

/// One trie node. A subscriber of pattern `a/?/*` is stored in the `rest` set of the node
/// reached by `a` then `?`.
#[derive(Debug, Clone)]
struct Node<T> {
    exact: BTreeMap<String, Node<T>>,
    any: Option<Box<Node<T>>>,
    /// Subscribers whose pattern ends here with `*`: they match this node and everything below.
    rest: BTreeSet<T>,
    /// Subscribers whose pattern ends exactly at this node.
    here: BTreeSet<T>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Self {
            exact: BTreeMap::new(),
            any: None,
            rest: BTreeSet::new(),
            here: BTreeSet::new(),
        }
    }
}

impl<T: Clone + Ord> Node<T> {
    fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.any.is_none() && self.rest.is_empty() && self.here.is_empty()
    }

    fn collect<'a>(&'a self, segments: &[&str], out: &mut BTreeSet<&'a T>) {
        out.extend(self.rest.iter());
        let Some((first, remaining)) = segments.split_first() else {
            out.extend(self.here.iter());
            return;
        };
        if let Some(child) = self.exact.get(*first) {
            child.collect(remaining, out);
        }
        if let Some(child) = &self.any {
            child.collect(remaining, out);
        }
    }

    /// Insert below this node; true if the (pattern, subscriber) pair was new.
    fn insert(&mut self, segments: &[PatternSegment], subscriber: T) -> bool {
        match segments.split_first() {
            None => self.here.insert(subscriber),
            Some((PatternSegment::Rest, _)) => self.rest.insert(subscriber),
            Some((PatternSegment::Any, remaining)) => self
                .any
                .get_or_insert_with(Box::default)
                .insert(remaining, subscriber),
            Some((PatternSegment::Exact(text), remaining)) => self
                .exact
                .entry(text.clone())
                .or_default()
                .insert(remaining, subscriber),
        }
    }

    /// Remove below this node, pruning branches left empty; true if the pair existed.
    fn remove(&mut self, segments: &[PatternSegment], subscriber: &T) -> bool {
        match segments.split_first() {
            None => self.here.remove(subscriber),
            Some((PatternSegment::Rest, _)) => self.rest.remove(subscriber),
            Some((PatternSegment::Any, remaining)) => {
                let Some(child) = self.any.as_mut() else {
                    return false;
                };
                let removed = child.remove(remaining, subscriber);
                if child.is_empty() {
                    self.any = None;
                }
                removed
            }
            Some((PatternSegment::Exact(text), remaining)) => {
                let Some(child) = self.exact.get_mut(text) else {
                    return false;
                };
                let removed = child.remove(remaining, subscriber);
                if child.is_empty() {
                    self.exact.remove(text);
                }
                removed
            }
        }
    }

    /// Remove a subscriber from every pattern; returns how many pairs were removed.
    fn remove_everywhere(&mut self, subscriber: &T) -> usize {
        let mut removed = usize::from(self.here.remove(subscriber));
        removed += usize::from(self.rest.remove(subscriber));
        if let Some(child) = self.any.as_mut() {
            removed += child.remove_everywhere(subscriber);
            if child.is_empty() {
                self.any = None;
            }
        }
        self.exact.retain(|_, child| {
            removed += child.remove_everywhere(subscriber);
            !child.is_empty()
        });
        removed
    }
}

/// Maps patterns to subscribers (channel ids, rule modules, live sockets) and finds the
/// subscribers of an event type. Results are deduplicated and sorted by `T`'s order.
#[derive(Debug, Clone)]
pub struct SubscriptionIndex<T> {
    root: Node<T>,
    pairs: usize,
}

impl<T> Default for SubscriptionIndex<T> {
    fn default() -> Self {
        Self {
            root: Node::default(),
            pairs: 0,
        }
    }
}

impl<T: Clone + Ord> SubscriptionIndex<T> {
    /// An index with no subscriptions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribe `subscriber` to `pattern`. Returns false if it was already subscribed to it.
    pub fn insert(&mut self, pattern: Pattern, subscriber: T) -> bool {
        let added = self.root.insert(pattern.segments(), subscriber);
        self.pairs += usize::from(added);
        added
    }

    /// Unsubscribe `subscriber` from `pattern`. Returns false if it was not subscribed to it.
    pub fn remove(&mut self, pattern: &Pattern, subscriber: &T) -> bool {
        let removed = self.root.remove(pattern.segments(), subscriber);
        self.pairs -= usize::from(removed);
        removed
    }

    /// Drop every subscription of `subscriber` (a deleted channel, a closed socket). Returns
    /// how many (pattern, subscriber) pairs were removed.
    pub fn remove_subscriber(&mut self, subscriber: &T) -> usize {
        let removed = self.root.remove_everywhere(subscriber);
        self.pairs -= removed;
        removed
    }

    /// Number of (pattern, subscriber) pairs.
    pub fn len(&self) -> usize {
        self.pairs
    }

    /// True when nobody is subscribed to anything.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    /// Every subscriber with at least one pattern matching `event_type`, each once, in order.
    pub fn matching(&self, event_type: &EventType) -> Vec<T> {
        let segments: Vec<&str> = event_type.segments().collect();
        let mut found = BTreeSet::new();
        self.root.collect(&segments, &mut found);
        found.into_iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(text: &str) -> Pattern {
        Pattern::parse(text).unwrap()
    }

    fn t(text: &str) -> EventType {
        EventType::parse(text).unwrap()
    }

    /// Matching cases in the spirit of hat.event's table, each checked through the index.
    #[test]
    fn matching_table() {
        let cases = [
            ("a", "a", true),
            ("a", "*", true),
            ("a", "?", true),
            ("a", "?/*", true),
            ("a", "a/*", true),
            ("a", "?/?", false),
            ("a", "a/?", false),
            ("a", "a/b", false),
            ("a", "b", false),
            ("a/b", "a/b", true),
            ("a/b", "a/*", true),
            ("a/b", "?/b", true),
            ("a/b", "?/?", true),
            ("a/b", "?/*", true),
            ("a/b", "*", true),
            ("a/b", "a", false),
            ("a/b", "?", false),
            ("a/b", "a/b/*", true),
            ("a/b", "a/b/?", false),
            ("a/b/c", "a/?/c", true),
            ("a/b/c", "a/?/d", false),
            ("a/b/c", "?/b/*", true),
            ("a/b/c", "?/c/*", false),
            ("a/b/c", "?/?/?/*", true),
            ("a/b/c", "?/?/?/?/*", false),
            ("main/player/join", "?/player/*", true),
            ("main/staff/join", "?/player/*", false),
            ("main/modcall/new", "main/*", true),
            ("side/modcall/new", "main/*", false),
        ];
        for (ty, pattern, want) in cases {
            let mut index = SubscriptionIndex::new();
            index.insert(p(pattern), 1u8);
            let got = !index.matching(&t(ty)).is_empty();
            assert_eq!(got, want, "{pattern} vs {ty}");
            assert_eq!(
                p(pattern).matches(&t(ty)),
                want,
                "matcher {pattern} vs {ty}"
            );
        }
    }

    #[test]
    fn deduplicates_and_sorts() {
        let mut index = SubscriptionIndex::new();
        assert!(index.insert(p("main/*"), 7u64));
        assert!(index.insert(p("?/player/join"), 7));
        assert!(index.insert(p("main/player/join"), 3));
        assert!(!index.insert(p("main/*"), 7));
        assert_eq!(index.len(), 3);
        assert_eq!(index.matching(&t("main/player/join")), vec![3, 7]);
        assert_eq!(index.matching(&t("side/player/join")), vec![7]);
        assert!(index.matching(&t("side/kill")).is_empty());
    }

    #[test]
    fn remove_and_remove_subscriber_prune() {
        let mut index = SubscriptionIndex::new();
        index.insert(p("main/*"), 1u32);
        index.insert(p("?/kill"), 1);
        index.insert(p("?/kill"), 2);
        assert!(!index.remove(&p("main/kill"), &1));
        assert!(index.remove(&p("?/kill"), &2));
        assert!(!index.remove(&p("?/kill"), &2));
        assert_eq!(index.matching(&t("side/kill")), vec![1]);
        assert_eq!(index.remove_subscriber(&1), 2);
        assert!(index.is_empty());
        assert!(index.root.is_empty(), "empty branches are pruned");
    }

    fn segment() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_owned)
    }

    fn event_type() -> impl Strategy<Value = EventType> {
        prop::collection::vec(segment(), 1..4).prop_map(|s| EventType::from_segments(&s).unwrap())
    }

    fn pattern() -> impl Strategy<Value = Pattern> {
        let part = prop::sample::select(vec!["a", "b", "c", "?"]).prop_map(str::to_owned);
        (prop::collection::vec(part, 0..4), any::<bool>()).prop_filter_map(
            "a pattern needs at least one part",
            |(mut parts, star)| {
                if star || parts.is_empty() {
                    parts.push("*".to_owned());
                }
                Pattern::parse(&parts.join("/")).ok()
            },
        )
    }

    fn brute_force(subs: &[(Pattern, u8)], ty: &EventType) -> Vec<u8> {
        let found: BTreeSet<u8> = subs
            .iter()
            .filter(|(pattern, _)| pattern.matches(ty))
            .map(|(_, s)| *s)
            .collect();
        found.into_iter().collect()
    }

    proptest! {
        #[test]
        fn trie_agrees_with_brute_force(
            subs in prop::collection::vec((pattern(), 0u8..6), 0..24),
            removals in prop::collection::vec(0usize..24, 0..8),
            dropped in prop::option::of(0u8..6),
            types in prop::collection::vec(event_type(), 1..12),
        ) {
            let mut index = SubscriptionIndex::new();
            let mut list: Vec<(Pattern, u8)> = Vec::new();
            for (pattern, sub) in &subs {
                let fresh = !list.contains(&(pattern.clone(), *sub));
                prop_assert_eq!(index.insert(pattern.clone(), *sub), fresh);
                if fresh {
                    list.push((pattern.clone(), *sub));
                }
            }
            for ty in &types {
                prop_assert_eq!(index.matching(ty), brute_force(&list, ty));
            }
            for position in removals {
                if let Some((pattern, sub)) = subs.get(position) {
                    let existed = list.contains(&(pattern.clone(), *sub));
                    prop_assert_eq!(index.remove(pattern, sub), existed);
                    list.retain(|pair| pair != &(pattern.clone(), *sub));
                }
            }
            if let Some(sub) = dropped {
                let before = list.len();
                list.retain(|(_, s)| *s != sub);
                prop_assert_eq!(index.remove_subscriber(&sub), before - list.len());
            }
            prop_assert_eq!(index.len(), list.len());
            for ty in &types {
                prop_assert_eq!(index.matching(ty), brute_force(&list, ty));
            }
        }
    }
}
