//! Sample ids held compactly: every id once, one after another in one
//! buffer, found through a table of positions hashed by the ids they point
//! at. A run meets every id of its dataset, so what each one costs is what
//! a long run's memory grows by: here about 20 bytes plus the id's text.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Ids numbered from 0 in the order they were added.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdTable {
    text: String,
    /// Where each id ends in `text`; id `i` starts where `i - 1` ends.
    ends: Vec<u32>,
    /// Positions, hashed by id.
    index: HashTable<u32>,
    hasher: std::hash::RandomState,
}

impl IdTable {
    /// Room for `ids` more ids of `bytes` in all, so a table whose size is
    /// known up front grows in one step and leaves no freed copies behind.
    pub fn reserve(&mut self, ids: usize, bytes: usize) {
        self.text.reserve(bytes);
        self.ends.reserve(ids);
        let IdTable {
            index,
            text,
            ends,
            hasher,
        } = self;
        index.reserve(ids, |&other| hasher.hash_one(id_at(text, ends, other)));
    }

    /// The id at `position`.
    pub fn get(&self, position: u32) -> &str {
        id_at(&self.text, &self.ends, position)
    }

    /// The position of `id`, if it was added.
    pub fn find(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.index.find(hash, |&at| self.get(at) == id).copied()
    }

    /// The position of `id`, and whether it was new.
    pub fn add(&mut self, id: &str) -> (u32, bool) {
        if let Some(at) = self.find(id) {
            return (at, false);
        }
        let at = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        self.text.push_str(id);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        let hash = self.hasher.hash_one(id);
        let IdTable {
            index,
            text,
            ends,
            hasher,
        } = self;
        index.insert_unique(hash, at, |&other| hasher.hash_one(id_at(text, ends, other)));
        (at, true)
    }
}

/// Id `position` of `text`, whose ids end at `ends`. A free function, so
/// the table's rehashing can call it while the table itself is borrowed.
fn id_at<'a>(text: &'a str, ends: &[u32], position: u32) -> &'a str {
    let i = position as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &text[start..ends[i] as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_by_text_and_position() {
        let mut ids = IdTable::default();
        let names: Vec<String> = (0..5000).map(|i| format!("s{i}")).collect();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(ids.add(name), (i as u32, true));
        }
        assert_eq!(ids.add(""), (5000, true), "an empty id is an id");
        assert_eq!(ids.add("s42"), (42, false));
        for (i, name) in names.iter().enumerate() {
            assert_eq!(ids.find(name), Some(i as u32));
            assert_eq!(ids.get(i as u32), name);
        }
        assert_eq!(ids.find(""), Some(5000));
        assert_eq!(ids.find("s5000"), None);
    }
}
