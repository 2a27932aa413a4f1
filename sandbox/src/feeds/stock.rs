//! The WMS stock feeds: the full ledger by (SKU, `source_code`), and the delta by
//! (`updated_at`, SKU, `source_code`) merged from the seeded stamps (indexed once) and the
//! ledger's changed items (scanned per page: the order stream moves a few SKUs a second, so
//! they stay a small share of the ledger).

use super::cursor::{self, Feed};
use super::{
    Feeds, InvalidCursor, SOURCE_ORDER, State, StockDefect, StockPage, StockRow, UNKNOWN_SOURCE,
    UNKNOWN_SOURCE_QUANTITY, defect_at,
};
use crate::catalog::Catalog;
use crate::stock::{Inventory, SOURCES, SourceStock};

impl Feeds {
    /// A page of every (SKU, source) row of the ledger.
    pub fn stock_page<'a>(
        &'a self,
        catalog: &Catalog,
        inventory: &Inventory,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<StockPage<'a>, InvalidCursor> {
        let state = self.state(catalog, inventory);
        let index = &state.index;
        let (mut rank, mut after_source) = match cursor {
            None => (0, None),
            Some(cursor) => {
                let fields = cursor::decode(Feed::StockFull, cursor).ok_or(InvalidCursor)?;
                let [sku, source] = fields.as_slice() else {
                    return Err(InvalidCursor);
                };
                let rank = index.search(sku).map_err(|_| InvalidCursor)?;
                (rank, Some(source.clone()))
            }
        };
        let mut rows = Vec::with_capacity(limit + 1);
        inventory.read(catalog, |ledger| {
            while rows.len() <= limit && (rank as usize) < index.len() {
                let item = index.item(rank);
                if item.stocked {
                    let stock = ledger.stock(item.product, item.variant);
                    let after = after_source.take();
                    self.push_rows(
                        state,
                        rank,
                        stock.sources,
                        stock.updated_at,
                        after.as_deref(),
                        &mut rows,
                    );
                }
                after_source = None;
                rank += 1;
            }
        });
        let next_cursor = self.cut(Feed::StockFull, &mut rows, limit, false);
        Ok(StockPage {
            rows,
            next_cursor,
            watermark: None,
        })
    }

    /// A page of the rows of every SKU whose ledger entry changed at or after `since`.
    pub fn stock_changes_page<'a>(
        &'a self,
        catalog: &Catalog,
        inventory: &Inventory,
        since: u64,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<StockPage<'a>, InvalidCursor> {
        let state = self.state(catalog, inventory);
        let index = &state.index;
        // (updated_at, rank, source after which to start in that SKU)
        let start = match cursor {
            None => (since, 0, None),
            Some(cursor) => {
                let fields = cursor::decode(Feed::StockChanges, cursor).ok_or(InvalidCursor)?;
                let [updated_at, sku, source] = fields.as_slice() else {
                    return Err(InvalidCursor);
                };
                let updated_at: u64 = updated_at.parse().map_err(|_| InvalidCursor)?;
                let rank = index.search(sku).map_err(|_| InvalidCursor)?;
                if updated_at < since {
                    (since, 0, None)
                } else {
                    (updated_at, rank, Some(source.clone()))
                }
            }
        };
        let mut rows = Vec::with_capacity(limit + 1);
        let watermark = inventory.read(catalog, |ledger| {
            let mut moved: Vec<(u64, u32)> = ledger
                .changed()
                .filter(|(_, t)| *t >= since)
                .filter_map(|(id, t)| index.rank_of_id(id).map(|r| (t, r)))
                .collect();
            moved.sort_unstable();
            let seeded = index.seeded_stock();
            let unmoved = |entry: &&(u64, u32)| !ledger.has_changed(index.item(entry.1).id);
            let watermark = moved.last().map(|m| m.0).max(
                seeded
                    .iter()
                    .rev()
                    .find(unmoved)
                    .map(|s| s.0)
                    .filter(|t| *t >= since),
            );
            let key = (start.0, start.1);
            let mut moved = moved[moved.partition_point(|m| *m < key)..]
                .iter()
                .peekable();
            let mut seeded = seeded[seeded.partition_point(|s| *s < key)..]
                .iter()
                .filter(unmoved)
                .peekable();
            let mut after = start.2;
            while rows.len() <= limit {
                let next = match (moved.peek(), seeded.peek()) {
                    (Some(m), Some(s)) if m <= s => moved.next(),
                    (Some(_), Some(_)) => seeded.next(),
                    (Some(_), None) => moved.next(),
                    (None, _) => seeded.next(),
                };
                let Some(&(updated_at, rank)) = next else {
                    break;
                };
                let item = index.item(rank);
                let stock = ledger.stock(item.product, item.variant);
                let skip = after.take().filter(|_| (updated_at, rank) == key);
                self.push_rows(
                    state,
                    rank,
                    stock.sources,
                    updated_at,
                    skip.as_deref(),
                    &mut rows,
                );
            }
            watermark
        });
        let next_cursor = self.cut(Feed::StockChanges, &mut rows, limit, true);
        Ok(StockPage {
            rows,
            next_cursor,
            watermark,
        })
    }

    /// Appends the rows of the SKU at `rank` whose source code sorts after `after`.
    fn push_rows<'a>(
        &'a self,
        state: &'a State,
        rank: u32,
        sources: [SourceStock; 3],
        updated_at: u64,
        after: Option<&str>,
        rows: &mut Vec<StockRow<'a>>,
    ) {
        let defect = defect_at(&state.stock_bad, rank);
        let mut codes: Vec<(&'static str, SourceStock)> = SOURCE_ORDER
            .iter()
            .map(|&i| (SOURCES[i], sources[i]))
            .collect();
        if defect == Some(StockDefect::UnknownSource) {
            let mars = SourceStock {
                quantity: UNKNOWN_SOURCE_QUANTITY,
                reserved: 0,
            };
            codes.insert(2, (UNKNOWN_SOURCE, mars));
        }
        let sku = state.index.sku(rank);
        for (position, (source_code, stock)) in codes.into_iter().enumerate() {
            if after.is_some_and(|after| source_code <= after) {
                continue;
            }
            rows.push(StockRow {
                sku,
                source_code,
                stock,
                updated_at,
                first: position == 0,
                defect,
            });
        }
    }

    /// Keeps `limit` rows and gives the cursor after the last when more follow.
    fn cut(
        &self,
        feed: Feed,
        rows: &mut Vec<StockRow<'_>>,
        limit: usize,
        stamped: bool,
    ) -> Option<String> {
        if rows.len() <= limit {
            return None;
        }
        rows.truncate(limit);
        let last = rows.last()?;
        let stamp = last.updated_at.to_string();
        Some(if stamped {
            cursor::encode(feed, &[&stamp, last.sku, last.source_code])
        } else {
            cursor::encode(feed, &[last.sku, last.source_code])
        })
    }
}
