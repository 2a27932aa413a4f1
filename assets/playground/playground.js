// Mounts GraphiQL against this BFF's own /graphql (same origin, JSON POST).
// Loaded after the React, ReactDOM and GraphiQL UMD bundles (all `defer`, in order).
(function () {
  'use strict';

  // What makes this BFF different first: a category page with live stock from the ERP/WMS,
  // then B2B contract prices from the CPQ (sign in, then query with the token).
  var CATEGORY_PAGE = [
    '# storefront-bff playground: Adobe Commerce\'s storefront schema, plus',
    '# live_stock (ERP/WMS) and contract_price (CPQ) merged into every product.',
    '# Run: play button or Ctrl-Enter. Schema: Docs (left). Other tabs: B2B, search.',
    '# Run it twice: the second answer comes from the response cache (X-Cache: HIT).',
    '',
    'query CategoryPage {',
    '  products(',
    '    filter: { category_url_path: { eq: "men/tops-men/jackets-men" } }',
    '    pageSize: 12',
    '  ) {',
    '    total_count',
    '    items {',
    '      sku',
    '      name',
    '      stock_status',
    '      live_stock {',
    '        salable_qty',
    '        status',
    '        freshness',
    '        sources { source_code salable_qty }',
    '      }',
    '      price_range {',
    '        minimum_price { final_price { value currency } }',
    '      }',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  var B2B = [
    '# B2B contract prices (demo login: buyer@acme.example / Acme123!).',
    '# 1. Run B2BSignIn (play button, then pick it): the playground keeps the token.',
    '# 2. Run B2BContractPrices: the Headers pane below sends',
    '#    Authorization: Bearer {{customer_token}}, filled in with that token.',
    '# Guests and customers without a company get contract_price: null.',
    '',
    'mutation B2BSignIn {',
    '  generateCustomerToken(email: "buyer@acme.example", password: "Acme123!") {',
    '    token',
    '  }',
    '}',
    '',
    'query B2BContractPrices {',
    '  products(search: "jacket", pageSize: 5) {',
    '    items {',
    '      sku',
    '      name',
    '      price_range { minimum_price { final_price { value currency } } }',
    '      contract_price(quantity: 10) {',
    '        unit_price { value currency }',
    '        price_list { name }',
    '        tiers { min_quantity unit_price { value } }',
    '      }',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  var B2B_HEADERS = JSON.stringify({ Authorization: 'Bearer {{customer_token}}', Store: 'default' }, null, 2);

  var PRODUCT_SEARCH = [
    '# Search with prices; send a Store header (default, de) for another store view.',
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
    '# The store view this BFF answers for (Store header: default, de).',
    'query StoreConfig {',
    '  storeConfig {',
    '    store_code',
    '    store_name',
    '    base_currency_code',
    '  }',
    '}',
    ''
  ].join('\n');

  // The last token generateCustomerToken answered in this page, for `{{customer_token}}`.
  var customerToken = null;

  // Fills `{{customer_token}}` in; before any sign-in the placeholder header is left out, so
  // the query runs as a guest instead of failing on a malformed token.
  function withToken(headers) {
    var out = {};
    Object.keys(headers || {}).forEach(function (name) {
      var value = String(headers[name]);
      if (value.indexOf('{{customer_token}}') >= 0) {
        if (!customerToken) return;
        value = value.split('{{customer_token}}').join(customerToken);
      }
      out[name] = value;
    });
    return out;
  }

  function rememberToken(result) {
    var token = result && result.data && result.data.generateCustomerToken && result.data.generateCustomerToken.token;
    if (typeof token === 'string' && token) customerToken = token;
    return result;
  }

  // A plain fetch rather than GraphiQL.createFetcher: no multipart/subscription
  // negotiation, and a non-JSON answer (a proxy's error page) becomes a readable error.
  function fetchGraphQL(params, options) {
    var headers = Object.assign(
      { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      withToken(options && options.headers)
    );
    return fetch('/graphql', {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(params),
      credentials: 'same-origin'
    }).then(function (response) {
      return response.text().then(function (text) {
        try {
          return rememberToken(JSON.parse(text));
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
      defaultTabs: [
        { query: CATEGORY_PAGE },
        { query: B2B, headers: B2B_HEADERS },
        { query: PRODUCT_SEARCH },
        { query: STORE_CONFIG }
      ]
    })
  );
})();
