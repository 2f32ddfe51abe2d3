// The API client: same-origin JSON requests, a bearer token kept in session storage, and an
// ETag cache so that polling costs a 304 when nothing changed.

const TOKEN_KEY = 'virtaudit.token';
const cache = new Map(); // url -> { etag, data }

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
    /** The API's machine-readable error code (`no_results`, `scans_unavailable`, ...). */
    this.code = body?.error?.code || null;
  }
}

export function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lives only until reload */ }
  cache.clear();
}

/** Listeners for "the server wants a (better) token". */
const authListeners = new Set();
export function onAuthRequired(fn) { authListeners.add(fn); }

function headers(extra = {}) {
  const out = { Accept: 'application/json', ...extra };
  const token = getToken();
  if (token) out.Authorization = `Bearer ${token}`;
  return out;
}

async function errorFrom(response) {
  let body = null;
  let message = `${response.status} ${response.statusText || ''}`.trim();
  try {
    body = await response.json();
    const m = body && (body.error?.message || body.message || (typeof body.error === 'string' ? body.error : null));
    if (m) message = m;
  } catch { /* not JSON */ }
  return new ApiError(response.status, message, body);
}

/**
 * GETs a JSON resource. Resolves to { data, changed }: `changed` is false when the server
 * answered 304 to our If-None-Match. Rejects with ApiError (status 0 for network failures).
 */
export async function getJSON(url) {
  const cached = cache.get(url);
  const extra = cached?.etag ? { 'If-None-Match': cached.etag } : {};
  let response;
  try {
    response = await fetch(url, { headers: headers(extra), cache: 'no-store', credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, 'The server cannot be reached.', null);
  }
  if (response.status === 304 && cached) return { data: cached.data, changed: false };
  if (!response.ok) {
    const err = await errorFrom(response);
    if (response.status === 401) authListeners.forEach((fn) => fn(err));
    throw err;
  }
  const data = await response.json();
  const etag = response.headers.get('ETag');
  cache.set(url, { etag, data });
  return { data, changed: true };
}

/** POSTs (with a JSON body when one is given); resolves to the parsed answer (or null). */
export async function postJSON(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      // X-Requested-With marks the request as the dashboard's own: without a token the service
      // refuses state-changing requests a foreign page could send (a "simple" cross-site POST).
      headers: headers(body === undefined ? { 'X-Requested-With': 'virtaudit' }
        : { 'Content-Type': 'application/json', 'X-Requested-With': 'virtaudit' }),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new ApiError(0, 'The server cannot be reached.', null);
  }
  if (!response.ok) {
    const err = await errorFrom(response);
    if (response.status === 401) authListeners.forEach((fn) => fn(err));
    throw err;
  }
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** Forgets cached copies so the next GET of `url` (or of everything) is unconditional. */
export function forget(url) {
  if (url) cache.delete(url);
  else cache.clear();
}
