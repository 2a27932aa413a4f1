//! Paging of the feeds without HTTP: stable keyset order, resuming, deltas and bad rows.

use std::collections::BTreeSet;

use super::*;

struct Fixture {
    catalog: Catalog,
    inventory: Inventory,
    feeds: Feeds,
}

const STARTED: u64 = 1_700_000_000;

fn fixture(bad_rows: bool) -> Fixture {
    Fixture {
        catalog: Catalog::seed(120, 30, 7),
        inventory: Inventory::new(7, STARTED),
        feeds: Feeds::new(7, STARTED, bad_rows),
    }
}

impl Fixture {
    /// Every stock row of the full feed, paging by `limit`: (sku, source_code, quantity).
    fn all_stock(&self, limit: usize) -> Vec<(String, &'static str, u32)> {
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .feeds
                .stock_page(&self.catalog, &self.inventory, cursor.as_deref(), limit)
                .expect("page");
            assert!(page.rows.len() <= limit);
            rows.extend(
                page.rows
                    .iter()
                    .map(|r| (r.sku.to_string(), r.source_code, r.stock.quantity)),
            );
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return rows,
            }
        }
    }

    /// Every (updated_at, sku) of a master feed changed since `since`.
    fn all_master(&self, pim: bool, since: u64, limit: usize) -> Vec<(u64, String, u32)> {
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .feeds
                .master_page(
                    &self.catalog,
                    &self.inventory,
                    pim,
                    since,
                    cursor.as_deref(),
                    limit,
                )
                .expect("page");
            rows.extend(
                page.rows
                    .iter()
                    .map(|r| (r.updated_at, r.sku.to_string(), r.revision)),
            );
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return rows,
            }
        }
    }
}

#[test]
fn the_full_stock_feed_reads_every_ledger_row_once_in_sku_and_source_order() {
    let f = fixture(false);
    let rows = f.all_stock(37);
    assert_eq!(rows.len(), f.feeds.stock_rows(&f.catalog, &f.inventory));
    let keys: Vec<(&str, &str)> = rows.iter().map(|(s, c, _)| (s.as_str(), *c)).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(keys, sorted, "ordered by (sku, source_code), each once");
    // A configurable parent has no row of its own; its variants do.
    let parent = f.catalog.products.iter().find(|p| p.configurable.is_some());
    let parent = parent.expect("a configurable product");
    assert!(!keys.iter().any(|(s, _)| *s == parent.sku));
    let one_page = f.all_stock(1_000);
    assert_eq!(rows, one_page, "the page size does not change what is read");
}

#[test]
fn resuming_with_a_cursor_continues_after_the_last_row_even_when_stock_moved() {
    let f = fixture(false);
    let first = f
        .feeds
        .stock_page(&f.catalog, &f.inventory, None, 100)
        .expect("page");
    let last = first
        .rows
        .last()
        .map(|r| (r.sku.to_string(), r.source_code));
    let cursor = first.next_cursor.clone().expect("more pages");
    for _ in 0..50 {
        f.inventory.step(&f.catalog);
    }
    let second = f
        .feeds
        .stock_page(&f.catalog, &f.inventory, Some(&cursor), 100)
        .expect("page");
    let next = second
        .rows
        .first()
        .map(|r| (r.sku.to_string(), r.source_code));
    let all = f.all_stock(1_000);
    let at = all
        .iter()
        .position(|(s, c, _)| Some((s.clone(), *c)) == last)
        .expect("the last row is in the feed");
    assert_eq!(
        next,
        all.get(at + 1).map(|(s, c, _)| (s.clone(), *c)),
        "exactly the row after the cursor"
    );
}

#[test]
fn the_stock_delta_holds_exactly_the_skus_changed_since_and_a_watermark() {
    let f = fixture(false);
    let since = STARTED + 1;
    let empty = f
        .feeds
        .stock_changes_page(&f.catalog, &f.inventory, since, None, 100)
        .expect("page");
    assert!(empty.rows.is_empty());
    assert_eq!(empty.watermark, None);
    let sku = f.catalog.products[1].sku.clone();
    assert!(f.inventory.set(&f.catalog, &sku, "wh-west", 7));
    let page = f
        .feeds
        .stock_changes_page(&f.catalog, &f.inventory, since, None, 100)
        .expect("page");
    let rows: Vec<(&str, &str, u32)> = page
        .rows
        .iter()
        .map(|r| (r.sku, r.source_code, r.stock.quantity))
        .collect();
    assert_eq!(rows.len(), 3, "every source of the changed SKU: {rows:?}");
    assert!(rows.contains(&(sku.as_str(), "wh-west", 7)));
    assert!(page.watermark.is_some_and(|w| w >= since));
    // Since the beginning: every row, the seeded ones in their seeded order.
    let mut cursor = None;
    let mut count = 0;
    let mut previous = (0, String::new(), "");
    loop {
        let page = f
            .feeds
            .stock_changes_page(&f.catalog, &f.inventory, 0, cursor.as_deref(), 50)
            .expect("page");
        for row in &page.rows {
            let key = (row.updated_at, row.sku.to_string(), row.source_code);
            assert!(key > previous, "ordered by (updated_at, sku, source)");
            previous = key;
        }
        count += page.rows.len();
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(count, f.feeds.stock_rows(&f.catalog, &f.inventory));
}

#[test]
fn a_master_sku_that_changes_while_a_reader_pages_is_read_again_at_the_end() {
    let f = fixture(false);
    let first = f
        .feeds
        .master_page(&f.catalog, &f.inventory, false, 0, None, 10)
        .expect("page");
    let read = first.rows[0].sku.to_string();
    let cursor = first.next_cursor.clone().expect("more");
    // Change many SKUs: the first one read is among them with a fair chance; force it by
    // changing until it moves.
    let mut moved = false;
    for _ in 0..200 {
        if f.feeds
            .change(&f.catalog, &f.inventory, false, 5)
            .contains(&read)
        {
            moved = true;
            break;
        }
    }
    assert!(moved, "the seed's draws reach the SKU");
    let (revision, updated_at) = f
        .feeds
        .revision(&f.catalog, &f.inventory, false, &read)
        .expect("known");
    assert!(revision > 0 && updated_at > STARTED);
    let mut rest = Vec::new();
    let mut cursor = Some(cursor);
    while let Some(c) = cursor {
        let page = f
            .feeds
            .master_page(&f.catalog, &f.inventory, false, 0, Some(&c), 100)
            .expect("page");
        rest.extend(page.rows.iter().map(|r| (r.sku.to_string(), r.revision)));
        cursor = page.next_cursor;
    }
    assert!(
        rest.contains(&(read.clone(), revision)),
        "read again with its revision"
    );
    let skus: BTreeSet<&str> = rest.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(skus.len(), rest.len(), "no SKU twice after the cursor");
    let mut every: BTreeSet<&str> = first.rows.iter().map(|r| r.sku).collect();
    every.extend(skus);
    assert_eq!(
        every.len(),
        f.feeds.skus(&f.catalog, &f.inventory),
        "nothing skipped"
    );
}

#[test]
fn changed_since_is_inclusive_and_the_watermark_is_the_newest_stamp() {
    let f = fixture(false);
    let all = f.all_master(true, 0, 1_000);
    assert_eq!(all.len(), f.feeds.skus(&f.catalog, &f.inventory));
    let newest = all.iter().map(|r| r.0).max().expect("skus");
    let at_newest = f.all_master(true, newest, 7);
    assert!(!at_newest.is_empty() && at_newest.iter().all(|r| r.0 == newest));
    let page = f
        .feeds
        .master_page(&f.catalog, &f.inventory, true, newest + 1, None, 10)
        .expect("page");
    assert!(page.rows.is_empty() && page.next_cursor.is_none());
    assert_eq!(page.watermark, None);
    let changed = f.feeds.change(&f.catalog, &f.inventory, true, 3);
    let now = crate::clock::now();
    let delta = f.all_master(true, now, 100);
    let skus: BTreeSet<String> = delta.iter().map(|r| r.1.clone()).collect();
    assert_eq!(
        skus,
        changed.into_iter().collect(),
        "exactly the changed SKUs"
    );
}

#[test]
fn bad_rows_are_served_at_fixed_skus_and_only_when_switched_on() {
    let f = fixture(true);
    let bad = f.feeds.bad_rows(&f.catalog, &f.inventory);
    assert_eq!(bad.erp_products.len(), 4);
    assert_eq!(bad.stock.len(), 4);
    assert_eq!(bad.pim_products.len(), 4);
    assert_eq!(bad, fixture(true).feeds.bad_rows(&f.catalog, &f.inventory));
    let rows = f.all_stock(1_000);
    let mars: Vec<_> = rows.iter().filter(|r| r.1 == UNKNOWN_SOURCE).collect();
    assert_eq!(mars.len(), 1);
    let (sku, _) = &bad.stock[1];
    assert_eq!(&mars[0].0, sku);
    assert_eq!(rows.len(), f.feeds.stock_rows(&f.catalog, &f.inventory));
    let clean = fixture(false);
    assert_eq!(
        clean.feeds.bad_rows(&clean.catalog, &clean.inventory),
        BadRows::default()
    );
}

#[test]
fn a_cursor_of_another_feed_or_a_forged_one_is_refused() {
    let f = fixture(false);
    let page = f
        .feeds
        .stock_page(&f.catalog, &f.inventory, None, 5)
        .expect("page");
    let cursor = page.next_cursor.expect("more");
    let refused = f
        .feeds
        .master_page(&f.catalog, &f.inventory, false, 0, Some(&cursor), 5);
    assert!(refused.is_err());
    for forged in [
        "",
        "!!",
        &cursor::encode(cursor::Feed::StockFull, &["NOPE", "wh-east"]),
    ] {
        assert!(
            f.feeds
                .stock_page(&f.catalog, &f.inventory, Some(forged), 5)
                .is_err(),
            "{forged}"
        );
    }
}
