//! The ERP/WMS and PIM feed contracts (docs/connectors/erp.md, pim.md) between the BFF's
//! clients and the sandbox's emulators: keyset paging, per-item rejection with reasons,
//! deltas, and failures a flow can tell apart (retry later or not).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use sandbox::{Faults, Sandbox, SandboxConfig, SandboxHandle, Service, demo};
use storefront_bff::config::FeedConfig;
use storefront_bff::sources::erp::{Erp, HttpErp, StockRow};
use storefront_bff::sources::feed::Page;
use storefront_bff::sources::pim::{AttributeValue, HttpPim, Pim};
use storefront_bff::sources::resilience::SourceError;

async fn feeds_sandbox() -> SandboxHandle {
    Sandbox::new(SandboxConfig {
        products: 40,
        order_stream: false,
        feed_changes: false,
        ..SandboxConfig::default()
    })
    .spawn(SocketAddr::from(([127, 0, 0, 1], 0)))
    .await
    .expect("sandbox starts")
}

fn config(url: String) -> FeedConfig {
    FeedConfig {
        url,
        token: Some(demo::CONNECTOR_TOKEN.to_string().into()),
        timeout_ms: 5_000,
        ..FeedConfig::default()
    }
}

fn erp_with(config: &FeedConfig) -> HttpErp {
    HttpErp::from_config(config)
        .expect("client")
        .expect("configured")
}

fn erp(sandbox: &SandboxHandle) -> HttpErp {
    erp_with(&config(sandbox.erp_url()))
}

fn pim(sandbox: &SandboxHandle) -> HttpPim {
    HttpPim::from_config(&config(sandbox.pim_url()))
        .expect("client")
        .expect("configured")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Every page of the full stock feed, `limit` rows at a time.
async fn read_stock(erp: &HttpErp, limit: u32) -> (Page<StockRow>, usize) {
    let mut all = Page {
        items: Vec::new(),
        rejected: Vec::new(),
        next_cursor: None,
        watermark: None,
    };
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = erp
            .stock_full(cursor.as_deref(), limit)
            .await
            .expect("page");
        pages += 1;
        assert!(page.items.len() + page.rejected.len() <= limit as usize);
        all.items.extend(page.items);
        all.rejected.extend(page.rejected);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return (all, pages),
        }
    }
}

#[tokio::test]
async fn full_paging_reads_every_ledger_row_once() {
    let sandbox = feeds_sandbox().await;
    let erp = erp(&sandbox);
    let (small, pages) = read_stock(&erp, 97).await;
    let (large, _) = read_stock(&erp, 1_000).await;
    assert!(pages > 3, "several pages: {pages}");
    assert!(
        small.items == large.items,
        "the page size does not change what is read"
    );
    let named = |page: &Page<StockRow>| -> Vec<String> {
        page.rejected
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    if r.key.starts_with('#') { "#" } else { &r.key },
                    r.reason
                )
            })
            .collect()
    };
    assert_eq!(named(&small), named(&large));
    let keys: Vec<(&str, &str)> = small
        .items
        .iter()
        .map(|r| (r.sku.as_str(), r.source_code.as_str()))
        .collect();
    let distinct: BTreeSet<&(&str, &str)> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "no row twice");
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "ordered by (sku, source_code)");
    // Three sources per SKU, one extra `wh-mars` row; the four bad rows are all in the feed.
    let skus: BTreeSet<&str> = keys.iter().map(|(s, _)| *s).collect();
    assert_eq!(small.items.len() + small.rejected.len(), skus.len() * 3 + 1);
    assert_eq!(small.rejected.len(), 3);
    assert!(
        sandbox.sandbox.service_calls(Service::Erp).skus
            >= (small.items.len() + small.rejected.len()) as u64 * 2
    );
}

#[tokio::test]
async fn bad_rows_come_back_rejected_with_reasons_and_the_rest_proceeds() {
    let sandbox = feeds_sandbox().await;
    let bad = sandbox.sandbox.feed_bad_rows();
    let erp = erp(&sandbox);
    let products = erp.product_changes(0, None, 1_000).await.expect("page");
    assert!(products.next_cursor.is_none(), "one page holds them all");
    let reasons = |rejected: &[storefront_bff::sources::feed::Rejected]| -> Vec<String> {
        rejected
            .iter()
            .map(|r| format!("{} {}", r.key, r.reason))
            .collect()
    };
    let rejected = reasons(&products.rejected);
    assert_eq!(rejected.len(), 4, "{rejected:?}");
    let price_sku = &bad.erp_products[1].0;
    let status_sku = &bad.erp_products[2].0;
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with('#') && r.contains("missing field `sku`"))
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with(&format!("{price_sku} price:")))
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with(&format!("{status_sku} status must be 1")))
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with('#') && r.contains("at most 64"))
    );
    assert!(products.items.len() > 40, "variants and products proceed");
    assert!(
        products
            .items
            .iter()
            .all(|p| p.price >= 0.0 && !p.sku.is_empty())
    );

    let (stock, _) = read_stock(&erp, 500).await;
    let rejected = reasons(&stock.rejected);
    let negative = &bad.stock[0].0;
    let text = &bad.stock[3].0;
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with(&format!("{negative} quantity must be"))),
        "{rejected:?}"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with(&format!("{text} quantity: invalid type"))),
        "{rejected:?}"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.starts_with('#') && r.contains("sku")),
        "{rejected:?}"
    );
    let mars = stock.items.iter().find(|r| r.source_code == "wh-mars");
    assert_eq!(
        mars.map(|r| &r.sku),
        Some(&bad.stock[1].0),
        "an unknown source is the flow's business"
    );

    let content = pim(&sandbox)
        .content_changes(0, None, 1_000)
        .await
        .expect("page");
    let rejected = reasons(&content.rejected);
    assert_eq!(rejected.len(), 3, "{rejected:?}");
    assert!(
        rejected
            .iter()
            .any(|r| r.contains("images[0].position: invalid type")),
        "{rejected:?}"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r.contains("url_key is 300 characters")),
        "{rejected:?}"
    );
    let moon = content
        .items
        .iter()
        .find(|p| p.attributes.contains_key("moon_phase"));
    assert_eq!(moon.map(|p| &p.sku), Some(&bad.pim_products[1].0));
    let first = &content.items[0];
    assert!(matches!(
        first.attributes.get("material"),
        Some(AttributeValue::Text(_))
    ));
    assert!(first.images.iter().all(|i| i.file.starts_with('/')));
}

#[tokio::test]
async fn a_forced_change_shows_in_the_next_delta_with_a_watermark() {
    let sandbox = feeds_sandbox().await;
    let erp = erp(&sandbox);
    let since = now();
    let before = erp.product_changes(since, None, 100).await.expect("page");
    assert!(before.items.is_empty() && before.rejected.is_empty());
    assert_eq!(before.watermark, None);
    let changed: BTreeSet<String> = sandbox.sandbox.change_erp_products(5).into_iter().collect();
    let delta = erp.product_changes(since, None, 2).await.expect("page");
    let mut seen: Vec<String> = delta.items.iter().map(|p| p.sku.clone()).collect();
    seen.extend(delta.rejected.iter().map(|r| r.key.clone()));
    let mut cursor = delta.next_cursor.clone();
    while let Some(c) = cursor {
        let page = erp.product_changes(since, Some(&c), 2).await.expect("page");
        seen.extend(page.items.iter().map(|p| p.sku.clone()));
        seen.extend(page.rejected.iter().map(|r| r.key.clone()));
        cursor = page.next_cursor;
    }
    assert_eq!(seen.len(), changed.len(), "{seen:?} vs {changed:?}");
    assert!(
        seen.iter()
            .all(|s| changed.contains(s) || s.starts_with('#'))
    );
    assert!(delta.watermark.is_some_and(|w| w >= since));
    assert!(delta.items.iter().all(|p| p.name.contains("(rev. ")));

    let pim = pim(&sandbox);
    let changed: BTreeSet<String> = sandbox.sandbox.change_pim_products(3).into_iter().collect();
    let content = pim.content_changes(since, None, 100).await.expect("page");
    let skus: BTreeSet<String> = content.items.iter().map(|p| p.sku.clone()).collect();
    assert!(skus.is_subset(&changed) && skus.len() + content.rejected.len() == changed.len());

    let stock_before = erp.stock_changes(since, None, 100).await.expect("page");
    assert!(
        stock_before.items.is_empty(),
        "{since}: {:?}",
        stock_before.items
    );
    let sku = sandbox.sandbox.feed_bad_rows().stock[0].0.clone();
    let (sku, source) = {
        // A SKU with clean rows: the feed's first.
        let page = erp.stock_full(None, 1).await.expect("page");
        let row = page.items.into_iter().next().expect("a row");
        assert_ne!(row.sku, sku);
        (row.sku, row.source_code)
    };
    assert!(sandbox.sandbox.set_stock(&sku, &source, 7));
    let stock = erp.stock_changes(since, None, 100).await.expect("page");
    let rows: Vec<(&str, &str, f64)> = stock
        .items
        .iter()
        .map(|r| (r.sku.as_str(), r.source_code.as_str(), r.quantity))
        .collect();
    assert_eq!(rows.len(), 3, "every source of the changed SKU: {rows:?}");
    assert!(rows.contains(&(sku.as_str(), source.as_str(), 7.0)));
    assert!(stock.watermark.is_some_and(|w| w >= since));
}

#[tokio::test]
async fn server_errors_timeouts_and_an_open_breaker_are_retriable_and_a_bad_token_is_not() {
    let sandbox = feeds_sandbox().await;
    let erp = erp(&sandbox);
    let down = Faults {
        down: true,
        ..Faults::default()
    };
    sandbox.sandbox.set_service_faults(Service::Erp, down);
    let failed = erp.stock_full(None, 10).await.expect_err("down");
    assert!(matches!(failed, SourceError::Status(503)), "{failed:?}");
    assert!(failed.is_retriable());
    let failing = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    sandbox.sandbox.set_service_faults(Service::Erp, failing);
    let failed = erp.stock_full(None, 10).await.expect_err("5xx");
    assert!(failed.is_retriable(), "{failed:?}");
    for _ in 0..5 {
        let _ = erp.stock_full(None, 10).await;
    }
    let refused = erp.stock_full(None, 10).await.expect_err("breaker");
    assert!(matches!(refused, SourceError::BreakerOpen) && refused.is_retriable());

    let slow = Faults {
        latency_ms: 10_000,
        ..Faults::default()
    };
    sandbox.sandbox.set_service_faults(Service::Erp, slow);
    let hasty = erp_with(&FeedConfig {
        timeout_ms: 200,
        ..config(sandbox.erp_url())
    });
    let late = hasty
        .product_changes(0, None, 10)
        .await
        .expect_err("deadline");
    assert!(
        matches!(late, SourceError::Deadline(200)) && late.is_retriable(),
        "{late:?}"
    );

    sandbox
        .sandbox
        .set_service_faults(Service::Erp, Faults::default());
    let stranger = erp_with(&FeedConfig {
        token: Some("wrong".to_string().into()),
        ..config(sandbox.erp_url())
    });
    let refused = stranger.stock_full(None, 10).await.expect_err("401");
    assert!(matches!(refused, SourceError::Status(401)) && !refused.is_retriable());
}

#[tokio::test]
async fn an_answer_larger_than_the_bound_is_refused_and_not_retried() {
    let sandbox = feeds_sandbox().await;
    let small = erp_with(&FeedConfig {
        max_answer_bytes: 2_000,
        ..config(sandbox.erp_url())
    });
    let fits = small.stock_full(None, 5).await;
    assert!(fits.is_ok(), "{fits:?}");
    let refused = small.stock_full(None, 500).await.expect_err("too large");
    assert!(
        matches!(&refused, SourceError::Decode(m) if m.contains("longer than 2000")),
        "{refused:?}"
    );
    assert!(!refused.is_retriable());
    assert_eq!(
        sandbox.sandbox.service_calls(Service::Erp).total,
        2,
        "no retry"
    );
}

#[tokio::test]
async fn a_cursor_the_feed_never_gave_out_is_refused() {
    let sandbox = feeds_sandbox().await;
    let refused = erp(&sandbox)
        .stock_full(Some("bm90LWEtY3Vyc29y"), 10)
        .await
        .expect_err("400");
    assert!(matches!(refused, SourceError::Status(400)) && !refused.is_retriable());
}

#[tokio::test]
async fn the_demo_reads_the_feeds_of_its_embedded_sandbox() {
    let mut config = storefront_bff::config::Config::default();
    config.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let data_dir = crate::support::unique_temp_dir("bff-feeds-demo");
    config.store.data_dir = data_dir.clone();
    let app = storefront_bff::server::App::start(config, Vec::new())
        .await
        .expect("the demo starts");
    let feeds = storefront_bff::server::feed_sources(&app.state.config).expect("feed clients");
    let erp = feeds.erp.expect("the sandbox's ERP");
    let pim = feeds.pim.expect("the sandbox's PIM");
    let stock = erp.stock_full(None, 10).await.expect("a stock page");
    assert_eq!(stock.items.len() + stock.rejected.len(), 10);
    assert!(stock.next_cursor.is_some());
    let products = erp
        .product_changes(0, None, 10)
        .await
        .expect("a product page");
    assert!(products.watermark.is_some());
    let content = pim
        .content_changes(0, None, 10)
        .await
        .expect("a content page");
    assert!(!content.items.is_empty());
    app.shutdown().await;
    let _ = std::fs::remove_dir_all(data_dir);
}
