//! Folding a merged batch into what is stored, as plain data: which batch
//! assessments and stored assessments are one vulnerability (they share an
//! alias, directly or through each other), and what to create, update and
//! retire. No SQL here; `import.rs` reads and writes around it.

use super::report::StoredMerge;
use preflight_vuln::{Assessment, Source};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// The alias keys of `a`, each once.
pub(super) fn keys(a: &Assessment) -> BTreeSet<String> {
    a.aliases.iter().map(|alias| alias.key()).collect()
}

/// One vulnerability: batch assessments (by position) and the stored
/// assessments they reach through shared aliases.
#[derive(Debug)]
pub(super) struct Component {
    pub incoming: Vec<usize>,
    /// Oldest first (ids are UUIDv7); the first one keeps the result.
    pub stored: Vec<Uuid>,
}

/// Groups the batch with the stored assessments it touches. `found` maps
/// each alias key of the batch that is stored to its owner. Components
/// come in the order of their first batch assessment.
pub(super) fn components(
    incoming_keys: &[BTreeSet<String>],
    found: &HashMap<String, Uuid>,
) -> Vec<Component> {
    let n = incoming_keys.len();
    // Sorted, so each component lists its stored ids oldest first.
    let stored_ids: Vec<Uuid> = found
        .values()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let node_of_stored: HashMap<Uuid, usize> = stored_ids
        .iter()
        .enumerate()
        .map(|(j, id)| (*id, n + j))
        .collect();
    let mut parent: Vec<usize> = (0..n + stored_ids.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (i, keys) in incoming_keys.iter().enumerate() {
        for key in keys {
            if let Some(node) = found.get(key).and_then(|id| node_of_stored.get(id)) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, *node));
                // The lower node is the root: a component's root is its
                // first batch assessment.
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut index_of_root: HashMap<usize, usize> = HashMap::new();
    let mut out: Vec<Component> = Vec::new();
    for node in 0..parent.len() {
        let root = find(&mut parent, node);
        let c = *index_of_root.entry(root).or_insert_with(|| {
            out.push(Component {
                incoming: Vec::new(),
                stored: Vec::new(),
            });
            out.len() - 1
        });
        if node < n {
            out[c].incoming.push(node);
        } else {
            out[c].stored.push(stored_ids[node - n]);
        }
    }
    out
}

/// A stored assessment as read for the import.
#[derive(Debug)]
pub(super) struct StoredRow {
    pub assessment: Assessment,
    pub row_version: i64,
}

#[derive(Debug)]
pub(super) struct Update {
    pub id: Uuid,
    pub row_version: i64,
    pub assessment: Assessment,
    /// Alias keys not yet stored for any assessment of the component.
    pub new_keys: Vec<String>,
}

#[derive(Debug)]
pub(super) struct Retire {
    pub id: Uuid,
    pub row_version: i64,
    pub into: Uuid,
}

/// What the import writes.
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub creates: Vec<(Uuid, Assessment)>,
    pub updates: Vec<Update>,
    pub retires: Vec<Retire>,
    pub merged_into_existing: usize,
    pub unchanged: usize,
    pub stored_groups: Vec<StoredMerge>,
}

/// Builds the plan. `stored` holds every stored assessment the components
/// name (a missing one is returned as the error); `new_id` makes ids for
/// new assessments.
pub(super) fn plan(
    incoming: Vec<Assessment>,
    components: Vec<Component>,
    mut stored: HashMap<Uuid, StoredRow>,
    mut new_id: impl FnMut() -> Uuid,
) -> Result<Plan, Uuid> {
    let mut slots: Vec<Option<Assessment>> = incoming.into_iter().map(Some).collect();
    let mut plan = Plan::default();
    for c in components {
        let mut batch = c.incoming.iter().filter_map(|&i| slots[i].take());
        let Some(&primary) = c.stored.first() else {
            // Nothing stored: the batch merge already made it one record.
            if let Some(mut a) = batch.next() {
                dedupe_sources(&mut a);
                plan.creates.push((new_id(), a));
            }
            continue;
        };
        let mut stored_keys = BTreeSet::new();
        let mut rows = Vec::with_capacity(c.stored.len());
        for id in &c.stored {
            let row = stored.remove(id).ok_or(*id)?;
            stored_keys.extend(keys(&row.assessment));
            rows.push((*id, row));
        }
        let mut rows = rows.into_iter();
        let Some((_, first)) = rows.next() else {
            continue;
        };
        let original = first.assessment;
        let mut merged = original.clone();
        let mut absorbed = Vec::new();
        for (id, row) in rows {
            absorbed.push((id, row.assessment.id.clone()));
            plan.retires.push(Retire {
                id,
                row_version: row.row_version,
                into: primary,
            });
            merged.absorb(row.assessment);
        }
        let mut incoming_ids = Vec::new();
        let mut shared = BTreeSet::new();
        for a in batch {
            incoming_ids.push(a.id.clone());
            shared.extend(keys(&a).intersection(&stored_keys).cloned());
            merged.absorb(a);
        }
        dedupe_sources(&mut merged);
        if absorbed.is_empty() && merged == original {
            plan.unchanged += incoming_ids.len();
            continue;
        }
        plan.merged_into_existing += incoming_ids.len();
        plan.stored_groups.push(StoredMerge {
            id: primary,
            display_id: merged.id.clone(),
            incoming: incoming_ids,
            absorbed,
            shared: shared.into_iter().collect(),
        });
        plan.updates.push(Update {
            id: primary,
            row_version: first.row_version,
            new_keys: keys(&merged).difference(&stored_keys).cloned().collect(),
            assessment: merged,
        });
    }
    Ok(plan)
}

/// Keeps one of each source (a file imported again adds its source again
/// when absorbed) and points descriptions, products and scores at the one kept.
pub(super) fn dedupe_sources(a: &mut Assessment) {
    let mut kept: Vec<Source> = Vec::with_capacity(a.sources.len());
    let mut index_of: HashMap<Source, usize> = HashMap::with_capacity(a.sources.len());
    let mut moved: Vec<usize> = Vec::with_capacity(a.sources.len());
    for source in std::mem::take(&mut a.sources) {
        let at = *index_of.entry(source.clone()).or_insert_with(|| {
            kept.push(source);
            kept.len() - 1
        });
        moved.push(at);
    }
    a.sources = kept;
    if moved.iter().enumerate().all(|(old, new)| old == *new) {
        return;
    }
    let remap = |from: &mut usize| {
        if let Some(&to) = moved.get(*from) {
            *from = to;
        }
    };
    a.descriptions.iter_mut().for_each(|t| remap(&mut t.from));
    a.products.iter_mut().for_each(|p| remap(&mut p.from));
    a.scores.iter_mut().for_each(|s| remap(&mut s.from));
}

#[cfg(test)]
mod tests {
    use super::*;
    use preflight_vuln::{Alias, Format, Tlp};

    fn record(id: &str, file: &str) -> Assessment {
        let alias = Alias::parse(id).expect("a known id");
        Assessment::new(
            alias,
            Source::import(Format::Osv, file, Some(id.to_owned()), ""),
            Tlp::Clear,
        )
    }

    #[test]
    fn a_source_absorbed_twice_is_kept_once() {
        let mut a = record("GO-2024-0001", "a.json");
        a.absorb(record("CVE-2024-0001", "b.json"));
        let once = a.clone();
        a.absorb(record("GO-2024-0001", "a.json"));
        a.absorb(record("CVE-2024-0001", "b.json"));
        assert_eq!(a.sources.len(), 4);
        dedupe_sources(&mut a);
        assert_eq!(a, once);
    }

    #[test]
    fn a_batch_record_links_two_stored_ones() {
        let (old, newer) = (Uuid::now_v7(), Uuid::now_v7());
        let mut bridge = record("GO-2024-0001", "bridge.json");
        bridge.add_alias(Alias::parse("CVE-2024-0002").expect("cve"));
        let fresh = record("GO-2024-0009", "fresh.json");
        let incoming = vec![fresh, bridge];
        let keys: Vec<_> = incoming.iter().map(keys).collect();
        let found = HashMap::from([
            ("GO-2024-0001".to_owned(), newer),
            ("CVE-2024-0002".to_owned(), old),
        ]);
        let comps = components(&keys, &found);
        assert_eq!(comps.len(), 2);
        assert_eq!(
            (comps[0].incoming.clone(), comps[0].stored.clone()),
            (vec![0], vec![])
        );
        assert_eq!(comps[1].incoming, [1]);
        assert_eq!(comps[1].stored, [old, newer], "oldest first");
        let stored = HashMap::from([
            (
                old,
                StoredRow {
                    assessment: record("CVE-2024-0002", "cve.json"),
                    row_version: 3,
                },
            ),
            (
                newer,
                StoredRow {
                    assessment: record("GO-2024-0001", "go.json"),
                    row_version: 1,
                },
            ),
        ]);
        let made = Uuid::now_v7();
        let plan = plan(incoming, comps, stored, || made).expect("plan");
        assert_eq!(plan.creates.len(), 1);
        assert_eq!(plan.creates[0].0, made);
        assert_eq!(plan.updates.len(), 1);
        let update = &plan.updates[0];
        assert_eq!((update.id, update.row_version), (old, 3));
        assert_eq!(update.assessment.id, "CVE-2024-0002");
        assert_eq!(update.assessment.sources.len(), 3);
        assert!(update.new_keys.is_empty(), "{:?}", update.new_keys);
        assert_eq!(plan.retires.len(), 1);
        assert_eq!((plan.retires[0].id, plan.retires[0].into), (newer, old));
        assert_eq!(plan.merged_into_existing, 1);
        assert_eq!(
            plan.stored_groups[0].absorbed,
            [(newer, "GO-2024-0001".to_owned())]
        );
    }
}
