// Hive Gateway serving the Commerce supergraph mesh.config.ts composes, extended the way an API
// Mesh user extends a mesh: the extension SDL as `additionalTypeDefs`, and programmatic
// `additionalResolvers`, one per product type, with a `selectionSet` asking Commerce for the
// `sku`, calling the inventory and CPQ REST services, batched per request with DataLoader, and
// keeping what they answer in process-wide TTL caches with the BFF's freshness rules (stock 5 s per
// SKU, a token's company 300 s, contract prices 60 s per company + currency + SKU).
//
// Environment:
//   INVENTORY_URL, CPQ_URL      service base URLs (`/v1/...` is appended), e.g. http://127.0.0.1:4900/inventory
//   INVENTORY_TOKEN, CPQ_TOKEN  bearer tokens of the two services
//   HIVE_RESPONSE_CACHE         `on`: Hive's response cache plugin; anything else: off
import { readFileSync } from 'node:fs';
import DataLoader from 'dataloader';
import { defineConfig, type GatewayContext } from '@graphql-hive/gateway';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`set ${name}`);
  }
  return value;
}

const inventoryUrl = requireEnv('INVENTORY_URL');
const inventoryToken = requireEnv('INVENTORY_TOKEN');
const cpqUrl = requireEnv('CPQ_URL');
const cpqToken = requireEnv('CPQ_TOKEN');

/** Freshness the BFF's defaults promise: stock at most 5 s old (`inventory.ttl_ms`), contract
 * prices at most 60 s (`cpq.ttl_ms`), a customer token's company 300 s (`cpq.company_ttl_secs`). */
const STOCK_TTL_MS = 5_000;
const CONTRACT_PRICE_TTL_MS = 60_000;
const COMPANY_TTL_MS = 300_000;
/** Entries each cross-request cache keeps at most (oldest first out), so memory stays bounded. */
const CACHE_MAX_ENTRIES = 100_000;
/** The BFF's response cache lifetime (`cache.ttl_secs` = 300). */
const RESPONSE_TTL_MS = 300_000;

/** Headers a storefront sends that change Commerce's answer; all are forwarded to Commerce. */
const FORWARDED_HEADERS = ['authorization', 'store', 'content-currency'];

/**
 * A process-wide cache with a lifetime per entry and a bound on entries, as a mesh author writes
 * one (a `Map` in insertion order: the oldest entry goes first). It stores promises, so requests
 * that miss the same key together share one upstream call, and a failed call is forgotten.
 */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expires: number }>();
  constructor(private readonly ttlMs: number) {}

  get(key: string): Promise<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: Promise<V>): void {
    this.entries.delete(key);
    if (this.entries.size >= CACHE_MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) {
        this.entries.delete(oldest);
      }
    }
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) {
        this.entries.delete(key);
      }
    });
  }
}

async function postJson(url: string, token: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

// --- inventory: docs/connectors/inventory.md -------------------------------------------------

interface StockItem {
  sku: string;
  sources: { source_code: string; quantity: number; reserved?: number }[];
  updated_at: string;
}

function toLiveStock(item: StockItem) {
  const sources = item.sources.map((source) => {
    const salable = Math.max(source.quantity - (source.reserved ?? 0), 0);
    return {
      source_code: source.source_code,
      salable_qty: salable,
      status: salable > 0 ? 'IN_STOCK' : 'OUT_OF_STOCK',
    };
  });
  const total = sources.reduce((sum, source) => sum + source.salable_qty, 0);
  return {
    salable_qty: total,
    status: total > 0 ? 'IN_STOCK' : 'OUT_OF_STOCK',
    sources,
    updated_at: item.updated_at,
    freshness: 'FRESH',
  };
}

async function lookUpStock(skus: readonly string[]) {
  const response = await postJson(`${inventoryUrl}/v1/stock/lookup`, inventoryToken, { skus });
  if (!response.ok) {
    throw new Error(`inventory lookup failed with HTTP ${response.status}`);
  }
  const { items } = (await response.json()) as { items: StockItem[] };
  const bySku = new Map(items.map((item) => [item.sku, item]));
  return skus.map((sku) => {
    const item = bySku.get(sku);
    return item ? toLiveStock(item) : null;
  });
}

type LiveStock = ReturnType<typeof toLiveStock>;
const stockCache = new TtlCache<LiveStock | null>(STOCK_TTL_MS);

/**
 * DataLoader batch: fresh cached SKUs from the cache, the rest in one inventory lookup. Each SKU's
 * promise is read once, so an entry that expires during the batch cannot turn into a null.
 */
function cachedStock(skus: readonly string[]): Promise<(LiveStock | null)[]> {
  const found = skus.map((sku) => stockCache.get(sku));
  const misses = skus.filter((_, i) => found[i] === undefined);
  if (misses.length > 0) {
    const lookup = lookUpStock(misses);
    let next = 0;
    found.forEach((cached, i) => {
      if (cached === undefined) {
        const at = next++;
        found[i] = lookup.then((items) => items[at] ?? null);
        stockCache.set(skus[i], found[i]);
      }
    });
  }
  return Promise.all(found as Promise<LiveStock | null>[]);
}

// --- CPQ: docs/connectors/cpq.md -------------------------------------------------------------

interface ContractPriceItem {
  sku: string;
  tiers: { min_quantity: number; unit_price: number }[];
  valid_from: string | null;
  valid_to: string | null;
}
interface PriceList {
  id: string;
  name: string;
  contract_id: string | null;
}
type ContractOffer = { priceList: PriceList; currency: string; item: ContractPriceItem } | null;

async function lookUpContractPrices(companyId: string, currency: string, skus: readonly string[]) {
  const response = await postJson(`${cpqUrl}/v1/contract-prices/lookup`, cpqToken, {
    company_id: companyId,
    currency,
    skus,
  });
  if (response.status === 404) {
    return skus.map((): ContractOffer => null); // UNKNOWN_COMPANY: no contract
  }
  if (!response.ok) {
    throw new Error(`CPQ lookup failed with HTTP ${response.status}`);
  }
  const answer = (await response.json()) as {
    price_list: PriceList | null;
    currency: string;
    items: ContractPriceItem[];
  };
  const priceList = answer.price_list;
  const bySku = new Map(answer.items.map((item) => [item.sku, item]));
  return skus.map((sku): ContractOffer => {
    const item = bySku.get(sku);
    return priceList && item ? { priceList, currency: answer.currency, item } : null;
  });
}

const contractCache = new TtlCache<ContractOffer>(CONTRACT_PRICE_TTL_MS);

/** DataLoader batch per company and currency: cached offers, the rest in one CPQ lookup. */
function cachedContractPrices(companyId: string, currency: string, skus: readonly string[]) {
  const key = (sku: string) => `${companyId}\n${currency}\n${sku}`;
  const found = skus.map((sku) => contractCache.get(key(sku)));
  const misses = skus.filter((_, i) => found[i] === undefined);
  if (misses.length > 0) {
    const lookup = lookUpContractPrices(companyId, currency, misses);
    let next = 0;
    found.forEach((cached, i) => {
      if (cached === undefined) {
        const at = next++;
        found[i] = lookup.then((offers) => offers[at] ?? null);
        contractCache.set(key(skus[i]), found[i]);
      }
    });
  }
  return Promise.all(found as Promise<ContractOffer>[]);
}

function toContractPrice(offer: ContractOffer, quantity: number) {
  if (!offer) {
    return null;
  }
  const { item, priceList, currency } = offer;
  const today = new Date().toISOString().slice(0, 10);
  if ((item.valid_from && today < item.valid_from) || (item.valid_to && today > item.valid_to)) {
    return null;
  }
  const tiers = [...item.tiers].sort((a, b) => a.min_quantity - b.min_quantity);
  const tier = tiers.filter((t) => t.min_quantity <= quantity).pop();
  if (!tier) {
    return null;
  }
  return {
    unit_price: { value: tier.unit_price, currency },
    quantity,
    price_list: { id: priceList.id, name: priceList.name, contract_id: priceList.contract_id ?? null },
    tiers: tiers.map((t) => ({ min_quantity: t.min_quantity, unit_price: { value: t.unit_price, currency } })),
    valid_from: item.valid_from ?? null,
    valid_to: item.valid_to ?? null,
    freshness: 'FRESH',
  };
}

// --- per-request state: one DataLoader per service; the customer's company cached per token ---

interface RequestState {
  stock: DataLoader<string, LiveStock | null>;
  contractPrices: Map<string, DataLoader<string, ContractOffer>>;
}
const companyCache = new TtlCache<string | null>(COMPANY_TTL_MS);
const requestStates = new WeakMap<object, RequestState>();

function stateOf(context: GatewayContext): RequestState {
  let state = requestStates.get(context);
  if (!state) {
    state = { stock: new DataLoader(cachedStock), contractPrices: new Map() };
    requestStates.set(context, state);
  }
  return state;
}

/** The caller's B2B company id from Commerce (`company { id }` with their token), cached per token. */
function companyIdOf(context: GatewayContext & Record<string, any>, token: string): Promise<string | null> {
  let companyId = companyCache.get(token);
  if (companyId === undefined) {
    companyId = Promise.resolve(
      context.Commerce.Query.company({ root: {}, context, selectionSet: '{ id }' }),
    ).then(
      (company: { id?: string } | null) => company?.id ?? null,
      () => null, // not a company user
    );
    companyCache.set(token, companyId);
  }
  return companyId;
}

function contractPriceLoader(context: GatewayContext, companyId: string, currency: string) {
  const loaders = stateOf(context).contractPrices;
  const key = `${companyId}\n${currency}`;
  let loader = loaders.get(key);
  if (!loader) {
    loader = new DataLoader((skus: readonly string[]) => cachedContractPrices(companyId, currency, skus));
    loaders.set(key, loader);
  }
  return loader;
}

// --- resolvers --------------------------------------------------------------------------------

const liveStock = {
  selectionSet: /* GraphQL */ `{ sku }`,
  resolve: (product: { sku: string }, _args: unknown, context: GatewayContext) =>
    stateOf(context).stock.load(product.sku),
};

const contractPrice = {
  // The price currency of the product is the store view's display currency for this request.
  selectionSet: /* GraphQL */ `{ sku price_range { minimum_price { final_price { currency } } } }`,
  resolve: async (
    product: { sku: string; price_range?: { minimum_price?: { final_price?: { currency?: string } } } },
    args: { quantity?: number },
    context: GatewayContext,
  ) => {
    const token = context.request.headers.get('authorization');
    if (!token) {
      return null; // guests have no contract
    }
    const companyId = await companyIdOf(context, token);
    if (!companyId) {
      return null;
    }
    const currency = product.price_range?.minimum_price?.final_price?.currency ?? 'USD';
    const offer = await contractPriceLoader(context, companyId, currency).load(product.sku);
    return toContractPrice(offer, args.quantity ?? 1);
  },
};

// --- schema ------------------------------------------------------------------------------------

// The extension SDL is storefront-bff's own file, so both gateways expose exactly the same types.
const extensionSdl = readFileSync(new URL('../../src/extensions/schema.graphql', import.meta.url), 'utf8');

// GraphQL executes fields of the concrete type, so every type implementing ProductInterface in
// Adobe's 2.4.9 schema gets the fields and the resolvers too (API Mesh's examples extend
// `ConfigurableProduct` the same way).
const productTypes = [
  'SimpleProduct',
  'VirtualProduct',
  'ConfigurableProduct',
  'BundleProduct',
  'GroupedProduct',
  'DownloadableProduct',
  'GiftCardProduct',
];
const productTypeExtensions = productTypes.map(
  (type) => `extend type ${type} {
  live_stock: LiveStock
  contract_price(quantity: Float = 1): ContractPrice
}`,
);

export const gatewayConfig = defineConfig({
  additionalTypeDefs: [extensionSdl, ...productTypeExtensions],
  additionalResolvers: Object.fromEntries(
    productTypes.map((type) => [type, { live_stock: liveStock, contract_price: contractPrice }]),
  ),
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const headers: Record<string, string> = {};
      for (const name of FORWARDED_HEADERS) {
        const value = request.headers.get(name);
        if (value) {
          headers[name] = value;
        }
      }
      return headers;
    },
  },
  responseCaching:
    process.env.HIVE_RESPONSE_CACHE === 'on'
      ? {
          // Customer answers are private: Commerce marks them `no-store`, which Hive's cache
          // honours, except when identical upstream queries are in flight at once (Hive then
          // sends one and only the first caller sees the header), as when one token drives every
          // connection of a benchmark. Skipping them keeps the cache to what real traffic gets.
          enabled: (request: Request) => !request.headers.get('authorization'),
          // Hive's cache is shared by default: key it by every header that changes the answer.
          session: (request: Request) =>
            FORWARDED_HEADERS.map((name) => request.headers.get(name) ?? '').join('\n'),
          ttl: RESPONSE_TTL_MS,
          ttlPerSchemaCoordinate: { LiveStock: STOCK_TTL_MS, ContractPrice: CONTRACT_PRICE_TTL_MS },
        }
      : undefined,
  // Identical requests in flight together (method, URL, headers, document, variables) share one
  // execution, as the BFF's in-flight sharing does. Off by default in Hive Gateway.
  inboundInflightRequestDeduplication: true,
  // graphql-jit compiles each document once (`--jit` on the command line does the same).
  jit: true,
  // Load generation is not logged on the other gateway either.
  logging: 'warn',
});
