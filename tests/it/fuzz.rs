//! A bounded fuzz target over parsing and planning: whatever a client sends as a document (raw
//! bytes, or GraphQL-ish text with deep nesting, huge numbers, odd unicode, unterminated strings,
//! fragment cycles and nested variable defaults), the planner answers a plan or an error with a
//! stable code, and never panics or overflows its stack (which would abort this test binary).
//! Seeded and with a fixed case count, so it runs the same cases in a few seconds every time.

use std::sync::Arc;

use commerce_schema::Sdl;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestRunner};
use serde_json::{Value, json};
use storefront_bff::config::{Config, GraphqlConfig, MAX_SAFE_NESTING};
use storefront_bff::gateway::plan::{MergedFields, Planner};
use storefront_bff::gateway::{ComposedSchema, SchemaSource};
use storefront_bff::sources::commerce::HttpCommerce;

fn planner() -> Planner {
    // The largest nesting bound the configuration accepts: it must hold on a 2 MiB stack.
    planner_with(GraphqlConfig {
        max_nesting: MAX_SAFE_NESTING,
        ..GraphqlConfig::default()
    })
}

fn planner_with(graphql: GraphqlConfig) -> Planner {
    let schema = ComposedSchema::compose(
        Sdl::bundled(),
        SchemaSource::Bundled,
        storefront_bff::server::extensions(),
        true,
    )
    .expect("the bundled schema composes");
    // Both overwrite switches on, so the planner adds every join key it can.
    let mut config = Config::default();
    config.inventory.overwrite_stock_status = true;
    config.cpq.overwrite_price_range = true;
    // Nothing listens there: planning never calls a source.
    config.inventory.url = "http://127.0.0.1:9/inventory".into();
    config.cpq.url = "http://127.0.0.1:9/cpq".into();
    let commerce = HttpCommerce::new("http://127.0.0.1:9/graphql", &config.commerce)
        .expect("a Commerce client for an address");
    let extensions = storefront_bff::server::merged_extensions(&config, Arc::new(commerce))
        .expect("the extensions build");
    Planner::new(
        Arc::new(schema),
        graphql,
        true,
        MergedFields::new(&extensions),
        config.query_cost.clone(),
    )
}

const NAMES: &[&str] = &[
    "products",
    "items",
    "sku",
    "name",
    "price_range",
    "minimum_price",
    "final_price",
    "value",
    "categoryList",
    "children",
    "uid",
    "storeConfig",
    "store_code",
    "live_stock",
    "salable_qty",
    "sources",
    "contract_price",
    "amount",
    "__typename",
    "__schema",
    "types",
    "cart",
    "variants",
    "product",
    "nope",
    "é",
    "_",
];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES).prop_map(str::to_owned)
}

fn leaf_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1".to_owned()),
        Just("-0".to_owned()),
        Just("99999999999999999999999999999999999999999".to_owned()),
        Just("1e99999".to_owned()),
        Just("0.000000000000000000000000001".to_owned()),
        Just("true".to_owned()),
        Just("null".to_owned()),
        Just("ASC".to_owned()),
        Just("$v".to_owned()),
        Just("$nope".to_owned()),
        Just("\"\\u{1F600}\\uD800 ü \u{202E}\u{0}\"".to_owned()),
        Just("\"unterminated".to_owned()),
        Just("\"\"\"block \\\"\"\" {[( \"\"\"".to_owned()),
        Just("\"\"\"unterminated block".to_owned()),
        "[a-zA-Z0-9 _\\-\\.]{0,8}".prop_map(|s| format!("\"{s}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// A list or object value nested `depth` levels, the shape that overflowed the parser.
fn deep_value() -> impl Strategy<Value = String> {
    // Around the default bound, around the largest allowed one, and far past both.
    let depth = prop_oneof![0usize..80, 240usize..270, 0usize..3_000];
    (depth, any::<bool>(), leaf_value()).prop_map(|(depth, list, leaf)| {
        if list {
            format!("{}{leaf}{}", "[".repeat(depth), "]".repeat(depth))
        } else {
            format!("{}{leaf}{}", "{a:".repeat(depth), "}".repeat(depth))
        }
    })
}

fn value() -> impl Strategy<Value = String> {
    let shallow = leaf_value().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((name(), inner), 0..4).prop_map(|fields| {
                let fields: Vec<String> = fields.iter().map(|(n, v)| format!("{n}: {v}")).collect();
                format!("{{{}}}", fields.join(", "))
            }),
        ]
    });
    prop_oneof![4 => shallow, 1 => deep_value()]
}

fn arguments() -> impl Strategy<Value = String> {
    prop::collection::vec((name(), value()), 0..3).prop_map(|args| {
        if args.is_empty() {
            String::new()
        } else {
            let args: Vec<String> = args.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            format!("({})", args.join(", "))
        }
    })
}

fn directives() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(&["include", "skip", "deprecated", "nope"][..]),
            value(),
        ),
        0..2,
    )
    .prop_map(|ds| {
        ds.iter()
            .map(|(d, v)| format!(" @{d}(if: {v})"))
            .collect::<String>()
    })
}

fn selection_set() -> impl Strategy<Value = String> {
    let field = (prop::option::of(name()), name(), arguments(), directives())
        .prop_map(|(alias, n, args, dirs)| match alias {
            Some(a) => format!("{a}: {n}{args}{dirs}"),
            None => format!("{n}{args}{dirs}"),
        })
        .boxed();
    let spread = (0u8..4).prop_map(|i| format!("...F{i}"));
    let leaf = prop_oneof![3 => field.clone(), 1 => spread];
    leaf.prop_recursive(12, 64, 4, move |inner| {
        let set = prop::collection::vec(inner, 1..4).prop_map(|items| items.join(" "));
        prop_oneof![
            (field.clone(), set.clone()).prop_map(|(f, s)| format!("{f} {{ {s} }}")),
            (
                prop::sample::select(&["ProductInterface", "SimpleProduct", "Query", "Nope"][..]),
                set,
            )
                .prop_map(|(on, s)| format!("... on {on} {{ {s} }}")),
        ]
    })
}

/// An operation with variable definitions (nested defaults), plus fragments F0..F3 that may
/// spread each other in cycles.
fn document() -> impl Strategy<Value = String> {
    let operation = (
        prop::sample::select(&["", "query", "query Q", "mutation", "subscription"][..]),
        prop::option::of((
            prop::sample::select(&["String", "[String]", "Float!", "Boolean", "[[Int]]"][..]),
            prop::option::of(value()),
        )),
        directives(),
        prop::collection::vec(selection_set(), 1..4),
    )
        .prop_map(|(kind, var, dirs, items)| {
            let vars = match var {
                Some((ty, Some(default))) => format!("($v: {ty} = {default})"),
                Some((ty, None)) => format!("($v: {ty})"),
                None => String::new(),
            };
            let head = if kind.is_empty() && vars.is_empty() && dirs.is_empty() {
                String::new()
            } else {
                format!(
                    "{} {vars}{dirs}",
                    if kind.is_empty() { "query" } else { kind }
                )
            };
            format!("{head} {{ {} }}", items.join(" "))
        });
    let fragments = prop::collection::vec(
        (
            prop::sample::select(&["ProductInterface", "StoreConfig", "Query", "CategoryTree"][..]),
            selection_set(),
        ),
        0..4,
    )
    .prop_map(|fs| {
        fs.iter()
            .enumerate()
            .map(|(i, (on, s))| format!(" fragment F{i} on {on} {{ {s} }}"))
            .collect::<String>()
    });
    (operation, fragments).prop_map(|(op, fs)| format!("{op}{fs}"))
}

/// Documents a fuzzer would send: raw bytes, generated documents, and generated documents cut or
/// spliced with random bytes.
fn hostile_input() -> impl Strategy<Value = String> {
    let raw = prop::collection::vec(any::<u8>(), 0..600)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned());
    let spliced =
        (document(), any::<prop::sample::Index>(), ".{0,8}").prop_map(|(doc, at, junk)| {
            let mut at = at.index(doc.len() + 1);
            while !doc.is_char_boundary(at) {
                at -= 1;
            }
            format!("{}{junk}{}", &doc[..at], &doc[at..])
        });
    let truncated = (document(), any::<prop::sample::Index>()).prop_map(|(doc, at)| {
        let mut at = at.index(doc.len() + 1);
        while !doc.is_char_boundary(at) {
            at -= 1;
        }
        doc[..at].to_owned()
    });
    prop_oneof![1 => raw, 4 => document(), 1 => spliced, 1 => truncated]
}

fn variables() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!({ "v": "x" }))),
        Just(Some(json!({ "v": [[1, 2], [3]] }))),
        Just(Some(json!({ "v": { "a": { "b": null } } }))),
        Just(Some(json!({ "v": 1e300 }))),
    ]
}

#[test]
fn no_document_makes_the_planner_panic_or_overflow_its_stack() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let planner = planner();
    let config = ProptestConfig {
        cases: 1_000,
        rng_seed: RngSeed::Fixed(0x5eed_6b0b),
        failure_persistence: None,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = (hostile_input(), variables(), prop::option::of("Q|R"));
    let outcome = runner.run(&strategy, |(document, variables, operation_name)| {
        let planned = runtime.block_on(planner.plan(
            &document,
            operation_name.as_deref(),
            variables.as_ref(),
        ));
        if let Err(error) = planned {
            for e in &error.errors {
                prop_assert!(
                    e["extensions"]["code"].is_string(),
                    "an error without a code: {e}"
                );
            }
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

/// Beside the fuzz target because it drives the same planner: a flood of large distinct documents
/// (each a valid query) must not grow the plan cache past its byte budget.
#[tokio::test]
async fn thousands_of_large_distinct_documents_keep_the_plan_cache_within_its_budget() {
    let budget = 1024 * 1024;
    let planner = planner_with(GraphqlConfig {
        plan_cache_max_bytes: budget,
        ..GraphqlConfig::default()
    });
    let filler = "a".repeat(40_000);
    for i in 0..120 {
        // One string token: far under the token limit, 40 KB of text to keep.
        let query = format!("{{ products(search: \"{i} {filler}\") {{ total_count }} }}");
        planner
            .plan(&query, None, None)
            .await
            .expect("a valid document plans");
    }
    let held = planner.cached_plan_bytes();
    assert!(
        held <= budget,
        "{held} bytes of plans for a budget of {budget}"
    );
    assert!(held > budget / 4, "plans are cached at all: {held}");
}
