//! Virtual, downloadable and bundle products through `products`, in Adobe's 2.4.9 shapes.

use super::*;
use crate::catalog::Catalog;
use crate::uid::encode;

const TYPE_SKUS: [&str; 6] = [
    "SVC-ASSEMBLY",
    "SVC-WARRANTY-2Y",
    "DL-YOGA-COURSE",
    "DL-TRAIL-GUIDE",
    "BNDL-YOGA-KIT",
    "BNDL-TRAVEL-SET",
];

fn typed_sandbox() -> Sandbox {
    Sandbox::new(SandboxConfig {
        products: 60,
        order_stream: false,
        product_types: true,
        base_url: Some("http://sandbox.test/".into()),
        ..SandboxConfig::default()
    })
}

const MIN: &str = "price_range { minimum_price { final_price { value currency } } maximum_price { final_price { value } } }";

async fn typed_items(sandbox: &Sandbox, selection: &str) -> Vec<Value> {
    let query = format!(
        "query($skus: [String]) {{ products(filter: {{ sku: {{ in: $skus }} }}, pageSize: 20) {{ total_count items {{ {selection} }} }} }}"
    );
    let answer = post(sandbox, &query, json!({ "skus": TYPE_SKUS }), &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    assert_eq!(answer.data()["products"]["total_count"], 6);
    answer.data()["products"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn by_sku<'a>(items: &'a [Value], sku: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["sku"] == sku)
        .unwrap_or_else(|| panic!("{sku} in {items:?}"))
}

fn value(price: &Value) -> f64 {
    price["value"].as_f64().unwrap_or(f64::NAN)
}

#[tokio::test]
async fn each_product_type_answers_with_its_own_typename_and_type_id() {
    let sandbox = typed_sandbox();
    let items = typed_items(
        &sandbox,
        &format!("__typename sku type_id uid stock_status {MIN}"),
    )
    .await;
    for (sku, typename, type_id) in [
        ("SVC-ASSEMBLY", "VirtualProduct", "virtual"),
        ("DL-TRAIL-GUIDE", "DownloadableProduct", "downloadable"),
        ("BNDL-YOGA-KIT", "BundleProduct", "bundle"),
    ] {
        let item = by_sku(&items, sku);
        assert_eq!(item["__typename"], typename);
        assert_eq!(item["type_id"], type_id);
        assert_eq!(item["stock_status"], "IN_STOCK", "{sku}");
    }
    let assembly = by_sku(&items, "SVC-ASSEMBLY");
    assert_eq!(
        value(&assembly["price_range"]["minimum_price"]["final_price"]),
        49.0
    );
    let uids: std::collections::HashSet<&str> =
        items.iter().filter_map(|i| i["uid"].as_str()).collect();
    assert_eq!(uids.len(), 6, "every product has its own uid");
}

#[tokio::test]
async fn downloadable_links_and_samples_are_commerces_with_link_prices_in_the_range() {
    let sandbox = typed_sandbox();
    let selection = format!(
        "sku links_purchased_separately links_title {MIN} ... on DownloadableProduct {{
            downloadable_product_links {{ uid title price sort_order sample_url }}
            downloadable_product_samples {{ title sort_order sample_url }} }}"
    );
    let items = typed_items(
        &sandbox,
        &selection.replace("links_purchased_separately links_title", ""),
    )
    .await;
    let course = by_sku(&items, "DL-YOGA-COURSE");
    let links = course["downloadable_product_links"]
        .as_array()
        .expect("links");
    assert_eq!(links.len(), 2);
    assert_eq!(links[0]["uid"], encode("downloadable/1"));
    assert_eq!(links[0]["title"], "Beginner series");
    assert_eq!(links[0]["price"], 19.0);
    assert_eq!(
        links[0]["sample_url"],
        "http://sandbox.test/downloadable/download/linkSample/link_id/1/"
    );
    assert_eq!(
        links[1]["sample_url"],
        Value::Null,
        "a link without a sample"
    );
    assert_eq!(
        course["downloadable_product_samples"][0]["sample_url"],
        "http://sandbox.test/downloadable/download/sample/sample_id/1/"
    );
    // Bought separately: the cheapest link at least, every link at most.
    let range = &course["price_range"];
    assert_eq!(value(&range["minimum_price"]["final_price"]), 19.0);
    assert_eq!(value(&range["maximum_price"]["final_price"]), 48.0);
    let guide = by_sku(&items, "DL-TRAIL-GUIDE");
    assert_eq!(
        value(&guide["price_range"]["maximum_price"]["final_price"]),
        12.0
    );

    let flags = post(
        &sandbox,
        "{ products(filter: { sku: { in: [\"DL-YOGA-COURSE\", \"DL-TRAIL-GUIDE\"] } }) { items { sku ... on DownloadableProduct { links_purchased_separately links_title } } } }",
        json!({}),
        &[],
    )
    .await;
    let flags = flags.data()["products"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        by_sku(&flags, "DL-YOGA-COURSE")["links_purchased_separately"],
        1
    );
    assert_eq!(
        by_sku(&flags, "DL-TRAIL-GUIDE")["links_purchased_separately"],
        0
    );
}

#[tokio::test]
async fn a_dynamic_bundle_costs_its_cheapest_required_selections_at_least() {
    let sandbox = typed_sandbox();
    let selection = format!(
        "sku {MIN} ... on BundleProduct {{ dynamic_price dynamic_sku dynamic_weight price_view ship_bundle_items
            items {{ uid option_id title type required position sku
                options {{ uid label quantity is_default can_change_quantity price price_type
                    product {{ __typename sku {MIN} }} }} }} }}"
    );
    let items = typed_items(&sandbox, &selection).await;
    let kit = by_sku(&items, "BNDL-YOGA-KIT");
    assert_eq!(kit["dynamic_price"], true);
    assert_eq!(kit["price_view"], "PRICE_RANGE");
    assert_eq!(kit["ship_bundle_items"], "TOGETHER");
    let options = kit["items"].as_array().expect("items");
    assert_eq!(options.len(), 3);
    assert_eq!(options[0]["uid"], encode("bundle/1"));
    assert_eq!(options[0]["type"], "radio");
    assert_eq!(options[2]["required"], false);
    assert_eq!(options[0]["sku"], "BNDL-YOGA-KIT");
    let block = &options[1]["options"][0];
    assert_eq!(block["uid"], encode("bundle/2/3/2"));
    assert_eq!(block["quantity"], 2.0);
    assert_eq!(block["product"]["__typename"], "SimpleProduct");

    // The range, recomputed from the selections' own prices in the same answer.
    let price = |selection: &Value| {
        value(&selection["product"]["price_range"]["minimum_price"]["final_price"])
            * selection["quantity"].as_f64().unwrap_or(f64::NAN)
    };
    let cheapest = |option: &Value| {
        option["options"]
            .as_array()
            .into_iter()
            .flatten()
            .map(price)
            .fold(f64::INFINITY, f64::min)
    };
    let dearest = |option: &Value| {
        option["options"]
            .as_array()
            .into_iter()
            .flatten()
            .map(price)
            .fold(0.0, f64::max)
    };
    let every = |option: &Value| {
        option["options"]
            .as_array()
            .into_iter()
            .flatten()
            .map(price)
            .sum::<f64>()
    };
    let minimum = cheapest(&options[0]) + cheapest(&options[1]);
    let maximum = dearest(&options[0]) + dearest(&options[1]) + every(&options[2]);
    let range = &kit["price_range"];
    let near = |a: f64, b: f64| (a - b).abs() < 0.011;
    assert!(
        near(value(&range["minimum_price"]["final_price"]), minimum),
        "{range} vs {minimum}"
    );
    assert!(
        near(value(&range["maximum_price"]["final_price"]), maximum),
        "{range} vs {maximum}"
    );
}

#[tokio::test]
async fn product_types_are_listed_in_their_category_and_resolve_by_url() {
    let sandbox = typed_sandbox();
    let answer = post(
        &sandbox,
        "{ products(filter: { sku: { eq: \"BNDL-YOGA-KIT\" } }) { items { url_key categories { id } } } }",
        json!({}),
        &[],
    )
    .await;
    let item = &answer.data()["products"]["items"][0];
    let category = item["categories"]
        .as_array()
        .and_then(|c| c.last())
        .and_then(|c| c["id"].as_i64())
        .expect("a category");
    let listing = post(
        &sandbox,
        "query($id: String) { products(filter: { category_id: { eq: $id } }, pageSize: 300) { items { sku } } }",
        json!({ "id": category.to_string() }),
        &[],
    )
    .await;
    assert!(
        listing.body.to_string().contains("BNDL-YOGA-KIT"),
        "{}",
        listing.body
    );
    let route = post(
        &sandbox,
        "query($u: String!) { route(url: $u) { __typename ... on BundleProduct { sku } } }",
        json!({ "u": format!("{}.html", item["url_key"].as_str().unwrap_or_default()) }),
        &[],
    )
    .await;
    assert_eq!(
        route.data()["route"]["sku"],
        "BNDL-YOGA-KIT",
        "{}",
        route.body
    );
}

#[test]
fn appending_the_types_leaves_every_seeded_product_and_variant_as_it_was() {
    let plain = Catalog::seed(300, 50, 7);
    let typed = Catalog::seed_with(300, 50, 7, true);
    assert_eq!(typed.products.len(), 306);
    assert_eq!(typed.seeded_products(), 300);
    let mut ids = std::collections::HashSet::new();
    for (index, product) in plain.products.iter().enumerate() {
        let twin = &typed.products[index];
        assert_eq!((&twin.sku, twin.id), (&product.sku, product.id));
        ids.insert(product.id);
        for variant in product.configurable.iter().flat_map(|c| c.variants()) {
            assert!(ids.insert(variant.id), "variant id {} repeated", variant.id);
        }
    }
    for product in &typed.products[300..] {
        assert!(
            ids.insert(product.id),
            "{} reuses id {}",
            product.sku,
            product.id
        );
        assert_eq!(
            typed
                .item_by_sku(&product.sku)
                .map(|(i, _)| typed.product_id(i)),
            Some(product.id)
        );
    }
    assert!(plain.product_by_sku("BNDL-YOGA-KIT").is_none());
}

#[tokio::test]
async fn every_leaf_field_of_the_product_types_resolves_with_its_declared_type() {
    let sandbox = typed_sandbox();
    let query = format!(
        "query($skus: [String]) {{ products(filter: {{ sku: {{ in: $skus }} }}) {{ items {{
            ... on VirtualProduct {{ {} }}
            ... on DownloadableProduct {{ {} downloadable_product_links {{ {} }}
                downloadable_product_samples {{ {} }} }}
            ... on BundleProduct {{ {} price_details {{ {} }}
                items {{ {} options {{ {} }} }} }} }} }} }}",
        leaf_selection("VirtualProduct"),
        leaf_selection("DownloadableProduct"),
        leaf_selection("DownloadableProductLinks"),
        leaf_selection("DownloadableProductSamples"),
        leaf_selection("BundleProduct"),
        leaf_selection("PriceDetails"),
        leaf_selection("BundleItem"),
        leaf_selection("BundleItemOption"),
    );
    let answer = post(&sandbox, &query, json!({ "skus": TYPE_SKUS }), &[]).await;
    assert!(
        answer.body.get("errors").is_none(),
        "{query}\n{}",
        answer.body["errors"]
    );
    let items = answer.data()["products"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 6);
}

#[test]
fn the_erp_stocks_virtual_and_downloadable_products_but_not_bundles() {
    let sandbox = typed_sandbox();
    let inner = &sandbox.inner;
    let stock = inner.inventory.lookup(
        &inner.data.catalog,
        ["SVC-ASSEMBLY", "DL-TRAIL-GUIDE", "BNDL-YOGA-KIT"],
    );
    let skus: Vec<&str> = stock.iter().map(|(sku, _)| *sku).collect();
    assert_eq!(skus, ["SVC-ASSEMBLY", "DL-TRAIL-GUIDE"]);
    assert!(stock.iter().all(|(_, s)| s.salable() > 0));
}
