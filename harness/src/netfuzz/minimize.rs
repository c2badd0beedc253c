//! Minimizing a finding: delta debugging (Zeller's ddmin) over the action list, then
//! simpler variants of each action (shorter payloads, plain writes), each candidate re-run
//! against the live server and kept only if it shows the same symptom.

use std::future::Future;
use std::time::Instant;

use super::action::{OpeningKind, Sequence};

/// How many re-runs (and how much time) minimizing may spend.
#[derive(Debug, Clone)]
pub struct Budget {
    max_runs: usize,
    used: usize,
    deadline: Instant,
}

impl Budget {
    /// At most `max_runs` tests, none started after `deadline`.
    pub fn new(max_runs: usize, deadline: Instant) -> Self {
        Budget {
            max_runs,
            used: 0,
            deadline,
        }
    }

    /// Take one test from the budget; `false` when it is spent.
    fn take(&mut self) -> bool {
        if self.used >= self.max_runs || Instant::now() >= self.deadline {
            return false;
        }
        self.used += 1;
        true
    }

    /// Tests run so far.
    pub fn used(&self) -> usize {
        self.used
    }
}

/// Run `test` on `candidate` if the budget allows (`false` otherwise).
async fn check<T, F, Fut>(budget: &mut Budget, test: &mut F, candidate: T) -> bool
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = bool>,
{
    budget.take() && test(candidate).await
}

/// ddmin: a 1-minimal sub-list of `items` (as far as the budget reaches) for which
/// `test` still holds; `test(items)` is assumed to hold.
pub async fn ddmin<T, F, Fut>(mut items: Vec<T>, budget: &mut Budget, test: &mut F) -> Vec<T>
where
    T: Clone,
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = bool>,
{
    if items.is_empty() {
        return items;
    }
    if check(budget, test, Vec::new()).await {
        return Vec::new();
    }
    let mut n = 2usize;
    while items.len() >= 2 {
        let chunks = split(&items, n);
        let mut reduced = false;
        // Reduce to a subset…
        for chunk in &chunks {
            if chunk.len() < items.len() && check(budget, test, chunk.clone()).await {
                items = chunk.clone();
                n = 2;
                reduced = true;
                break;
            }
        }
        // …or to a complement.
        if !reduced && n > 2 {
            for i in 0..chunks.len() {
                let complement: Vec<T> = chunks
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, c)| c.iter().cloned())
                    .collect();
                if check(budget, test, complement.clone()).await {
                    items = complement;
                    n = (n - 1).max(2);
                    reduced = true;
                    break;
                }
            }
        }
        if !reduced {
            if n >= items.len() || budget.used >= budget.max_runs {
                break;
            }
            n = (n * 2).min(items.len());
        }
        if Instant::now() >= budget.deadline {
            break;
        }
    }
    items
}

/// `items` in `n` nearly equal consecutive chunks.
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.clamp(1, items.len().max(1));
    let len = items.len();
    (0..n)
        .map(|i| items[i * len / n..(i + 1) * len / n].to_vec())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Minimize a sequence for which `test` holds: the standard opening if it suffices, ddmin
/// over the actions, then each action simplified while the symptom stays.
pub async fn minimize<F, Fut>(seq: Sequence, budget: &mut Budget, mut test: F) -> Sequence
where
    F: FnMut(Sequence) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut seq = seq;
    if seq.opening != OpeningKind::Standard {
        let plain = Sequence {
            opening: OpeningKind::Standard,
            actions: seq.actions.clone(),
        };
        if check(budget, &mut test, plain.clone()).await {
            seq = plain;
        }
    }
    let opening = seq.opening;
    let mut on_actions = |actions| test(Sequence { opening, actions });
    // Two rounds: simplifying an action can make others removable.
    for _ in 0..2 {
        let before = seq.actions.clone();
        seq.actions = ddmin(seq.actions, budget, &mut on_actions).await;
        let mut i = 0;
        while i < seq.actions.len() {
            let mut changed = false;
            for candidate in seq.actions[i].shrunk() {
                let mut actions = seq.actions.clone();
                actions[i] = candidate;
                if check(budget, &mut on_actions, actions.clone()).await {
                    seq.actions = actions;
                    changed = true;
                    break;
                }
            }
            if !changed {
                i += 1;
            }
            if budget.used >= budget.max_runs || Instant::now() >= budget.deadline {
                return seq;
            }
        }
        if seq.actions == before {
            break;
        }
    }
    seq
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netfuzz::action::{Action, Payload, Write};
    use std::time::Duration;

    fn budget(n: usize) -> Budget {
        Budget::new(n, Instant::now() + Duration::from_secs(60))
    }

    #[tokio::test]
    async fn ddmin_finds_the_two_culprits() {
        let items: Vec<u32> = (0..40).collect();
        let mut b = budget(500);
        let mut test = |c: Vec<u32>| std::future::ready(c.contains(&7) && c.contains(&31));
        let min = ddmin(items, &mut b, &mut test).await;
        assert_eq!(min, vec![7, 31]);
        assert!(b.used() < 120, "{} tests", b.used());
    }

    #[tokio::test]
    async fn ddmin_keeps_order_and_respects_the_budget() {
        let items: Vec<u32> = (0..64).collect();
        let mut b = budget(5);
        let mut test = |c: Vec<u32>| std::future::ready(c.contains(&3));
        let min = ddmin(items, &mut b, &mut test).await;
        assert!(min.contains(&3));
        assert!(min.windows(2).all(|w| w[0] < w[1]));
        assert!(b.used() <= 5);
    }

    #[tokio::test]
    async fn ddmin_of_an_always_true_test_is_empty() {
        let mut b = budget(10);
        let mut test = |_: Vec<u8>| std::future::ready(true);
        assert!(ddmin(vec![1, 2, 3], &mut b, &mut test).await.is_empty());
    }

    #[tokio::test]
    async fn payloads_shrink_while_the_symptom_stays() {
        // The "bug": any ping with at least 10 octets.
        let big_ping = Action::Ping {
            payload: Payload::text(&"x".repeat(100)),
        };
        let noise = Action::Message {
            binary: false,
            payload: Payload::text("noise"),
            fragments: 3,
            write: Write::Chop(1),
        };
        let seq = Sequence {
            opening: OpeningKind::Bytewise,
            actions: vec![noise.clone(), big_ping, noise],
        };
        let test = |s: Sequence| {
            std::future::ready(
                s.actions
                    .iter()
                    .any(|a| matches!(a, Action::Ping { payload } if payload.len() >= 10)),
            )
        };
        let mut b = budget(200);
        let min = minimize(seq, &mut b, test).await;
        assert_eq!(min.opening, OpeningKind::Standard);
        assert_eq!(min.actions.len(), 1);
        let Action::Ping { payload } = &min.actions[0] else {
            panic!("{min:?}")
        };
        assert!(
            payload.len() >= 10 && payload.len() <= 25,
            "{}",
            payload.len()
        );
    }
}
