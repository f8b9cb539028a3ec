//! How a multiple-choice question is shown: the order of its options and
//! their letters. A shuffled order comes from a per-sample seed derived from
//! the solver's seed and the sample id, and the order itself is recorded in
//! the plan, so a run can be replayed and every letter mapped back to the
//! dataset's option.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The order options are shown in: `order[shown] = original`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceLayout {
    order: Vec<usize>,
    /// The per-sample seed the order was drawn with; `None` when unshuffled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

impl ChoiceLayout {
    /// The dataset's order.
    pub fn identity(len: usize) -> Self {
        ChoiceLayout {
            order: (0..len).collect(),
            seed: None,
        }
    }

    /// A shuffled order drawn with ChaCha8 seeded by `sample_seed`.
    pub fn shuffled(len: usize, sample_seed: u64) -> Self {
        let mut order: Vec<usize> = (0..len).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(sample_seed));
        ChoiceLayout {
            order,
            seed: Some(sample_seed),
        }
    }

    /// A recorded order, checked to be a permutation of `0..len`.
    pub fn from_order(order: Vec<usize>, seed: Option<u64>) -> Option<Self> {
        let mut sorted = order.clone();
        sorted.sort_unstable();
        sorted
            .iter()
            .enumerate()
            .all(|(i, &o)| i == o)
            .then_some(ChoiceLayout { order, seed })
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// `order[shown] = original`.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The dataset index of the option shown at `shown`.
    pub fn original(&self, shown: usize) -> Option<usize> {
        self.order.get(shown).copied()
    }

    /// Where the dataset's option `original` is shown.
    pub fn shown(&self, original: usize) -> Option<usize> {
        self.order.iter().position(|&o| o == original)
    }

    /// The letters in use, `A, B, C, D`.
    pub fn letters(&self) -> String {
        (0..self.len())
            .filter_map(letter)
            .map(String::from)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The options in shown order, one a line: `A) text`.
    pub fn render(&self, choices: &[String]) -> String {
        self.order
            .iter()
            .enumerate()
            .filter_map(|(shown, &original)| {
                Some(format!("{}) {}", letter(shown)?, choices.get(original)?))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The letter at position `index` (0 → `A`), up to `Z`.
pub fn letter(index: usize) -> Option<char> {
    crate::dataset::letter(index)
}

/// The per-sample shuffle seed: the first eight bytes (little-endian) of
/// SHA-256 over the solver seed (eight bytes, little-endian) followed by the
/// sample id in UTF-8.
pub fn sample_seed(seed: u64, sample_id: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(sample_id.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}
