// Mounts GraphiQL against this BFF's own /graphql (same origin, JSON POST).
// Loaded after the React, ReactDOM and GraphiQL UMD bundles (all `defer`, in order).
(function () {
  'use strict';

  var PRODUCT_SEARCH = [
    '# storefront-bff playground',
    '#',
    '# Runs against this BFF\'s /graphql, which speaks',
    '# Adobe Commerce\'s storefront schema.',
    '# Run: play button or Ctrl-Enter. Schema: Docs (left).',
    '',
    'query ProductSearch {',
    '  products(search: "bag", pageSize: 5) {',
    '    total_count',
    '    items {',
    '      sku',
    '      name',
    '      price_range {',
    '        minimum_price {',
    '          regular_price { value currency }',
    '          final_price { value currency }',
    '        }',
    '      }',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  var STORE_CONFIG = [
    '# The store view this BFF answers for.',
    '{',
    '  storeConfig {',
    '    store_code',
    '    store_name',
    '    base_currency_code',
    '  }',
    '}',
    ''
  ].join('\n');

  // A plain fetch rather than GraphiQL.createFetcher: no multipart/subscription
  // negotiation, and a non-JSON answer (a proxy's error page) becomes a readable error.
  function fetchGraphQL(params, options) {
    var headers = Object.assign(
      { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      options && options.headers
    );
    return fetch('/graphql', {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(params),
      credentials: 'same-origin'
    }).then(function (response) {
      return response.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (_) {
          return { errors: [{ message: 'HTTP ' + response.status + ': the answer was not JSON: ' + text.slice(0, 200) }] };
        }
      });
    });
  }

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetchGraphQL,
      // GraphiQL 3 ignores a default tab's variables, hence literal arguments in the examples.
      defaultTabs: [{ query: PRODUCT_SEARCH }, { query: STORE_CONFIG }]
    })
  );
})();
