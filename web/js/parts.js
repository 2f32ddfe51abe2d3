// Pieces shared by several pages: the layer strip, findings, errors and JSON viewers.

import {
  h, LAYERS, layerInfo, layerStatus, layerSummaryText, layerScoreText, statusBadge, severityBadge, STATUS, compareFindings, emptyNote,
} from './util.js';

/** The per-layer strip: one cell per layer with an icon, a short name and a hidden full text. */
export function layerStrip(layers, large = false) {
  return h('ul', { class: ['layer-strip', large && 'layer-strip-lg'], 'aria-label': 'Layer results' },
    LAYERS.map((l) => {
      const ls = layers?.[l.key];
      const st = layerStatus(ls);
      const down = Boolean(ls?.down);
      const label = `${l.title}: ${down ? 'layer down' : STATUS[st].label}${ls ? ` (${layerSummaryText(ls)}, score ${ls.score ?? '–'})` : ''}`;
      return h('li', { class: ['layer-cell', `status-${st}`, down && 'layer-down'], title: label, dataset: { layer: l.key, status: st, down: down ? 'true' : 'false' } },
        h('span', { class: 'layer-icon', 'aria-hidden': 'true', text: STATUS[st].icon }),
        h('span', { class: 'layer-short', 'aria-hidden': 'true', text: large ? l.title : l.short }),
        large && ls ? h('span', { class: 'layer-score', 'aria-hidden': 'true', text: layerScoreText(ls) }) : null,
        h('span', { class: 'visually-hidden', text: label }));
    }));
}

/**
 * The long texts of a finding's rule (title, expected, rationale, remediation, references): results
 * format 2 carries them once per answer, in its `rules` map keyed by rule id. A finding of an older
 * record may still carry its own title; with neither, the rule id stands in for the title.
 */
export function ruleText(f, rules) {
  const r = rules && typeof rules === 'object' ? rules[f.rule] : null;
  return r && typeof r === 'object' ? r : {};
}

function findingTitle(f, rules) {
  return ruleText(f, rules).title || f.title || f.rule;
}

/** One finding on one line: status, severity, title and rule id. */
export function findingLine(f, rules) {
  return h('span', { class: 'finding-line' }, statusBadge(f.status), ' ', severityBadge(f.severity), ' ',
    h('span', { class: 'finding-line-title', text: findingTitle(f, rules) }), ' ', h('code', { class: 'rule', text: f.rule }));
}

function safeURL(text) {
  try {
    const u = new URL(String(text), location.href);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch { return null; }
}

function valueNode(v) {
  if (v === null) return h('code', { class: 'null', title: 'no value: the fact is absent or could not be read', text: 'null' });
  return h('code', { text: typeof v === 'string' ? v : JSON.stringify(v) });
}

/** Observed facts as a small two-column table (path, value). */
export function observedTable(observed) {
  if (observed === undefined) return emptyNote('nothing recorded');
  if (observed === null || typeof observed !== 'object' || Array.isArray(observed)) return valueNode(observed);
  const entries = Object.entries(observed);
  if (!entries.length) return emptyNote('nothing recorded');
  return h('table', { class: 'observed' },
    h('thead', { class: 'visually-hidden' }, h('tr', {}, h('th', { scope: 'col', text: 'Fact' }), h('th', { scope: 'col', text: 'Value' }))),
    h('tbody', {}, entries.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, h('code', { text: k })), h('td', {}, valueNode(v))))));
}

/** A finding in full: what was observed, what was expected, and what to change. */
export function findingCard(f, rules) {
  const rule = ruleText(f, rules);
  const refs = Array.isArray(rule.references) ? rule.references : [];
  const waiver = f.waiver && typeof f.waiver === 'object' ? f.waiver : null;
  return h('article', { class: ['finding', `finding-${f.status}`], dataset: { rule: f.rule, status: f.status, layer: f.layer } },
    h('header', { class: 'finding-head' },
      statusBadge(f.status), severityBadge(f.severity),
      h('h4', { class: 'finding-title', text: findingTitle(f, rules) }),
      h('code', { class: 'rule', text: f.rule }),
      f.pointsLost ? h('span', { class: 'points', text: `−${fmtPoints(f.pointsLost)} pts` }) : null),
    h('div', { class: 'finding-body' },
      h('div', { class: 'ovse' },
        h('div', {}, h('h5', { text: 'Observed' }), observedTable(f.observed)),
        h('div', {}, h('h5', { text: 'Expected' }), h('p', { text: rule.expected || '—' }))),
      f.reason ? h('p', { class: 'reason' }, h('strong', { text: f.status === 'waived' ? 'Waiver reason: ' : 'Reason: ' }), f.reason) : null,
      rule.remediation && f.status !== 'pass' ? h('div', { class: 'remediation' }, h('h5', { text: 'Remediation' }), h('p', { text: rule.remediation })) : null,
      rule.rationale ? h('p', { class: 'muted' }, h('strong', { text: 'Why: ' }), rule.rationale) : null,
      waiver ? h('div', { class: 'waiver' }, h('h5', { text: 'Waiver' }), waiverList(waiver)) : null,
      refs.length ? h('div', { class: 'refs' }, h('h5', { text: 'References' }), h('ul', {}, refs.map((r) => {
        const url = safeURL(r);
        return h('li', {}, url ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: r }) : h('span', { text: r }));
      }))) : null));
}

function fmtPoints(n) {
  return Number.isInteger(n) ? String(n) : Number(n).toFixed(1);
}

export function waiverList(w) {
  return h('dl', { class: 'kv' }, Object.entries(w).map(([k, v]) => [h('dt', { text: k }), h('dd', { text: typeof v === 'string' ? v : JSON.stringify(v) })]));
}

/**
 * Findings grouped by layer. Failing, unknown and waived findings are shown in full; passing and
 * not-applicable ones (listed by `?findings=all`) are folded. `rules` is the answer's `rules` map.
 * `open` is a Set of folded sections the user opened, kept across refreshes.
 */
export function findingsByLayer(findings, layers, open, layerKeys, rules) {
  const keys = layerKeys || [...LAYERS.map((l) => l.key), 'host'];
  const groups = new Map();
  for (const f of findings || []) {
    if (!groups.has(f.layer)) groups.set(f.layer, []);
    groups.get(f.layer).push(f);
  }
  const order = [...keys.filter((k) => groups.has(k)), ...[...groups.keys()].filter((k) => !keys.includes(k))];
  if (!order.length) return emptyNote('No findings.');
  return h('div', { class: 'layers' }, order.map((key) => {
    const list = groups.get(key).sort(compareFindings);
    const info = layerInfo(key);
    const ls = layers?.[key];
    const st = ls ? layerStatus(ls) : worst(list);
    const shown = list.filter((f) => ['fail', 'unknown', 'waived'].includes(f.status));
    const folded = list.filter((f) => !['fail', 'unknown', 'waived'].includes(f.status));
    const foldKey = `layer:${key}`;
    const fold = folded.length ? h('details', { class: 'folded' },
      h('summary', { text: `${folded.length} passing or not applicable check${folded.length === 1 ? '' : 's'}` }),
      h('ul', { class: 'finding-lines' }, folded.map((f) => h('li', {}, findingLine(f, rules))))) : null;
    if (fold) {
      fold.open = open.has(foldKey);
      fold.addEventListener('toggle', () => { if (fold.open) open.add(foldKey); else open.delete(foldKey); });
    }
    return h('section', { class: 'layer-group', id: `layer-${key}`, dataset: { layer: key }, 'aria-labelledby': `layer-${key}-title` },
      h('h3', { id: `layer-${key}-title`, class: 'layer-title' },
        h('span', { class: ['layer-dot', `status-${st}`], 'aria-hidden': 'true', text: STATUS[st].icon }),
        h('span', { text: info.title }),
        h('span', { class: 'layer-meta', text: ls ? `${ls.down ? 'Layer down' : STATUS[st].label} · ${layerSummaryText(ls)} · layer score ${layerScoreText(ls)}` : STATUS[st].label })),
      shown.map((f) => findingCard(f, rules)), fold);
  }));
}

function worst(list) {
  for (const s of ['fail', 'unknown', 'waived', 'pass']) if (list.some((f) => f.status === s)) return s;
  return 'na';
}

/** A clear message for a failed request. */
export function errorNote(error, what) {
  let detail = error?.message || 'unknown error';
  if (error?.status === 401) detail = 'an API token is required (use the Token button).';
  else if (error?.status === 403) detail = 'this token is not allowed to read it.';
  else if (error?.status === 404) detail = 'not found.';
  else if (error?.status === 0) detail = 'the server cannot be reached.';
  else if (error?.status === 503 && error.code === 'no_results') detail = 'no scan has completed yet; results appear here after the first scan.';
  return h('p', { class: 'error-note', role: 'alert' }, h('span', { 'aria-hidden': 'true', text: '✗ ' }), `${what}: ${detail}`);
}

/** A collapsible, pretty-printed JSON tree. */
export function jsonDetails(summary, value, open, key) {
  const pre = h('pre', { class: 'json', tabindex: '0' });
  const details = h('details', { class: 'json-details' }, h('summary', { text: summary }), pre);
  const fill = () => { if (!pre.firstChild) pre.textContent = JSON.stringify(value, null, 2); };
  if (open?.has(key)) { details.open = true; fill(); }
  details.addEventListener('toggle', () => {
    if (details.open) { fill(); open?.add(key); } else open?.delete(key);
  });
  return details;
}
