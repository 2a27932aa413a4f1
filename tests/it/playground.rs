//! The GraphiQL playground renders, opens on the product's own tabs (a category page with live
//! stock, the B2B sign-in and contract prices) and runs a query in headless Chromium with the
//! network off (every request outside the BFF's origin is refused and fails the test).

use std::process::Command;

use crate::support::TestApp;

#[tokio::test]
async fn the_playground_renders_and_runs_a_query_offline() {
    let app = TestApp::start().await;
    let root = env!("CARGO_MANIFEST_DIR");
    let script = format!("{root}/tests/browser/playground.mjs");
    assert!(
        std::path::Path::new(&format!("{root}/tests/browser/node_modules")).exists(),
        "browser test peers are not installed: run scripts/install-browser-deps"
    );
    let url = app.app.url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .arg("store_code")
            .env(
                "PLAYGROUND_TABS",
                "CategoryPage,B2BSignIn,ProductSearch,StoreConfig",
            )
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "playground test failed:\n{stdout}\n{stderr}"
    );
    assert!(
        app.upstream_calls() >= 1,
        "the playground's query never reached Commerce"
    );
    app.shutdown().await;
}
