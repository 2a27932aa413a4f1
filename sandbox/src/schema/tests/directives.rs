//! `@skip` / `@include` as the spec's field collection reads them: variables with their
//! defaults, and an object whose whole selection is skipped answering `{}`.

use super::*;

const ONE_PRODUCT: &str = "products(filter: { price: { from: \"0\" } }, pageSize: 1)";

#[tokio::test]
async fn a_boolean_variables_default_decides_skip_and_include() {
    let sandbox = sandbox();
    let query = format!(
        "query($skip: Boolean = true, $keep: Boolean = false) {{ {ONE_PRODUCT} {{
            items {{ sku @skip(if: $skip) name @include(if: $keep) __typename }} }} }}"
    );
    let answer = post(&sandbox, &query, json!({}), &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let item = &answer.data()["products"]["items"][0];
    let keys: Vec<&String> = item.as_object().expect("an item").keys().collect();
    assert_eq!(keys, ["__typename"], "{item}");

    // A value sent for the variable still beats its default.
    let sent = post(
        &sandbox,
        &query,
        json!({ "skip": false, "keep": true }),
        &[],
    )
    .await;
    let item = &sent.data()["products"]["items"][0];
    let keys: Vec<&String> = item.as_object().expect("an item").keys().collect();
    assert_eq!(keys, ["sku", "name", "__typename"], "{item}");
}

#[tokio::test]
async fn an_object_whose_whole_selection_is_skipped_is_an_empty_object() {
    let sandbox = sandbox();
    let query = format!(
        "query($skip: Boolean = true) {{ {ONE_PRODUCT} {{
            items {{ sku price_range {{ minimum_price @skip(if: true) {{ final_price {{ value }} }} }}
                     image {{ url @include(if: false) ... on ProductImage @skip(if: $skip) {{ label }} }}
                     ... on ConfigurableProduct {{ sku }} }}
            page_info {{ ... on SearchResultPageInfo @include(if: false) {{ page_size }} }} }} }}"
    );
    let answer = post(&sandbox, &query, json!({}), &[]).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let products = &answer.data()["products"];
    assert_eq!(products["page_info"], json!({}), "{products}");
    let item = &products["items"][0];
    assert_eq!(item["price_range"], json!({}), "{item}");
    assert_eq!(item["image"], json!({}), "{item}");

    // A null object stays null, and a whole skipped root selection is an empty `data`.
    let root = post(&sandbox, "{ __typename @skip(if: true) }", json!({}), &[]).await;
    assert_eq!(root.body["data"], json!({}), "{}", root.body);
}

#[tokio::test]
async fn a_variable_used_only_in_a_directive_of_typename_counts_as_used() {
    let sandbox = sandbox();
    let query = format!(
        "query($show: Boolean!, $hide: Boolean = true) {{ {ONE_PRODUCT} {{
            items {{ sku __typename @include(if: $show) @skip(if: $hide) }} }} }}"
    );
    let answer = post(
        &sandbox,
        &query,
        json!({ "show": true, "hide": false }),
        &[],
    )
    .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    let item = &answer.data()["products"]["items"][0];
    let keys: Vec<&String> = item.as_object().expect("an item").keys().collect();
    assert_eq!(keys, ["sku", "__typename"], "{item}");

    let hidden = post(&sandbox, &query, json!({ "show": true }), &[]).await;
    let item = &hidden.data()["products"]["items"][0];
    let keys: Vec<&String> = item.as_object().expect("an item").keys().collect();
    assert_eq!(keys, ["sku"], "{item}");
}
