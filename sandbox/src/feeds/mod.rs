//! What the ERP/WMS and the PIM emulators serve (`connectors::erp`, `connectors::pim`): keyset
//! pages over the catalog's SKUs (`index`), the ERP's and the PIM's change logs (`changes`)
//! and the WMS ledger (`crate::stock`, read in place, never copied).
//!
//! * Product master (ERP) and content (PIM): every SKU of the index, ordered by
//!   (`updated_at`, SKU); seeded records are stamped up to 30 days before the sandbox started,
//!   and each change (the timed stream while spawned, or [`Feeds::change`]) bumps a SKU's
//!   revision (new price and name for the ERP, new description and meta title for the PIM).
//! * Stock, full: every (SKU, source) row of the ledger, ordered by (SKU, `source_code`).
//! * Stock, delta: the rows of every SKU whose ledger entry changed at or after `since`,
//!   ordered by (`updated_at`, SKU, `source_code`), so a SKU that changes while a reader pages
//!   moves behind the reader's cursor and is read again, never skipped.
//!
//! # Deliberately bad rows
//!
//! Unless [`crate::SandboxConfig::feed_bad_rows`] is off, four SKUs of each feed are served
//! broken, at fixed places (the SKUs at 1/5, 2/5, 3/5 and 4/5 of the SKU order; stock: the
//! first stocked SKU from there), so a flow can show "skipped with a reason" while the rest
//! proceeds ([`Feeds::bad_rows`] lists them):
//!
//! | feed | 1/5 | 2/5 | 3/5 | 4/5 |
//! | --- | --- | --- | --- | --- |
//! | ERP products | no `sku` | `price: "abc"` | `status: 3` | a 70-character `sku` |
//! | stock (full and delta) | `quantity: -3` (first row) | an extra row in source `wh-mars` (unknown to Commerce) | first row without `sku` | `quantity: "12"` (first row) |
//! | PIM products | no `sku` | attribute `moon_phase` (unknown to Commerce) | `images[0].position: "first"` | a 300-character `url_key` |
//!
//! The `wh-mars` row and the `moon_phase` attribute are well-formed: only Commerce can tell
//! they are wrong, so the BFF's clients pass them on and the flows reject them.

mod changes;
pub(crate) mod cursor;
mod index;
mod stock;

use std::sync::OnceLock;

use serde::Serialize;

use changes::ChangeLog;
pub(crate) use changes::Stamp;
use cursor::Feed;
pub(crate) use index::{Item, SkuIndex};

use crate::catalog::Catalog;
use crate::stock::{Inventory, SourceStock};

/// Stock rows of one SKU in `source_code` order, as indices into [`SOURCES`].
const SOURCE_ORDER: [usize; 3] = [2, 0, 1];
/// The source the WMS knows and Commerce does not (a bad row).
pub(crate) const UNKNOWN_SOURCE: &str = "wh-mars";
/// On-hand quantity of the `wh-mars` row.
const UNKNOWN_SOURCE_QUANTITY: u32 = 5;

/// How a bad row of the ERP's product master is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErpDefect {
    MissingSku,
    PriceNotANumber,
    StatusOutOfRange,
    SkuTooLong,
}

/// How a bad row of the WMS stock feeds is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StockDefect {
    NegativeQuantity,
    UnknownSource,
    MissingSku,
    QuantityNotANumber,
}

/// How a bad row of the PIM's content is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PimDefect {
    MissingSku,
    UnknownAttribute,
    ImagePositionNotANumber,
    UrlKeyTooLong,
}

/// The SKUs served broken, for tests (`GET /admin/feeds/bad-rows`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BadRows {
    pub erp_products: Vec<(String, ErpDefect)>,
    pub stock: Vec<(String, StockDefect)>,
    pub pim_products: Vec<(String, PimDefect)>,
}

/// A cursor that is not one this feed gave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidCursor;

/// One item of a master page.
pub(crate) struct MasterRow<'a> {
    pub sku: &'a str,
    pub item: Item,
    pub revision: u32,
    pub updated_at: u64,
    /// How the ERP serves it broken (ERP pages only).
    pub erp_defect: Option<ErpDefect>,
    /// How the PIM serves it broken (PIM pages only).
    pub pim_defect: Option<PimDefect>,
}

/// A page of the product master or the content feed.
pub(crate) struct MasterPage<'a> {
    pub rows: Vec<MasterRow<'a>>,
    pub next_cursor: Option<String>,
    pub watermark: Option<u64>,
}

/// One (SKU, source) row of the ledger.
pub(crate) struct StockRow<'a> {
    pub sku: &'a str,
    pub source_code: &'static str,
    pub stock: SourceStock,
    pub updated_at: u64,
    /// Whether this is the SKU's first row (where a row defect shows).
    pub first: bool,
    pub defect: Option<StockDefect>,
}

/// A page of the stock feeds.
pub(crate) struct StockPage<'a> {
    pub rows: Vec<StockRow<'a>>,
    pub next_cursor: Option<String>,
    pub watermark: Option<u64>,
}

struct State {
    index: SkuIndex,
    erp: ChangeLog,
    pim: ChangeLog,
    /// Ranks of the bad rows, when on.
    erp_bad: Vec<(u32, ErpDefect)>,
    stock_bad: Vec<(u32, StockDefect)>,
    pim_bad: Vec<(u32, PimDefect)>,
}

/// The feeds' state, built on first use (sorting 400,000 SKUs is not free, and most sandboxes
/// never serve a feed).
pub(crate) struct Feeds {
    seed: u64,
    started_at: u64,
    bad_rows: bool,
    state: OnceLock<State>,
}

impl Feeds {
    pub fn new(seed: u64, started_at: u64, bad_rows: bool) -> Feeds {
        Feeds {
            seed,
            started_at,
            bad_rows,
            state: OnceLock::new(),
        }
    }

    fn state(&self, catalog: &Catalog, inventory: &Inventory) -> &State {
        self.state.get_or_init(|| {
            let index = SkuIndex::build(catalog, inventory);
            let ids = || (0..index.len() as u32).map(|r| index.item(r).id);
            let erp = ChangeLog::seeded(ids(), self.seed, 0xe2b0, self.started_at);
            let pim = ChangeLog::seeded(ids(), self.seed, 0x9143, self.started_at);
            let fifths = |n: usize| (1..=4).map(move |k| (n * k / 5) as u32);
            let (mut erp_bad, mut stock_bad, mut pim_bad) = (Vec::new(), Vec::new(), Vec::new());
            if self.bad_rows && index.len() >= 10 {
                use {ErpDefect as E, PimDefect as P, StockDefect as S};
                let erp_kinds = [
                    E::MissingSku,
                    E::PriceNotANumber,
                    E::StatusOutOfRange,
                    E::SkuTooLong,
                ];
                let stock_kinds = [
                    S::NegativeQuantity,
                    S::UnknownSource,
                    S::MissingSku,
                    S::QuantityNotANumber,
                ];
                let pim_kinds = [
                    P::MissingSku,
                    P::UnknownAttribute,
                    P::ImagePositionNotANumber,
                    P::UrlKeyTooLong,
                ];
                erp_bad = fifths(index.len()).zip(erp_kinds).collect();
                pim_bad = fifths(index.len()).zip(pim_kinds).collect();
                stock_bad = fifths(index.len())
                    .filter_map(|r| (r..index.len() as u32).find(|r| index.item(*r).stocked))
                    .zip(stock_kinds)
                    .collect();
            }
            State {
                index,
                erp,
                pim,
                erp_bad,
                stock_bad,
                pim_bad,
            }
        })
    }

    /// The SKUs served broken.
    pub fn bad_rows(&self, catalog: &Catalog, inventory: &Inventory) -> BadRows {
        let state = self.state(catalog, inventory);
        let named = |rank: u32| state.index.sku(rank).to_string();
        BadRows {
            erp_products: state.erp_bad.iter().map(|(r, d)| (named(*r), *d)).collect(),
            stock: state
                .stock_bad
                .iter()
                .map(|(r, d)| (named(*r), *d))
                .collect(),
            pim_products: state.pim_bad.iter().map(|(r, d)| (named(*r), *d)).collect(),
        }
    }

    /// Changes `count` SKUs of the ERP's product master (`pim: false`) or of the PIM's content,
    /// stamped now; the SKUs, each once.
    pub fn change(
        &self,
        catalog: &Catalog,
        inventory: &Inventory,
        pim: bool,
        count: usize,
    ) -> Vec<String> {
        let state = self.state(catalog, inventory);
        let log = if pim { &state.pim } else { &state.erp };
        log.change(count, crate::clock::now())
            .into_iter()
            .map(|rank| state.index.sku(rank).to_string())
            .collect()
    }

    /// A page of the ERP's product master (`pim: false`) or of the PIM's content.
    pub fn master_page<'a>(
        &'a self,
        catalog: &Catalog,
        inventory: &Inventory,
        pim: bool,
        since: u64,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<MasterPage<'a>, InvalidCursor> {
        let state = self.state(catalog, inventory);
        let (feed, log) = if pim {
            (Feed::PimProducts, &state.pim)
        } else {
            (Feed::ErpProducts, &state.erp)
        };
        let after = match cursor {
            None => None,
            Some(cursor) => {
                let fields = cursor::decode(feed, cursor).ok_or(InvalidCursor)?;
                let [updated_at, sku] = fields.as_slice() else {
                    return Err(InvalidCursor);
                };
                let updated_at = updated_at.parse().map_err(|_| InvalidCursor)?;
                // The catalog never loses a SKU: one the index does not hold was never given out.
                let rank = state.index.search(sku).map_err(|_| InvalidCursor)?;
                Some(Stamp { updated_at, rank })
            }
        };
        let slice = log.page(since, after, limit);
        let rows: Vec<MasterRow<'a>> = slice
            .stamps
            .iter()
            .map(|(stamp, revision)| MasterRow {
                sku: state.index.sku(stamp.rank),
                item: state.index.item(stamp.rank),
                revision: *revision,
                updated_at: stamp.updated_at,
                erp_defect: defect_at(&state.erp_bad, stamp.rank).filter(|_| !pim),
                pim_defect: defect_at(&state.pim_bad, stamp.rank).filter(|_| pim),
            })
            .collect();
        let next_cursor = match rows.last() {
            Some(last) if slice.more => Some(cursor::encode(
                feed,
                &[&last.updated_at.to_string(), last.sku],
            )),
            _ => None,
        };
        Ok(MasterPage {
            rows,
            next_cursor,
            watermark: slice.watermark,
        })
    }

    /// The ERP's (`pim: false`) or the PIM's revision of a SKU.
    #[cfg(test)]
    pub fn revision(
        &self,
        catalog: &Catalog,
        inventory: &Inventory,
        pim: bool,
        sku: &str,
    ) -> Option<(u32, u64)> {
        let state = self.state(catalog, inventory);
        let rank = state.index.search(sku).ok()?;
        if pim {
            state.pim.record(rank)
        } else {
            state.erp.record(rank)
        }
    }

    /// How many (SKU, source) rows the full stock feed serves.
    #[cfg(test)]
    pub fn stock_rows(&self, catalog: &Catalog, inventory: &Inventory) -> usize {
        let state = self.state(catalog, inventory);
        let extra = state
            .stock_bad
            .iter()
            .filter(|(_, d)| *d == StockDefect::UnknownSource)
            .count();
        state.index.stocked() * SOURCE_ORDER.len() + extra
    }

    /// How many SKUs the master feeds serve.
    #[cfg(test)]
    pub fn skus(&self, catalog: &Catalog, inventory: &Inventory) -> usize {
        self.state(catalog, inventory).index.len()
    }
}

fn defect_at<D: Copy>(bad: &[(u32, D)], rank: u32) -> Option<D> {
    bad.iter().find(|(r, _)| *r == rank).map(|(_, d)| *d)
}

#[cfg(test)]
mod tests;
