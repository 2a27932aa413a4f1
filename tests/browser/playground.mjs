#!/usr/bin/env node
// Drives the embedded GraphiQL playground in Debian's headless Chromium, offline.
//
//   node tests/browser/playground.mjs BASE_URL [EXPECTED] [QUERY]
//
// Opens BASE_URL/graphql as a browser would (Accept: text/html), waits for GraphiQL, enters
// QUERY (default `{ storeConfig { store_code } }`) in the query editor, presses the run button
// and waits for the response pane to show `data` containing EXPECTED (default `store_code`).
// Any request to another origin is aborted and fails the run, as do page errors and CSP
// violations. Prints `PASS playground: ...` and exits 0, or `FAIL playground: <reason>` on
// stderr and exits 1 (2 for bad arguments).
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium); PLAYGROUND_SCREENSHOT, a PNG path
// written at the end, pass or fail; PLAYGROUND_TABS, comma-separated tab titles the page must
// open with (checked before the query is typed); when it names B2BSignIn, that tab's flow is run
// too (pre-filled headers, sign in, then contract prices). Installed by scripts/install-browser-deps.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TOTAL_BUDGET_MS = 30_000;
const RENDER_TIMEOUT_MS = 15_000;
const RESULT_TIMEOUT_MS = 10_000;

const [baseArg, expected = 'store_code', query = '{ storeConfig { store_code } }'] = process.argv.slice(2);
if (!baseArg || baseArg.startsWith('-')) {
  console.error('usage: node playground.mjs BASE_URL [EXPECTED_SUBSTRING] [QUERY]');
  process.exit(2);
}
let base;
try {
  base = new URL(baseArg);
} catch {
  console.error(`FAIL playground: not a URL: ${baseArg}`);
  process.exit(2);
}
const origin = base.origin;
const pageUrl = new URL('/graphql', base).href;
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const chromium = await import('playwright-core').then(
  (playwright) => playwright.chromium,
  () => {
    console.error('FAIL playground: playwright-core is not installed (run scripts/install-browser-deps)');
    process.exit(1);
  },
);
const screenshotPath = process.env.PLAYGROUND_SCREENSHOT;
const expectedTabs = (process.env.PLAYGROUND_TABS ?? '').split(',').map((t) => t.trim()).filter(Boolean);

const foreignRequests = [];
const pageErrors = [];
const cspViolations = new Set();
const consoleErrors = [];
let context;
let page;
let userDataDir;
let finished = false;

async function finish(code, message) {
  if (finished) return;
  finished = true;
  if (page && screenshotPath) {
    await page.screenshot({ path: screenshotPath, fullPage: false, timeout: 5_000 }).catch((e) => {
      console.error(`could not save screenshot to ${screenshotPath}: ${e.message}`);
    });
  }
  if (code === 0) {
    console.log(`PASS playground: ${message}`);
  } else {
    console.error(`FAIL playground: ${message}`);
    for (const line of consoleErrors.slice(0, 5)) console.error(`  browser console error: ${line}`);
  }
  await context?.close().catch(() => {});
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  process.exit(code);
}

// Hard stop whatever hangs (browser launch, navigation, a stuck close).
setTimeout(() => {
  finish(1, `gave up after ${TOTAL_BUDGET_MS / 1000} s`).catch(() => process.exit(1));
  setTimeout(() => process.exit(1), 5_000).unref();
}, TOTAL_BUDGET_MS).unref();

// Everything that makes the page unacceptable, checked after each step.
function firstProblem() {
  if (foreignRequests.length) return `the page contacted another origin than ${origin}: ${foreignRequests.join(', ')}`;
  if (pageErrors.length) return `JavaScript error in the page: ${pageErrors.join(' | ')}`;
  if (cspViolations.size) return `Content-Security-Policy violation: ${[...cspViolations].join(' | ')}`;
  return null;
}

function isForeign(url) {
  if (/^(data|blob|about):/.test(url)) return false;
  try {
    return new URL(url).origin !== origin;
  } catch {
    return true;
  }
}

// The response pane is a CodeMirror 5 editor; its instance hangs off the wrapper element.
function readResponsePane() {
  const element = document.querySelector('.graphiql-response .CodeMirror');
  return element && element.CodeMirror ? element.CodeMirror.getValue() : null;
}

function readQueryEditor() {
  const element = document.querySelector('.graphiql-query-editor .CodeMirror');
  return element && element.CodeMirror ? element.CodeMirror.getValue() : null;
}

async function run() {
  if (!fs.existsSync(chromiumPath)) {
    return finish(1, `no Chromium at ${chromiumPath} (run scripts/install-browser-deps or set CHROMIUM_PATH)`);
  }
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bff-playground-chromium-'));
  // DNS answers NOTFOUND for every name but the BFF's: a second fence behind the routing below,
  // which also covers Chromium's own background traffic that page routes never see.
  const resolverRules = ['MAP * ~NOTFOUND', 'EXCLUDE localhost', 'EXCLUDE 127.0.0.1'];
  if (base.hostname !== 'localhost' && base.hostname !== '127.0.0.1') resolverRules.push(`EXCLUDE ${base.hostname}`);
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      timeout: RENDER_TIMEOUT_MS,
      viewport: { width: 1280, height: 800 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--host-resolver-rules=${resolverRules.join(' , ')}`,
      ],
    });
  } catch (e) {
    return finish(1, `could not launch Chromium at ${chromiumPath}: ${e.message.split('\n')[0]}`);
  }

  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isForeign(url)) {
      foreignRequests.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  // Requests that bypass routing (service workers, prefetch) are still reported here.
  context.on('request', (request) => {
    const url = request.url();
    if (isForeign(url) && !foreignRequests.includes(url)) foreignRequests.push(url);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`[csp-violation] ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });

  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('websocket', (socket) => {
    if (isForeign(socket.url())) foreignRequests.push(socket.url());
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (text.startsWith('[csp-violation] ')) cspViolations.add(text.slice(16));
    // Chromium's own line for each CSP violation repeats what the listener reported.
    else if (!text.includes('Content Security Policy')) consoleErrors.push(text.length > 300 ? `${text.slice(0, 300)}…` : text);
  });

  const response = await page.goto(pageUrl, { waitUntil: 'domcontentloaded', timeout: RENDER_TIMEOUT_MS }).catch((e) => e);
  if (response instanceof Error) return finish(1, `could not open ${pageUrl}: ${response.message.split('\n')[0]}`);
  const contentType = response.headers()['content-type'] ?? '';
  if (response.status() !== 200 || !contentType.startsWith('text/html')) {
    return finish(1, `GET ${pageUrl} answered ${response.status()} ${contentType || '(no content-type)'}, not the playground page`);
  }

  const rendered = await page
    .waitForFunction(() => document.querySelector('.graphiql-execute-button') && document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror, null, {
      timeout: RENDER_TIMEOUT_MS,
    })
    .then(() => true)
    .catch(() => false);
  if (!rendered) return finish(1, firstProblem() ?? `GraphiQL did not render within ${RENDER_TIMEOUT_MS / 1000} s at ${pageUrl}`);
  const problemAfterRender = firstProblem();
  if (problemAfterRender) return finish(1, problemAfterRender);

  if (expectedTabs.length) {
    const titles = await page.evaluate(() => [...document.querySelectorAll('.graphiql-tab')].map((tab) => tab.textContent.trim()));
    const missing = expectedTabs.filter((title) => !titles.some((shown) => shown.startsWith(title)));
    if (missing.length) return finish(1, `the playground opened without the tabs ${missing.join(', ')}; it shows ${JSON.stringify(titles)}`);
  }

  // Enter the query as a person would: focus the editor, select all, type over it.
  // insertText sends the text as one input event, so CodeMirror's bracket auto-closing stays out.
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(query);
  const entered = await page.evaluate(readQueryEditor);
  if (entered !== query) return finish(1, `the query editor holds ${JSON.stringify(entered)} instead of the query typed`);
  // GraphiQL re-parses the editor 100 ms after the last keystroke and only then knows the new
  // operation (name); running sooner would send the previous tab's operationName.
  const parsed = await page
    .waitForFunction(
      () => {
        const editor = document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror;
        return editor && editor.documentAST?.loc?.source?.body === editor.getValue();
      },
      null,
      { timeout: 5_000 },
    )
    .then(() => true)
    .catch(() => false);
  if (!parsed) return finish(1, `GraphiQL did not accept ${JSON.stringify(query)} as a GraphQL document (syntax error?)`);

  const queryResponse = page
    .waitForResponse((r) => r.url() === pageUrl && r.request().method() === 'POST' && (r.request().postData() ?? '').includes(JSON.stringify(query).slice(1, -1)), {
      timeout: RESULT_TIMEOUT_MS,
    })
    .catch(() => null);
  await page.locator('.graphiql-execute-button').click();

  const answer = await queryResponse;
  if (!answer) return finish(1, firstProblem() ?? `the run button sent no POST ${pageUrl} with the query within ${RESULT_TIMEOUT_MS / 1000} s`);

  // Wait for the response pane to show a parsed result (GraphiQL empties it when a run starts).
  const paneText = await page
    .waitForFunction(
      () => {
        const element = document.querySelector('.graphiql-response .CodeMirror');
        const text = element && element.CodeMirror ? element.CodeMirror.getValue() : '';
        try {
          const result = JSON.parse(text);
          return result && (result.data != null || result.errors) ? text : null;
        } catch {
          return null;
        }
      },
      null,
      { timeout: RESULT_TIMEOUT_MS, polling: 100 },
    )
    .then((handle) => handle.jsonValue())
    .catch(() => null);
  if (!paneText) {
    const shown = await page.evaluate(readResponsePane).catch(() => null);
    return finish(
      1,
      firstProblem() ??
        `the response pane shows no result within ${RESULT_TIMEOUT_MS / 1000} s (POST /graphql answered ${answer.status()}); pane: ${JSON.stringify((shown ?? '').slice(0, 500))}`,
    );
  }
  const result = JSON.parse(paneText);
  if (result.errors?.length) return finish(1, `the query returned errors: ${JSON.stringify(result.errors).slice(0, 500)}`);
  if (!JSON.stringify(result.data).includes(expected)) {
    return finish(1, `the response pane's data lacks ${JSON.stringify(expected)}: ${paneText.slice(0, 500)}`);
  }

  let b2bChecked = '';
  if (expectedTabs.includes('B2BSignIn')) {
    const b2b = await runB2bTab();
    if (b2b) return finish(1, firstProblem() ?? b2b);
    b2bChecked = '; the B2B tab signed in and showed contract prices';
  }

  const problem = firstProblem();
  if (problem) return finish(1, problem);
  return finish(0, `GraphiQL rendered at ${pageUrl}, ran ${JSON.stringify(query)} and showed data containing ${JSON.stringify(expected)}${b2bChecked}`);
}

// The B2B tab as a visitor uses it: its headers are pre-filled, B2BSignIn signs in, and
// B2BContractPrices then shows contract prices. Returns a failure reason, or null.
async function runB2bTab() {
  await page.locator('.graphiql-tab', { hasText: 'B2BSignIn' }).locator('button').first().click();
  const headers = await page
    .waitForFunction(
      () => [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].map((e) => e.CodeMirror.getValue()).find((v) => v.includes('Authorization')),
      null,
      { timeout: 5_000 },
    )
    .then((handle) => handle.jsonValue())
    .catch(() => null);
  if (!headers || !headers.includes('{{customer_token}}')) return `the B2B tab has no pre-filled Authorization header: ${JSON.stringify(headers)}`;
  // Both operations must be parsed before running, or GraphiQL sends the document unnamed.
  const parsed = await page
    .waitForFunction(
      () => {
        const editor = document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror;
        const body = editor?.documentAST?.loc?.source?.body;
        return body === editor?.getValue() && body.includes('B2BContractPrices') && editor.operations?.length === 2;
      },
      null,
      { timeout: 5_000 },
    )
    .then(() => true)
    .catch(() => false);
  if (!parsed) return 'GraphiQL did not parse the B2B tab\'s two operations';
  const signIn = await runOperation('B2BSignIn');
  if (!signIn?.data?.generateCustomerToken?.token) return `B2BSignIn did not sign in: ${JSON.stringify(signIn).slice(0, 300)}`;
  const prices = await runOperation('B2BContractPrices');
  const items = prices?.data?.products?.items ?? [];
  if (!items.some((item) => item.contract_price?.unit_price?.value > 0)) {
    return `B2BContractPrices after B2BSignIn showed no contract price: ${JSON.stringify(prices).slice(0, 300)}`;
  }
  return null;
}

// Runs one operation of the active tab (GraphiQL asks which one when a tab has several) and
// returns the parsed answer from the response pane.
async function runOperation(name) {
  const answered = page
    .waitForResponse((r) => r.url() === pageUrl && r.request().method() === 'POST' && (r.request().postData() ?? '').includes(`"operationName":"${name}"`), {
      timeout: RESULT_TIMEOUT_MS,
    })
    .catch(() => null);
  await page.locator('.graphiql-execute-button').click();
  const choice = page.locator('[role=menuitem]', { hasText: name });
  await choice.first().click({ timeout: 5_000 }).catch(() => {});
  const response = await answered;
  if (!response) return null;
  const text = await page
    .waitForFunction(
      (expected) => {
        const text = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '';
        return text.includes(expected) ? text : null;
      },
      name === 'B2BSignIn' ? 'generateCustomerToken' : 'products',
      { timeout: RESULT_TIMEOUT_MS, polling: 100 },
    )
    .then((handle) => handle.jsonValue())
    .catch(() => null);
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

run().catch((e) => finish(1, `unexpected error: ${e.stack ?? e}`));
