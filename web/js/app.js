// The application shell: hash routing, live refresh by ETag polling, the scan bar, the token
// prompt and status banners. Each page is a view module (overview, vm, host, history).

import { getJSON, postJSON, getToken, setToken, onAuthRequired, forget, ApiError } from './api.js';
import { h, clear, fmtTime, fmtAge } from './util.js';
import * as overview from './overview.js';
import * as vm from './vm.js';
import * as host from './host.js';
import * as history from './history.js';

const POLL_MS = 8000;
const HEALTH_URL = '/healthz';

const $ = (id) => document.getElementById(id);
const main = $('main');

let current = null;        // { view, generation }
let generation = 0;
let pollTimer = null;
let scanning = false;
let authDismissed = false; // the user closed the token prompt: do not reopen it on every poll

const ctx = {
  reload: () => load(false),
  navigate: (hash) => { location.hash = hash; },
  setHostname: (name) => { $('hostname').textContent = name ? `· ${name}` : ''; },
};

// ---- routing ---------------------------------------------------------------------------

function parseRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query));
  if (parts[0] === 'vm' && parts[1]) return { name: 'vm', module: vm, params: { ...params, id: parts[1] } };
  if (parts[0] === 'host') return { name: 'host', module: host, params };
  if (parts[0] === 'history') return { name: 'history', module: history, params: { ...params, target: parts[1] } };
  return { name: 'overview', module: overview, params };
}

function route(focus) {
  const r = parseRoute();
  for (const a of document.querySelectorAll('.nav a')) {
    if (a.dataset.route === r.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  generation += 1;
  const view = r.module.create(r.params, ctx);
  current = { view, generation, routeName: r.name, lastGood: new Map(), failed: new Map() };
  clear(main);
  main.dataset.view = r.name;
  view.mount(main);
  document.title = `${view.title()} · virtaudit`;
  load(true).then(() => {
    if (focus) {
      const heading = main.querySelector('h1');
      if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
    }
  });
}

// ---- loading and polling ------------------------------------------------------------------

async function fetchAll(urls) {
  const results = new Map();
  await Promise.all(urls.map(async (url) => {
    try {
      const { data, changed } = await getJSON(url);
      results.set(url, { data, changed });
    } catch (error) {
      results.set(url, { error: error instanceof ApiError ? error : new ApiError(0, String(error)), changed: true });
    }
  }));
  return results;
}

/** Fetches what the current view needs and hands it over when something changed (or `force`). */
async function load(force) {
  if (!current) return;
  const { view, generation: gen, lastGood, failed } = current;
  const urls = view.urls();
  const [results, health] = await Promise.all([fetchAll(urls), fetchAll([HEALTH_URL])]);
  if (!current || current.generation !== gen) return; // navigated away meanwhile
  showHealth(health.get(HEALTH_URL));
  const errors = [...results.values()].filter((r) => r.error);
  for (const [url, r] of results) {
    // While the server is unreachable keep showing what was last received.
    if (r.error && r.error.status === 0 && lastGood.has(url)) results.set(url, { data: lastGood.get(url), changed: false });
    else if (!r.error) lastGood.set(url, r.data);
  }
  // A resource shown as an error that is fine again is redrawn even if it answered 304.
  // An error already shown (same status) is not a change.
  const changed = [...results].some(([url, r]) => (r.error ? failed.get(url) !== r.error.status : r.changed || failed.has(url)));
  if (force || changed) {
    failed.clear();
    for (const [url, r] of results) if (r.error) failed.set(url, r.error.status);
    view.update(results);
    if (!force) announce(`Updated at ${new Date().toLocaleTimeString()}`);
  }
  const offline = errors.some((r) => r.error.status === 0);
  setBanner('offline', offline ? 'The server cannot be reached; showing the last results received. Retrying…' : null, 'error');
  $('refresh-visible').textContent = `Live refresh every ${POLL_MS / 1000} s · checked ${new Date().toLocaleTimeString()}`;
}

function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    if (!document.hidden && !scanning) {
      try { await load(false); } catch (err) { console.warn('refresh failed', err); }
    }
    schedulePoll();
  }, POLL_MS);
}

function announce(text) {
  const region = $('refresh-status');
  region.textContent = '';
  // A fresh text node makes screen readers announce repeated messages too.
  setTimeout(() => { region.textContent = text; }, 50);
}

// ---- health, last scan, banners -------------------------------------------------------------

function showHealth(result) {
  const el = $('last-scan');
  if (!result || result.error) {
    if (result?.error?.status !== 401) el.textContent = 'Last scan: unknown';
    return;
  }
  const hz = result.data || {};
  const last = hz.lastScan;
  clear(el);
  if (last && last.at) {
    el.append('Last scan: ', h('time', { datetime: last.at, text: fmtTime(last.at) }));
    const age = fmtAge(last.ageSeconds);
    if (age) el.append(h('span', { class: 'muted', text: ` (${age})` }));
  } else {
    el.append('No scan yet');
  }
  if (hz.scanning) el.append(h('span', { class: 'scanning', text: ' · scan in progress' }));
  const libvirt = hz.libvirt && hz.libvirt.connected === false;
  setBanner('libvirt', libvirt ? 'libvirt is not reachable: the service cannot see the virtual machines right now.' : null, 'error');
  setBanner('stale', hz.stale ? 'Results are stale: the last scan could not complete, so these are the last good results.' : null, 'warn');
  const waiting = (hz.history && hz.history.pendingScans) || 0;
  setBanner('history', waiting > 0
    ? `Scan history cannot be written (${waiting} scan${waiting === 1 ? '' : 's'} waiting in memory): ${hz.history.error || 'unknown error'}. Free space in the data directory; the scans are written then.`
    : null, 'warn');
}

const dismissed = new Map(); // banner key -> text the user closed; not shown again while unchanged

function setBanner(key, text, kind = 'warn') {
  const box = $('banners');
  let node = box.querySelector(`[data-key="${key}"]`);
  if (!text) { if (node) node.remove(); dismissed.delete(key); return; }
  if (dismissed.get(key) === text) return;
  if (node && node.dataset.text === text && node.classList.contains(`banner-${kind}`)) return; // unchanged: do not re-announce
  if (node) node.remove();
  node = h('div', { class: ['banner', `banner-${kind}`], dataset: { key, text }, role: kind === 'error' ? 'alert' : 'status' });
  box.append(node);
  node.append(h('span', { class: 'banner-icon', 'aria-hidden': 'true', text: kind === 'error' ? '✗' : kind === 'ok' ? '✓' : '!' }),
    h('span', { text }));
  if (kind === 'error' || kind === 'warn' || kind === 'ok') {
    const close = h('button', { type: 'button', class: 'btn btn-quiet btn-small', 'aria-label': 'Dismiss message', text: '×' });
    close.addEventListener('click', () => { dismissed.set(key, text); node.remove(); });
    node.append(close);
  }
}

// ---- rescan ----------------------------------------------------------------------------------

const FINISHED = new Set(['done', 'failed']);

/** Starts a scan (POST /api/v1/scans, admin) and follows its record until done or failed. */
async function rescan() {
  const button = $('rescan');
  if (scanning) return;
  scanning = true;
  button.disabled = true;
  button.textContent = 'Scanning…';
  setBanner('scan', null);
  announce('Scan requested');
  try {
    const job = await postJSON('/api/v1/scans');
    let record = job || {};
    const self = record.links?.self || (record.id ? `/api/v1/scans/${encodeURIComponent(record.id)}` : null);
    const started = Date.now();
    while (self && !FINISHED.has(record.state) && Date.now() - started < 300000) {
      await new Promise((r) => setTimeout(r, 1500));
      try {
        record = (await getJSON(self)).data || record;
      } catch (err) {
        if (err.status === 404 || err.status === 401) break;
      }
    }
    const failed = record.state === 'failed';
    setBanner('scan', failed ? `The scan failed${record.error ? `: ${record.error}` : ''}. The previous results are still shown.`
      : 'Scan finished; results updated.', failed ? 'error' : 'ok');
    announce(failed ? 'Scan failed' : 'Scan finished');
    forget();
  } catch (err) {
    if (err.status === 403) {
      button.hidden = true;
      setBanner('scan', 'Your token does not allow starting scans: an admin token is needed. Results still refresh on their own.', 'warn');
      announce('Rescan not allowed with this token');
    } else if (err.status === 503) {
      button.hidden = true;
      setBanner('scan', `This service does not run scans on request (${err.message}).`, 'warn');
    } else if (err.status !== 401) {
      setBanner('scan', `The scan could not be started: ${err.message}`, 'error');
    }
  } finally {
    scanning = false;
    button.disabled = false;
    button.textContent = 'Rescan now';
    await load(true);
  }
}

// ---- token prompt -----------------------------------------------------------------------------

function openTokenDialog(reason) {
  const dialog = $('token-dialog');
  if (dialog.open) return;
  $('token-reason').textContent = reason || 'Enter an API token for this server.';
  $('token-input').value = getToken();
  $('token-forget').hidden = !getToken();
  dialog.showModal();
  $('token-input').focus();
}

function setupToken() {
  const dialog = $('token-dialog');
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token-input').value.trim();
    if (!token) return;
    setToken(token);
    authDismissed = false;
    dialog.close();
    $('token-button').hidden = false;
    $('rescan').hidden = false;
    setBanner('auth', null);
    route(false);
  });
  $('token-cancel').addEventListener('click', () => { authDismissed = true; dialog.close(); });
  dialog.addEventListener('cancel', () => { authDismissed = true; }); // Escape
  $('token-forget').addEventListener('click', () => {
    setToken('');
    dialog.close();
    $('token-button').hidden = true;
    route(false);
  });
  $('token-button').hidden = !getToken();
  $('token-button').addEventListener('click', () => openTokenDialog('Change or forget the API token used by this tab.'));
  onAuthRequired((err) => {
    $('token-button').hidden = false;
    const had = Boolean(getToken());
    setBanner('auth', had ? 'The token was not accepted.' : 'This server requires an API token.', 'warn');
    if (!authDismissed) openTokenDialog(had ? `The token was not accepted (${err.message}). Enter another token.` : 'This server requires an API token to show results.');
  });
}

// ---- start -------------------------------------------------------------------------------------

function start() {
  setupToken();
  $('rescan').addEventListener('click', rescan);
  window.addEventListener('hashchange', () => route(true));
  document.addEventListener('visibilitychange', () => { if (!document.hidden) load(false); });
  route(false);
  schedulePoll();
}

start();
