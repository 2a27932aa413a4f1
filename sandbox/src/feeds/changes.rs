//! One master feed's change log (the ERP's product master, the PIM's content): every SKU's
//! revision and `updated_at`, and the SKUs ordered by (`updated_at`, rank) so a
//! `changed_since` page is a range read, whatever the catalog's size.
//!
//! Revision 0 is the seeded record, stamped up to 30 days before the sandbox started (never
//! in its very second, so a delta since the start holds only what changed since); each
//! change bumps the revision and stamps the time of the change, which moves the SKU to the end
//! of the order (a reader paging through sees it again, with its new values).

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::{Mutex, PoisonError, RwLock};

use crate::catalog::mix;
use crate::clock::DAY;

/// A SKU's place in a master feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp {
    pub updated_at: u64,
    pub rank: u32,
}

/// One page of a master feed.
pub(crate) struct Slice {
    /// The page's SKUs in order, with their revision.
    pub stamps: Vec<(Stamp, u32)>,
    /// Whether SKUs follow the page.
    pub more: bool,
    /// The highest `updated_at` of the change set, `None` when it is empty.
    pub watermark: Option<u64>,
}

struct Log {
    /// Revision and `updated_at` by rank.
    records: Vec<(u32, u64)>,
    by_time: BTreeSet<Stamp>,
}

pub(crate) struct ChangeLog {
    log: RwLock<Log>,
    rng: Mutex<fastrand::Rng>,
}

impl ChangeLog {
    /// `ids` are the entity ids by rank; `salt` tells the ERP's stamps from the PIM's.
    pub fn seeded(ids: impl Iterator<Item = u32>, seed: u64, salt: u64, started_at: u64) -> Self {
        let records: Vec<(u32, u64)> = ids
            .map(|id| {
                let h = mix(seed ^ salt ^ u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                (0, started_at.saturating_sub(1 + h % (30 * DAY - 1)))
            })
            .collect();
        let by_time = records
            .iter()
            .enumerate()
            .map(|(rank, (_, updated_at))| Stamp {
                updated_at: *updated_at,
                rank: rank as u32,
            })
            .collect();
        ChangeLog {
            log: RwLock::new(Log { records, by_time }),
            rng: Mutex::new(fastrand::Rng::with_seed(seed ^ salt)),
        }
    }

    /// Up to `limit` SKUs stamped at or after `since`, after `after` when given.
    pub fn page(&self, since: u64, after: Option<Stamp>, limit: usize) -> Slice {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        let floor = Stamp {
            updated_at: since,
            rank: 0,
        };
        let start = match after {
            Some(after) if after >= floor => Bound::Excluded(after),
            _ => Bound::Included(floor),
        };
        let mut range = log.by_time.range((start, Bound::Unbounded));
        let stamps = range
            .by_ref()
            .take(limit)
            .map(|s| (*s, log.records[s.rank as usize].0))
            .collect();
        let more = range.next().is_some();
        let watermark = log
            .by_time
            .last()
            .map(|s| s.updated_at)
            .filter(|t| *t >= since);
        Slice {
            stamps,
            more,
            watermark,
        }
    }

    /// Changes `count` SKUs drawn from the seed's generator (a SKU may be drawn twice), stamped
    /// `now`; their ranks, each once.
    pub fn change(&self, count: usize, now: u64) -> Vec<u32> {
        let mut log = self.log.write().unwrap_or_else(PoisonError::into_inner);
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let len = log.records.len();
        let mut changed = Vec::new();
        let mut seen = ahash::AHashSet::new();
        if len == 0 {
            return changed;
        }
        for _ in 0..count {
            let rank = rng.usize(..len) as u32;
            let (revision, updated_at) = log.records[rank as usize];
            log.by_time.remove(&Stamp { updated_at, rank });
            log.records[rank as usize] = (revision + 1, now);
            log.by_time.insert(Stamp {
                updated_at: now,
                rank,
            });
            if seen.insert(rank) {
                changed.push(rank);
            }
        }
        changed
    }

    /// The revision and `updated_at` of the SKU at `rank`.
    #[cfg(test)]
    pub fn record(&self, rank: u32) -> Option<(u32, u64)> {
        let log = self.log.read().unwrap_or_else(PoisonError::into_inner);
        log.records.get(rank as usize).copied()
    }
}
