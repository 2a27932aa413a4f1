// A real OpenID Provider (npm `oidc-provider`) for tests/it/sso.rs, started on port 0.
//
// Usage: node provider.mjs '{"client_id":"…","client_secret":"…"}'
// Prints one JSON line on stdout once it listens: {"issuer":"http://127.0.0.1:PORT"}.
// The client's redirect URI is registered afterwards (the BFF's port is known only once it
// started with this issuer): POST /__test/client {"redirect_uri","post_logout_redirect_uri"};
// until then every other request gets 503.
//
// The BFF is registered as a confidential client (client_secret_basic, code flow, PKCE
// required). The login interaction is completed automatically for the account set with
// `POST /__test/account` (no HTML form to drive), and consent is implied.
//
// Test-only controls, so every attack is produced with this provider's REAL keys:
//   POST /__test/account  {"email","email_verified","given_name","family_name"}
//   POST /__test/rotate   a new signing key (new `kid`); the JWKS then publishes both keys
//   POST /__test/tamper   {"claims":{…}, "alg":"none"|"HS256"|null}: the NEXT id_token from the
//                         token endpoint is re-signed with the claims changed (`null` removes
//                         one); `alg: none` sends it unsigned, `HS256` signs it with the
//                         provider's public key (PEM) as the HMAC secret
//   GET  /__test/stats    {"jwks_fetches": n, "token_requests": n}
// Stops when stdin closes (the test process ended) or on SIGTERM.

import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const options = JSON.parse(process.argv[2] ?? '{}');
const clientId = options.client_id ?? 'storefront-bff';
const clientSecret = options.client_secret ?? 'storefront-bff-test-secret';

async function newSigningKey() {
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const kid = crypto.randomUUID();
  const privateJwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const publicPem = await jose.exportSPKI(publicKey);
  return { kid, privateKey, privateJwk, publicJwk, publicPem };
}

const original = await newSigningKey();
let current = original;
const published = [original.publicJwk];
let account = { email: 'sso.shopper@example.com', email_verified: true, given_name: 'Sso', family_name: 'Shopper' };
const accounts = new Map();
let tamper = null;
const stats = { jwks_fetches: 0, token_requests: 0 };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

let provider = null;
let handler = null;

function createProvider(redirectUri, postLogout) {
  const created = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogout],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [original.privateJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // The email claims go into the id_token even though an access token is issued too.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { sub, ...claims, name: `${claims.given_name} ${claims.family_name}` }; } };
  },
  // Consent is implied: the BFF is a first-party client.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
  created.use(controls);
  return created;
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) throw new Error('body too large');
  }
  return body ? JSON.parse(body) : {};
}

function b64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function resign(idToken, change) {
  const payload = jose.decodeJwt(idToken);
  for (const [name, value] of Object.entries(change.claims ?? {})) {
    if (value === null) delete payload[name];
    else payload[name] = value;
  }
  if (change.alg === 'none') {
    return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
  }
  if (change.alg === 'HS256') {
    const secret = new TextEncoder().encode(current.publicPem);
    return new jose.SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: current.kid }).sign(secret);
  }
  return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: current.kid }).sign(current.privateKey);
}

async function controls(ctx, next) {
  if (ctx.path.startsWith('/__test/')) {
    if (ctx.path === '/__test/account' && ctx.method === 'POST') {
      account = { ...account, ...(await readJson(ctx.req)) };
      ctx.body = { ok: true };
    } else if (ctx.path === '/__test/rotate' && ctx.method === 'POST') {
      current = await newSigningKey();
      published.push(current.publicJwk);
      ctx.body = { kid: current.kid };
    } else if (ctx.path === '/__test/tamper' && ctx.method === 'POST') {
      tamper = await readJson(ctx.req);
      ctx.body = { ok: true };
    } else if (ctx.path === '/__test/stats') {
      ctx.body = stats;
    } else {
      ctx.status = 404;
    }
    return;
  }
  if (ctx.path === '/jwks') {
    stats.jwks_fetches += 1;
    ctx.type = 'application/jwk-set+json';
    ctx.body = { keys: published };
    return;
  }
  if (ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const sub = `sub-${crypto.createHash('sha256').update(account.email).digest('hex').slice(0, 16)}`;
    accounts.set(sub, { ...account });
    let result;
    if (details.prompt.name === 'login') {
      result = { login: { accountId: sub } };
    } else {
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope('openid email profile');
      result = { consent: { grantId: await grant.save() } };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.redirect(to);
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.method === 'POST') {
    stats.token_requests += 1;
    const body = ctx.body;
    const reSign = current !== original || tamper;
    if (ctx.status === 200 && body && typeof body === 'object' && body.id_token && reSign) {
      const change = tamper ?? {};
      tamper = null;
      ctx.body = { ...body, id_token: await resign(body.id_token, change) };
    }
  }
}

server.on('request', async (req, res) => {
  if (handler) {
    handler(req, res);
    return;
  }
  if (req.method === 'POST' && req.url === '/__test/client') {
    const client = await readJson(req);
    provider = createProvider(client.redirect_uri, client.post_logout_redirect_uri ?? client.redirect_uri);
    handler = provider.callback();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
    return;
  }
  res.writeHead(503);
  res.end();
});
// The test may stop reading stdout; the provider's own console logging must not crash it.
process.stdout.on('error', () => {});
console.log = () => {};
console.info = () => {};
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
