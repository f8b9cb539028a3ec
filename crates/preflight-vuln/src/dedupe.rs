//! De-duplication: records that share any alias (by [`Alias::key`]) are one
//! vulnerability. Union-find over the records, keyed by alias, so a batch
//! of n records with k aliases merges in O(k α(n)).

use crate::Assessment;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// The result of [`merge`]: one assessment per vulnerability, in the order
/// each vulnerability was first seen, and what merged.
#[derive(Clone, Debug)]
pub struct Merged {
    pub assessments: Vec<Assessment>,
    pub report: MergeReport,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeReport {
    /// Every output assessment built from more than one input record.
    pub groups: Vec<MergeGroup>,
}

impl MergeReport {
    /// How many input records were folded into another.
    pub fn absorbed(&self) -> usize {
        self.groups.iter().map(|g| g.members.len() - 1).sum()
    }
}

/// One merged assessment: its id, the ids and input positions of the
/// records it was built from, and the alias keys they shared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeGroup {
    /// The merged assessment's id.
    pub id: String,
    /// Index of the merged assessment in [`Merged::assessments`].
    pub output: usize,
    /// `(input index, input id)` of each record merged, in input order.
    pub members: Vec<(usize, String)>,
    /// Alias keys found in more than one member: why they merged.
    pub shared: Vec<String>,
}

struct UnionFind {
    parent: Vec<usize>,
    rank: Vec<u8>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            rank: vec![0; n],
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        match self.rank[a].cmp(&self.rank[b]) {
            std::cmp::Ordering::Less => self.parent[a] = b,
            std::cmp::Ordering::Greater => self.parent[b] = a,
            std::cmp::Ordering::Equal => {
                self.parent[b] = a;
                self.rank[a] += 1;
            }
        }
    }
}

/// Merges records that share an alias, transitively (A~B and B~C make one
/// of A, B, C). Each merged assessment keeps every source and the union of
/// the data; see [`Assessment::absorb`].
pub fn merge(records: impl IntoIterator<Item = Assessment>) -> Merged {
    let records: Vec<Assessment> = records.into_iter().collect();
    let mut uf = UnionFind::new(records.len());
    let mut first_with_key: HashMap<String, usize> = HashMap::with_capacity(records.len() * 2);
    let mut keys_of: Vec<Vec<String>> = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let keys: Vec<String> = r.aliases.iter().map(|a| a.key()).collect();
        for key in &keys {
            match first_with_key.get(key) {
                Some(&j) => uf.union(i, j),
                None => {
                    first_with_key.insert(key.clone(), i);
                }
            }
        }
        keys_of.push(keys);
    }
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in 0..records.len() {
        let root = uf.find(i);
        let g = *group_of_root.entry(root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    let mut slots: Vec<Option<Assessment>> = records.into_iter().map(Some).collect();
    let mut assessments = Vec::with_capacity(groups.len());
    let mut report = MergeReport::default();
    for (output, members) in groups.into_iter().enumerate() {
        let mut taken = members
            .iter()
            .filter_map(|&i| slots[i].take().map(|a| (i, a)));
        let Some((_, mut merged)) = taken.next() else {
            continue;
        };
        let mut member_ids = vec![(members[0], merged.id.clone())];
        for (i, other) in taken {
            member_ids.push((i, other.id.clone()));
            merged.absorb(other);
        }
        if member_ids.len() > 1 {
            let mut seen = BTreeSet::new();
            let mut shared = BTreeSet::new();
            for &i in &members {
                for key in &keys_of[i] {
                    if !seen.insert(key.as_str()) {
                        shared.insert(key.clone());
                    }
                }
            }
            report.groups.push(MergeGroup {
                id: merged.id.clone(),
                output,
                members: member_ids,
                shared: shared.into_iter().collect(),
            });
        }
        assessments.push(merged);
    }
    Merged {
        assessments,
        report,
    }
}

impl Assessment {
    /// Folds `other` (the same vulnerability) into `self`: every source is
    /// kept, aliases, products, scores, CWEs, taxonomies, references and
    /// credits are united, the stricter TLP label wins, the earliest
    /// publication and the latest modification are kept, and case flags
    /// are united. `self`'s title and report/embargo state stay.
    pub fn absorb(&mut self, other: Assessment) {
        let offset = self.sources.len();
        self.sources.extend(other.sources);
        self.aliases.extend(other.aliases);
        self.refresh_id();
        if self.title.is_none() {
            self.title = other.title;
        }
        for t in other.descriptions {
            self.push_description(&t.text, t.from + offset);
        }
        for mut p in other.products {
            p.from += offset;
            self.push_product(p);
        }
        self.cwes.extend(other.cwes);
        for s in other.scores {
            self.push_score(s.cvss, s.from + offset);
        }
        self.ai.atlas.extend(other.ai.atlas);
        self.ai.owasp_llm.extend(other.ai.owasp_llm);
        for r in other.references {
            self.push_reference(&r.url, r.kind);
        }
        for c in other.credits {
            if !self.credits.contains(&c) {
                self.credits.push(c);
            }
        }
        self.tlp = self.tlp.max(other.tlp);
        self.published = match (self.published, other.published) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.modified = self.modified.max(other.modified);
        self.coordination.flags = self.coordination.flags.union(other.coordination.flags);
    }
}
