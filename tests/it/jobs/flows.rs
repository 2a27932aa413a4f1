//! Each flow end to end against the sandbox: the run's record, and Commerce's own answers
//! (REST and storefront GraphQL) afterwards.

use std::collections::BTreeMap;
use std::time::Duration;

use sandbox::{BulkFaults, SandboxConfig};
use serde_json::{Value, json};
use storefront_bff::config::ContentMode;
use storefront_bff::jobs::FlowName;
use storefront_bff::jobs::runtime::Trigger;
use storefront_bff::sources::commerce::admin::CommerceAdmin;
use storefront_bff::sources::commerce::admin::model::{ProductWrite, SourceItem};
use storefront_bff::sources::erp::{Erp, HttpErp};
use storefront_bff::store::RunState;

use super::harness::{BOTH, Db, Harness, wait_final};
use super::resilience::kill_mid_run_and_resume;
use crate::rest_swagger::assert_rest_journal_matches_swagger;
use crate::support::TestApp;

/// The ledger rows the WMS serves (valid ones), by `sku@source` → (quantity, status).
async fn wms_stock(h: &Harness) -> BTreeMap<String, (f64, u8)> {
    let erp = HttpErp::from_config(&h.config.erp)
        .expect("client")
        .expect("configured");
    let mut rows = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = erp
            .stock_full(cursor.as_deref(), 1000)
            .await
            .expect("WMS answers");
        for row in page.items {
            // Rows for a source Commerce does not have are the feed's deliberate bad rows.
            if SOURCES.contains(&row.source_code.as_str()) {
                rows.insert(
                    format!("{}@{}", row.sku, row.source_code),
                    (row.quantity, row.status),
                );
            }
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            return rows;
        }
    }
}

fn admin(h: &Harness) -> CommerceAdmin {
    CommerceAdmin::new(&h.config.commerce.graphql_url, &h.config.commerce).expect("admin client")
}

/// Commerce's source items of `source`, by `sku@source`.
async fn commerce_stock(h: &Harness, sources: &[&str]) -> BTreeMap<String, (f64, u8)> {
    let admin = admin(h);
    let mut items = BTreeMap::new();
    for source in sources {
        let mut page = 1;
        loop {
            let answer = admin
                .list_source_items(source, page, 500)
                .await
                .expect("Commerce lists source items");
            let n = answer.items.len();
            for item in answer.items {
                items.insert(
                    format!("{}@{}", item.sku, item.source_code),
                    (item.quantity, item.status),
                );
            }
            if n < 500 {
                break;
            }
            page += 1;
        }
    }
    items
}

const SOURCES: [&str; 3] = ["wh-east", "wh-west", "store-berlin"];

#[tokio::test]
async fn a_full_inventory_sync_leaves_commerce_holding_exactly_the_wms_stock() {
    for db in BOTH {
        let h = Harness::start(db).await;
        // A product only Commerce knows, stocked in a WMS source: it vanished from the feed.
        let admin = admin(&h);
        admin
            .save_product(&ProductWrite {
                sku: "ONLY-IN-COMMERCE".into(),
                name: Some("Only in Commerce".into()),
                price: Some(5.0),
                status: Some(1),
                visibility: Some(4),
                type_id: Some("simple".into()),
                attribute_set_id: Some(4),
                ..ProductWrite::default()
            })
            .await
            .expect("product saved");
        admin
            .save_source_items(&[SourceItem {
                sku: "ONLY-IN-COMMERCE".into(),
                source_code: "wh-east".into(),
                quantity: 9.0,
                status: 1,
            }])
            .await
            .expect("source item saved");
        // The WMS moves away from Commerce's seeded stock.
        let sku = "24-MB01";
        for source in SOURCES {
            assert!(
                h.sandbox.sandbox.set_stock(sku, source, 0),
                "{sku} is in the ledger"
            );
        }

        // SKUs whose WMS row is broken (a negative or non-numeric quantity): skipped, and
        // their Commerce items kept as they were, not taken for vanished.
        let defective: Vec<String> = h
            .sandbox
            .sandbox
            .feed_bad_rows()
            .stock
            .iter()
            .filter(|(_, d)| {
                matches!(
                    format!("{d:?}").as_str(),
                    "NegativeQuantity" | "QuantityNotANumber"
                )
            })
            .map(|(sku, _)| sku.clone())
            .collect();
        assert_eq!(defective.len(), 2);
        let before = commerce_stock(&h, &SOURCES).await;
        h.sandbox.sandbox.reset_rest_journal();
        let run = h.run(FlowName::InventoryFull, true).await;
        assert_eq!(run.state, RunState::Succeeded, "{db:?}: {run:?}");
        assert_rest_journal_matches_swagger(&h.sandbox.sandbox.rest_journal());
        let bad = h.sandbox.sandbox.feed_bad_rows().stock.len();
        assert_eq!(
            run.counts.skipped as usize, bad,
            "{db:?}: the bad rows, and only them"
        );
        let issues = h
            .store
            .job_runs()
            .issues(&run.run_id, 100)
            .await
            .expect("reads");
        assert!(
            issues
                .iter()
                .any(|i| i.reason.contains("unknown inventory source")),
            "{issues:?}"
        );
        assert!(issues.iter().all(|i| !i.reason.is_empty()));

        let wms = wms_stock(&h).await;
        let commerce = commerce_stock(&h, &SOURCES).await;
        for (key, wanted) in &wms {
            assert_eq!(commerce.get(key), Some(wanted), "{db:?}: {key}");
        }
        for sku in &defective {
            for source in SOURCES {
                let key = format!("{sku}@{source}");
                if !wms.contains_key(&key) {
                    assert!(before.contains_key(&key), "{key} was in Commerce");
                    assert_eq!(commerce.get(&key), before.get(&key), "{db:?}: {key} kept");
                }
            }
        }
        assert_eq!(
            commerce.get("ONLY-IN-COMMERCE@wh-east"),
            Some(&(0.0, 0)),
            "{db:?}: a source item the feed no longer lists is zeroed"
        );
        // Beyond the WMS's rows, Commerce holds only zeroes and the items of SKUs whose rows
        // were skipped as bad data (kept as they were, not taken for vanished).
        let bad_skus: Vec<String> = issues
            .iter()
            .map(|i| i.item.split('@').next().unwrap_or("").to_string())
            .collect();
        let extra: Vec<_> = commerce
            .iter()
            .filter(|(k, v)| {
                let sku = k.split('@').next().unwrap_or("");
                !wms.contains_key(*k) && **v != (0.0, 0) && !bad_skus.iter().any(|b| b == sku)
            })
            .collect();
        assert!(
            extra.is_empty(),
            "{db:?}: Commerce holds more than the WMS: {extra:?}"
        );

        // The storefront sees it: the product is sold out everywhere now.
        let answer = h
            .commerce(
                "query($s: String) { products(filter: {sku: {eq: $s}}) { items { sku stock_status } } }",
                json!({ "s": sku }),
            )
            .await;
        assert_eq!(
            answer["data"]["products"]["items"][0]["stock_status"], "OUT_OF_STOCK",
            "{answer}"
        );

        // A second full run writes the feed's rows and nothing else: nothing vanished, no
        // zero rewritten.
        let again = h.run(FlowName::InventoryFull, true).await;
        assert_eq!(again.state, RunState::Succeeded);
        assert_eq!(
            again.counts.written,
            again.counts.read - again.counts.skipped,
            "{again:?}"
        );
        assert!(run.counts.written > again.counts.written, "{run:?}");
        h.shutdown().await;
    }
}

#[tokio::test]
async fn an_inventory_delta_writes_only_what_changed_since_the_watermark() {
    for db in BOTH {
        let h = Harness::start(db).await;
        let first = h.run(FlowName::InventoryDelta, false).await;
        assert_eq!(first.state, RunState::Succeeded, "{first:?}");
        let mark: i64 = first
            .watermark_after
            .as_deref()
            .and_then(|w| w.parse().ok())
            .expect("a watermark");
        // The watermark is in whole seconds and read inclusively: step past it.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert!(h.sandbox.sandbox.set_stock("24-MB02", "wh-west", 77));
        assert!(h.sandbox.sandbox.set_stock("24-WB04", "store-berlin", 3));
        let second = h.run(FlowName::InventoryDelta, false).await;
        assert_eq!(second.state, RunState::Succeeded, "{second:?}");
        assert_eq!(
            second.watermark_before.as_deref(),
            Some(mark.to_string().as_str())
        );
        // The two changed SKUs' rows in every source, plus at most the rows stamped in the
        // watermark's own second (read inclusively, rewritten harmlessly).
        assert!(
            (6..=30).contains(&second.counts.read),
            "{db:?}: only the changed SKUs' rows are read: {second:?}"
        );
        let commerce = commerce_stock(&h, &["wh-west", "store-berlin"]).await;
        assert_eq!(commerce.get("24-MB02@wh-west").map(|v| v.0), Some(77.0));
        assert_eq!(commerce.get("24-WB04@store-berlin").map(|v| v.0), Some(3.0));
        let after: i64 = second
            .watermark_after
            .as_deref()
            .and_then(|w| w.parse().ok())
            .expect("a watermark");
        assert!(after > mark, "{db:?}: the watermark moved");
        h.shutdown().await;
    }
}

#[tokio::test]
async fn a_delta_run_in_serve_drops_the_changed_skus_from_the_live_stock_cache() {
    let app = TestApp::start_with(
        |c| {
            c.jobs.workers = true;
            c.jobs.poll_ms = 50;
            c.commerce.admin_username = sandbox::demo::ADMIN_USER.0.to_string();
            c.commerce.admin_password = Some(sandbox::demo::ADMIN_USER.1.to_string().into());
            c.inventory.ttl_ms = 600_000;
            // Only the live-stock cache is under test (Commerce's own purge clears the
            // response cache when its stock changes).
            c.cache.enabled = false;
        },
        Vec::new(),
    )
    .await;
    let query =
        "{ products(filter: {sku: {eq: \"24-MB03\"}}) { items { live_stock { salable_qty } } } }";
    let before = app.query(query, json!({})).await;
    let cached = before.body["data"]["products"]["items"][0]["live_stock"]["salable_qty"].clone();
    assert!(cached.is_number(), "{}", before.body);
    for source in SOURCES {
        assert!(app.sandbox.sandbox.set_stock("24-MB03", source, 41));
    }
    let still = app.query(query, json!({})).await;
    assert_eq!(
        still.body["data"]["products"]["items"][0]["live_stock"]["salable_qty"], cached,
        "the live stock is cached for inventory.ttl_ms"
    );
    let jobs = app.app.jobs().expect("serve runs the workers");
    let run_id = jobs
        .enqueue(FlowName::InventoryDelta, false, Trigger::Manual)
        .await
        .expect("queued");
    let run = wait_final(&app.app.state.store, &run_id, Duration::from_secs(60)).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:?}");
    let after = app.query(query, json!({})).await;
    assert_ne!(
        after.body["data"]["products"]["items"][0]["live_stock"]["salable_qty"], cached,
        "the delta run dropped the SKU from the cache: {}",
        after.body
    );
    app.shutdown().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Name and price of `skus` in Commerce's storefront GraphQL.
async fn storefront_products(h: &Harness, skus: &[String]) -> BTreeMap<String, (String, f64)> {
    let answer = h
        .commerce(
            "query($s: [String]) { products(filter: {sku: {in: $s}}, pageSize: 100) { items { sku name price_range { minimum_price { regular_price { value } } } } } }",
            json!({ "s": skus }),
        )
        .await;
    answer["data"]["products"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|p| {
            (
                p["sku"].as_str().unwrap_or("").to_string(),
                (
                    p["name"].as_str().unwrap_or("").to_string(),
                    p["price_range"]["minimum_price"]["regular_price"]["value"]
                        .as_f64()
                        .unwrap_or(-1.0),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_product_master_reaches_commerce_through_the_bulk_api_with_its_base_prices() {
    for db in BOTH {
        let h = Harness::start(db).await;
        let first = h.run(FlowName::ProductMaster, false).await;
        assert_eq!(first.state, RunState::Succeeded, "{first:?}");
        let bad = h.sandbox.sandbox.feed_bad_rows().erp_products.len();
        assert_eq!(first.counts.skipped as usize, bad, "{db:?}: {first:?}");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let changed = h.sandbox.sandbox.change_erp_products(6);
        assert_eq!(changed.len(), 6);
        // One SKU Commerce refuses for good; a third of the operations fail retriably once.
        h.sandbox.sandbox.set_bulk_faults(BulkFaults {
            retriable_rate: 0.3,
            failing_skus: vec![changed[0].clone()],
        });
        h.sandbox.sandbox.reset_rest_journal();
        let run = h.run(FlowName::ProductMaster, false).await;
        assert_eq!(run.state, RunState::Succeeded, "{db:?}: {run:?}");
        assert_eq!(run.counts.failed, 1, "{db:?}: {run:?}");
        assert!(run.counts.written >= 5, "{db:?}: {run:?}");
        let issues = h
            .store
            .job_runs()
            .issues(&run.run_id, 10)
            .await
            .expect("reads");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].item, changed[0]);
        assert!(!issues[0].reason.is_empty());

        // What the ERP says now is what the storefront shows (the refused SKU excepted).
        let erp = HttpErp::from_config(&h.config.erp)
            .expect("client")
            .expect("configured");
        let mut wanted = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = erp
                .product_changes(0, cursor.as_deref(), 1000)
                .await
                .expect("ERP answers");
            for p in page.items {
                if changed[1..].contains(&p.sku) {
                    wanted.insert(p.sku.clone(), (p.name.clone(), p.price));
                }
            }
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        // Commerce's own view (REST: variants are not listed by the storefront's sku filter).
        let mut shown = BTreeMap::new();
        for sku in &changed[1..] {
            let p = h.rest_get(&format!("products/{}", urlencode(sku))).await;
            shown.insert(
                sku.clone(),
                (
                    p["name"].as_str().unwrap_or("").to_string(),
                    p["price"].as_f64().unwrap_or(-1.0),
                ),
            );
        }
        assert_eq!(shown, wanted, "{db:?}");

        // The async bulk API and base prices were used, and each bulk was polled.
        let journal = h.sandbox.sandbox.rest_journal();
        let paths: Vec<String> = journal
            .iter()
            .map(|e| format!("{} {}", e.method, e.path))
            .collect();
        assert!(
            paths
                .iter()
                .any(|p| p.contains("/async/bulk/V1/products/bySku")),
            "{paths:?}"
        );
        assert!(
            paths.iter().any(|p| p.contains("/detailed-status")),
            "{paths:?}"
        );
        assert!(
            paths.iter().any(|p| p.contains("/V1/products/base-prices")),
            "{paths:?}"
        );
        h.shutdown().await;
    }
}

#[tokio::test]
async fn catalog_content_from_the_pim_shows_in_the_storefront_in_both_modes() {
    for mode in [ContentMode::Rest, ContentMode::Import] {
        let h = Harness::start_with(Db::Sqlite, SandboxConfig::default(), |c| {
            c.jobs.catalog_content_mode = mode;
        })
        .await;
        let first = h.run(FlowName::CatalogContent, false).await;
        assert_eq!(first.state, RunState::Succeeded, "{mode:?}: {first:?}");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let changed = h.sandbox.sandbox.change_pim_products(3);
        h.sandbox.sandbox.reset_rest_journal();
        let run = h.run(FlowName::CatalogContent, false).await;
        assert_eq!(run.state, RunState::Succeeded, "{mode:?}: {run:?}");
        assert_rest_journal_matches_swagger(&h.sandbox.sandbox.rest_journal());
        assert!(run.counts.written >= 3, "{mode:?}: {run:?}");
        assert_eq!(run.counts.failed, 0, "{mode:?}: {run:?}");
        // What the PIM says now is what Commerce holds.
        let pim = storefront_bff::sources::pim::HttpPim::from_config(&h.config.pim)
            .expect("client")
            .expect("configured");
        use storefront_bff::sources::pim::Pim;
        let mut cursor: Option<String> = None;
        let mut wanted = BTreeMap::new();
        loop {
            let page = pim
                .content_changes(0, cursor.as_deref(), 1000)
                .await
                .expect("PIM answers");
            for p in page.items {
                if changed.contains(&p.sku) {
                    wanted.insert(p.sku.clone(), p);
                }
            }
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(wanted.len(), changed.len(), "{mode:?}");
        for (sku, p) in &wanted {
            let product = h.rest_get(&format!("products/{}", urlencode(sku))).await;
            assert_eq!(
                product["name"],
                p.name.as_str(),
                "{mode:?}: {sku}: {product}"
            );
            let description = product["custom_attributes"]
                .as_array()
                .and_then(|a| a.iter().find(|c| c["attribute_code"] == "description"))
                .map(|c| c["value"].clone());
            if let Some(text) = &p.description {
                assert_eq!(description, Some(json!(text)), "{mode:?}: {sku}: {product}");
            }
        }
        h.shutdown().await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_full_inventory_sync_resumes_and_commerce_ends_exact() {
    for db in BOTH {
        let h = Harness::start_with(
            db,
            SandboxConfig {
                latency: Duration::from_millis(15),
                ..SandboxConfig::default()
            },
            |_| {},
        )
        .await;
        let run = kill_mid_run_and_resume(&h, FlowName::InventoryFull, true).await;
        let wms = wms_stock(&h).await;
        let commerce = commerce_stock(&h, &SOURCES).await;
        for (key, wanted) in &wms {
            assert_eq!(commerce.get(key), Some(wanted), "{db:?}: {key}");
        }
        // Every row was read once in effect: no page counted twice across the two workers
        // beyond the one in flight at the kill.
        let rows = wms.len() as i64 + h.sandbox.sandbox.feed_bad_rows().stock.len() as i64;
        assert!(run.counts.read >= rows, "{run:?}");
        assert!(run.counts.read <= rows + 1000, "{run:?}");
        h.shutdown().await;
    }
}

#[tokio::test]
async fn a_worker_killed_mid_product_import_resumes_from_its_cursor() {
    let h = Harness::start_with(
        Db::Sqlite,
        SandboxConfig {
            latency: Duration::from_millis(15),
            ..SandboxConfig::default()
        },
        |c| {
            c.jobs.product_master.batch_size = 50;
            c.jobs.product_master.concurrency = 1;
        },
    )
    .await;
    let run = kill_mid_run_and_resume(&h, FlowName::ProductMaster, true).await;
    let rows = run.counts.written + run.counts.failed + run.counts.skipped;
    assert!(rows >= run.counts.read - 100, "{run:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn import_file_imports_good_rows_and_reports_bad_ones_by_line() {
    let h = Harness::start(Db::Sqlite).await;
    let dir = crate::support::unique_temp_dir("bff-import");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("drop.csv");
    std::fs::write(
        &file,
        "sku,name,description,price\n24-MB01,Joust Duffle Bag (new),<p>Roomy.</p>,34\n,No SKU,,1\n24-MB04,Strive Shoulder Pack (new),,-2\n24-MB05,Wayfarer Messenger (new),,45\n",
    )
    .expect("written");
    // tokio's Command: the sandbox answers from this test's runtime meanwhile.
    let output = tokio::process::Command::new(super::harness::BINARY)
        .arg("import")
        .arg(&file)
        .envs(super::harness::env_for(&h.sandbox, &h.location))
        .output()
        .await
        .expect("import runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(3),
        "skipped rows: exit 3\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("line 3"), "{stdout}");
    assert!(
        stdout.contains("line 4 (24-MB04)") && stdout.contains("negative"),
        "{stdout}"
    );
    let shown =
        storefront_products(&h, &["24-MB01".into(), "24-MB05".into(), "24-MB04".into()]).await;
    assert_eq!(shown["24-MB01"].0, "Joust Duffle Bag (new)");
    assert_eq!(shown["24-MB05"].0, "Wayfarer Messenger (new)");
    assert_ne!(
        shown["24-MB04"].0, "Strive Shoulder Pack (new)",
        "a skipped row changes nothing"
    );
    let _ = std::fs::remove_dir_all(dir);
    let _: Value = json!(null);
    h.shutdown().await;
}
