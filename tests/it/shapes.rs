//! Query shapes as clients write them: every answer of the BFF equals what the spec's execution
//! gives over the connectors' own answers, key order included.
//!
//! * Local execution (introspection on the composed schema) and the sandbox honour a Boolean
//!   variable's default in `@skip`/`@include`, and answer `{}` for an object whose whole
//!   selection is skipped.
//! * A property-based test writes random documents with `live_stock` and `contract_price`
//!   (`shapes/document.rs`: aliases with other arguments and sub-selections, fragments on the
//!   interface and the concrete types, variants, several root fields, `@skip`/`@include` with
//!   literals, variables and defaults, repeated keys), sends each as Acme's buyer three times
//!   (as written, with other variable values, with other extension fields) and holds every
//!   answer to an oracle (`shapes/oracle.rs`) that executes the document over what the sandbox
//!   and its connectors answer directly. The seed is fixed and the case count bounded; stock
//!   does not move meanwhile (`TestApp` turns the sandbox's order stream off), so the BFF's
//!   caches can only change an answer by being wrong. On failure it prints the seed, the first
//!   failing documents with a diff, and the first one shrunk. Run it with
//!   `cargo nextest run -E 'test(/shapes/)'`.

mod document;
mod oracle;

use std::collections::HashMap;

use proptest::collection::vec;
use proptest::prelude::any;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::support::TestApp;
use document::{Choices, Vocabulary, generate};
use oracle::{Truth, differences, expected_answer, normalise};

/// Documents tried per run, and the most re-checks spent shrinking the first failure.
const CASES: usize = 150;
const SHRINK_CHECKS: usize = 300;
/// The fixed seed (`SHAPES_SEED=<u64>` tries another).
const SEED: u64 = 6;

#[tokio::test]
async fn local_execution_honours_a_boolean_variables_default_in_skip_and_include() {
    let app = TestApp::start().await;
    let query = r#"query($hide: Boolean = true, $show: Boolean = false) {
        __type(name: "LiveStock") { name kind @skip(if: $hide) description @include(if: $show) }
    }"#;
    let answer = app.query(query, json!({})).await;
    assert_eq!(
        answer.body,
        json!({ "data": { "__type": { "name": "LiveStock" } } })
    );

    let sent = app.query(query, json!({ "hide": false })).await;
    assert_eq!(
        sent.body,
        json!({ "data": { "__type": { "name": "LiveStock", "kind": "OBJECT" } } })
    );
    app.shutdown().await;
}

#[tokio::test]
async fn local_execution_answers_an_empty_object_when_its_whole_selection_is_skipped() {
    let app = TestApp::start().await;
    let query = r#"query($hide: Boolean = true) {
        __type(name: "LiveStock") { name @skip(if: $hide) }
        __schema { queryType { name @include(if: false) } }
        products(filter: { price: { from: "0" } }, pageSize: 1) {
            items { price_range { minimum_price @skip(if: $hide) { final_price { value } } } }
        }
    }"#;
    let answer = app.query(query, json!({})).await;
    assert_eq!(
        answer.body,
        json!({ "data": {
            "__type": {},
            "__schema": { "queryType": {} },
            "products": { "items": [{ "price_range": {} }] },
        } })
    );
    app.shutdown().await;
}

#[tokio::test]
async fn generated_query_shapes_answer_as_the_spec_executes_them_over_the_connectors_answers() {
    // One buyer sends every case three times in a few seconds: far past a shopper's rate, which
    // is not what this test is about (tests/it/abuse.rs is).
    let app = TestApp::start_with(
        |config| {
            config.rate_limits.per_token_per_second = 0;
            config.rate_limits.per_ip_per_second = 0;
        },
        Vec::new(),
    )
    .await;
    let acme = format!(
        "Bearer {}",
        app.customer_token(sandbox::demo::ACME_BUYER.0, sandbox::demo::ACME_BUYER.1)
            .await
    );
    let (vocabulary, truth) = fetch_truth(&app, &acme).await;
    let seed = std::env::var("SHAPES_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = vec(any::<u8>(), 0..200);
    let shapes = Shapes {
        app: &app,
        acme: &acme,
        vocabulary: &vocabulary,
        truth: &truth,
    };

    let mut failures = Vec::new();
    for case in 0..CASES {
        let tree = strategy.new_tree(&mut runner).expect("a generated case");
        if let Some(report) = shapes.check(&tree.current()).await {
            failures.push((case, tree, report));
        }
    }
    let Some((case, tree, _)) = failures.first_mut() else {
        app.shutdown().await;
        return;
    };
    let (case, minimal) = (*case, shapes.shrink(tree).await);
    let every = std::env::var("SHAPES_REPORT").is_ok_and(|v| v == "all");
    let shown: Vec<String> = failures
        .iter()
        .take(if every { usize::MAX } else { 3 })
        .map(|(case, _, report)| format!("--- case {case}\n{report}"))
        .collect();
    app.shutdown().await;
    panic!(
        "{} of {CASES} generated shapes answered differently from the spec (seed {seed}; \
         SHAPES_REPORT=all lists every one)\n{}\n=== case {case}, shrunk:\n{minimal}",
        failures.len(),
        shown.join("\n"),
    );
}

struct Shapes<'a> {
    app: &'a TestApp,
    acme: &'a str,
    vocabulary: &'a Vocabulary,
    truth: &'a Truth,
}

impl Shapes<'_> {
    /// Sends the document `choices` write, then the same text with other variable values, then
    /// a document differing only in the extension fields (a cache keyed on Commerce's part
    /// alone answers the later ones with the first's shape and prices); `None` when every
    /// answer is the oracle's, else the document, its variables and where the answers differ.
    async fn check(&self, choices: &[u8]) -> Option<String> {
        let mut document = generate(&mut Choices::new(choices));
        let rounds = [
            "sent first",
            "sent next, the same text with other variable values",
            "sent last, other extension fields",
        ];
        for (i, round) in rounds.into_iter().enumerate() {
            match i {
                1 => document.change_variable_values(),
                2 => document.vary_extension_fields(),
                _ => {}
            }
            let text = document.print(self.vocabulary);
            let variables = document.variables_json();
            let answer = self
                .app
                .query_with(&text, variables.clone(), &[("Authorization", self.acme)])
                .await;
            let expected = normalise(&expected_answer(&document, self.truth));
            let actual = normalise(&answer.body);
            // Not `==`: serde_json's maps compare equal whatever their key order.
            let mut diff = Vec::new();
            differences("", &expected, &actual, &mut diff);
            if !diff.is_empty() {
                diff.truncate(12);
                return Some(format!(
                    "{text}\nvariables ({round}): {variables}\ndifferences:\n  {}\nanswer: {}",
                    diff.join("\n  "),
                    answer.body
                ));
            }
        }
        None
    }

    /// proptest's shrinking loop, bounded: the simplest document that still fails.
    async fn shrink(&self, tree: &mut impl ValueTree<Value = Vec<u8>>) -> String {
        let mut last = self.check(&tree.current()).await.unwrap_or_default();
        for _ in 0..SHRINK_CHECKS {
            if !tree.simplify() {
                break;
            }
            match self.check(&tree.current()).await {
                Some(report) => last = report,
                None if !tree.complicate() => break,
                None => {}
            }
        }
        last
    }
}

/// Two root filters over a few simple and configurable products, and the truth about them.
async fn fetch_truth(app: &TestApp, acme: &str) -> (Vocabulary, Truth) {
    let auth = [("Authorization", acme)];
    let catalog = app
        .query_commerce(
            "{ products(filter: { price: { from: \"0\" } }, pageSize: 60) { items { __typename sku } } }",
            json!({}),
            &auth,
        )
        .await;
    // The contracts whose validity has passed or not begun: the second filter adds them (the
    // oracle must answer `null` for their contract prices).
    let out_of_validity: Vec<String> = [
        sandbox::demo::expired_contract_sku(&app.sandbox.sandbox),
        sandbox::demo::future_contract_sku(&app.sandbox.sandbox),
    ]
    .into_iter()
    .flatten()
    .collect();
    let of_type = |ty: &str, n: usize| -> Vec<String> {
        catalog.body["data"]["products"]["items"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|i| i["__typename"] == ty)
            .filter_map(|i| i["sku"].as_str().map(str::to_string))
            .filter(|sku| !out_of_validity.contains(sku))
            .take(n)
            .collect()
    };
    let (simple, configurable) = (
        of_type("SimpleProduct", 3),
        of_type("ConfigurableProduct", 2),
    );
    assert!(
        simple.len() == 3 && configurable.len() == 2,
        "{}",
        catalog.body
    );
    let mut second = vec![
        simple[2].clone(),
        configurable[1].clone(),
        simple[0].clone(),
    ];
    second.extend(out_of_validity);
    let first = vec![
        configurable[0].clone(),
        simple[0].clone(),
        simple[1].clone(),
    ];
    let filters = vec![first, second];
    let vocabulary = Vocabulary { filters };

    let mut products = Vec::new();
    for i in 0..vocabulary.filters.len() {
        let query = format!(
            "{{ products{} {{ total_count items {{ {FULL_PRODUCT} ... on ConfigurableProduct {{ variants {{ product {{ {FULL_PRODUCT} }} }} }} }} }} }}",
            vocabulary.filter_args(i)
        );
        let answer = app.query_commerce(&query, json!({}), &auth).await;
        assert!(answer.body.get("errors").is_none(), "{}", answer.body);
        products.push(answer.body["data"]["products"].clone());
    }
    let mut skus: Vec<String> = Vec::new();
    collect_skus(&Value::Array(products.clone()), &mut skus);
    let stock = app
        .connector("/inventory/v1/stock/lookup", json!({ "skus": skus }))
        .await;
    let prices = app
        .connector(
            "/cpq/v1/contract-prices/lookup",
            json!({ "company_id": sandbox::demo::ACME_COMPANY_ID, "currency": "USD", "skus": skus }),
        )
        .await;
    let by_sku = |answer: &Value| -> HashMap<String, Value> {
        answer["items"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|i| Some((i["sku"].as_str()?.to_string(), i.clone())))
            .collect()
    };
    let truth = Truth {
        products,
        stock: by_sku(&stock),
        prices: by_sku(&prices),
        price_list: prices["price_list"].clone(),
        currency: prices["currency"].as_str().unwrap_or("USD").to_string(),
    };
    assert!(
        !truth.stock.is_empty() && !truth.prices.is_empty(),
        "{stock}\n{prices}"
    );
    (vocabulary, truth)
}

/// Every product field the generator can select outside the extensions.
const FULL_PRODUCT: &str = "__typename sku name stock_status price_range { minimum_price { final_price { value currency } } }";

fn collect_skus(value: &Value, skus: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::String(sku)) = fields.get("sku")
                && !skus.contains(sku)
            {
                skus.push(sku.clone());
            }
            fields.values().for_each(|v| collect_skus(v, skus));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_skus(v, skus)),
        _ => {}
    }
}
