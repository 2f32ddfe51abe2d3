// DOM building and formatting helpers. All data reaches the page as text nodes or attribute
// values, never as markup.

/** The audited layers, in the order the strip shows them. `host` is the host's own layer. */
export const LAYERS = [
  { key: 'qemu-sandbox', short: 'SBX', title: 'qemu sandbox' },
  { key: 'dac', short: 'DAC', title: 'DAC (user, capabilities)' },
  { key: 'namespaces', short: 'NS', title: 'Namespaces' },
  { key: 'mac', short: 'MAC', title: 'MAC (SELinux/AppArmor)' },
  { key: 'seccomp', short: 'SEC', title: 'seccomp' },
  { key: 'device-isolation', short: 'IOMMU', title: 'Device isolation (IOMMU)' },
  { key: 'device-surface', short: 'DEV', title: 'Device-model surface' },
  { key: 'resources', short: 'RES', title: 'Resource containment' },
  { key: 'confidential', short: 'CC', title: 'Confidential computing' },
];
export const HOST_LAYER = { key: 'host', short: 'HOST', title: 'Host' };

export function layerInfo(key) {
  return LAYERS.find((l) => l.key === key) || (key === 'host' ? HOST_LAYER : { key, short: key, title: key });
}

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
export const STATUS = {
  pass: { icon: '✓', label: 'pass' },
  fail: { icon: '✗', label: 'fail' },
  unknown: { icon: '?', label: 'unknown' },
  waived: { icon: '⊘', label: 'waived' },
  'not-applicable': { icon: '–', label: 'n/a' },
  na: { icon: '–', label: 'n/a' },
};

/**
 * Creates an element. `attrs` keys: `class`, `text`, `dataset` (object), `on` (object of
 * listeners), `hidden`; any other key is set with setAttribute. Children may be nodes, strings,
 * numbers, arrays or null.
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  applyAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  applyAttrs(node, attrs);
  append(node, children);
  return node;
}

function applyAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    else if (key === 'hidden') node.hidden = true;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** Looks a dotted path up in a JSON tree; returns undefined when any step is missing. */
export function get(tree, path) {
  let cur = tree;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = cur[part];
  }
  return cur;
}

/** The first defined value among several paths. */
export function pick(tree, ...paths) {
  for (const p of paths) {
    const v = get(tree, p);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Accepts either a bare list or an object wrapping one under a usual key. */
export function asList(value, ...keys) {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    for (const k of [...keys, 'items', 'data', 'results']) if (Array.isArray(value[k])) return value[k];
  }
  return [];
}

/** Summarises a layer's counts as one status. */
export function layerStatus(ls) {
  if (!ls) return 'na';
  if (ls.fail > 0) return 'fail';
  if (ls.unknown > 0) return 'unknown';
  if (ls.pass > 0) return 'pass';
  if (ls.waived > 0) return 'waived';
  return 'na';
}

/** A layer's sub-score as text: '–' when no rule of it was decided (JSON null), never 100. */
export function layerScoreText(ls) {
  if (!ls || ls.score === null || ls.score === undefined) return '–';
  return ls.down ? `${ls.score} (down)` : String(ls.score);
}

/** "layers standing N of M", or null when the report does not carry it. */
export function standingText(target) {
  const n = target?.layersStanding, m = target?.layersTotal;
  if (!Number.isFinite(n) || !Number.isFinite(m)) return null;
  return `layers standing ${n} of ${m}`;
}

/** The "N of M layers standing" note beside a score; down layers make it a warning. */
export function standingNote(target) {
  const text = standingText(target);
  if (!text) return null;
  const down = target.layersTotal - target.layersStanding;
  return h('span', { class: ['layers-standing', down > 0 && 'layers-down'], title: down > 0
    ? `${down} layer${down === 1 ? ' is' : 's are'} down: a rule that removes the layer's protection failed or is unknown, or none of its checks passed`
    : 'every scored layer stands', text });
}

export function layerSummaryText(ls) {
  if (!ls) return 'no rules';
  const parts = [];
  if (ls.fail) parts.push(`${ls.fail} failing`);
  if (ls.unknown) parts.push(`${ls.unknown} unknown`);
  if (ls.waived) parts.push(`${ls.waived} waived`);
  if (ls.pass) parts.push(`${ls.pass} passing`);
  return parts.length ? parts.join(', ') : 'no applicable rules';
}

export function gradeClass(grade) {
  const g = String(grade || '?').trim().charAt(0).toUpperCase();
  return 'ABCDF'.includes(g) && g ? `grade-${g.toLowerCase()}` : 'grade-none';
}

/** A grade badge: the letter itself carries the meaning; colour only reinforces it. */
export function gradeBadge(grade, score, size = '') {
  const label = grade ? `Grade ${grade}` : 'No grade';
  return h('span', { class: ['grade', gradeClass(grade), size], title: score !== undefined ? `${label}, score ${score}/100` : label },
    h('span', { 'aria-hidden': 'true', text: grade || '–' }),
    h('span', { class: 'visually-hidden', text: label }));
}

export function statusBadge(status) {
  const st = STATUS[status] || { icon: '•', label: String(status) };
  return h('span', { class: ['status', `status-${status}`] },
    h('span', { class: 'status-icon', 'aria-hidden': 'true', text: st.icon }), st.label);
}

export function severityBadge(severity) {
  return h('span', { class: ['sev', `sev-${severity}`], text: severity || '?' });
}

export function scoreBar(score) {
  const wrap = h('span', { class: 'scorebar', 'aria-hidden': 'true' });
  const fill = h('span', { class: ['scorebar-fill', gradeClass(gradeOf(score))] });
  fill.style.width = `${Math.max(0, Math.min(100, Number(score) || 0))}%`;
  wrap.append(fill);
  return wrap;
}

function gradeOf(score) {
  if (score >= 90) return 'A';
  if (score >= 80) return 'B';
  if (score >= 70) return 'C';
  if (score >= 60) return 'D';
  return 'F';
}

export function fmtTime(iso) {
  if (!iso) return 'never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function fmtAge(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(Number(seconds))) return '';
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function sevRank(sev) {
  const i = SEVERITIES.indexOf(sev);
  return i < 0 ? SEVERITIES.length : i;
}

/** Orders findings: failing first, then unknown, waived, pass, not-applicable; by severity within. */
export function compareFindings(a, b) {
  const order = ['fail', 'unknown', 'waived', 'pass', 'not-applicable'];
  const sa = order.indexOf(a.status), sb = order.indexOf(b.status);
  if (sa !== sb) return sa - sb;
  const r = sevRank(a.severity) - sevRank(b.severity);
  if (r) return r;
  return (b.pointsLost || 0) - (a.pointsLost || 0) || String(a.rule).localeCompare(String(b.rule));
}

/** A definition list from [term, description] pairs; descriptions may be nodes. */
export function defList(pairs, cls = 'kv') {
  return h('dl', { class: cls }, pairs.filter(Boolean).map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));
}

export function yesNo(value, yes = 'yes', no = 'no') {
  if (value === true) return statusWord('pass', yes);
  if (value === false) return statusWord('fail', no);
  return statusWord('unknown', 'unknown');
}

/** A small status word with icon, for booleans whose "good" value is known. */
export function statusWord(status, label) {
  const st = STATUS[status] || STATUS.unknown;
  return h('span', { class: ['status', `status-${status}`] },
    h('span', { class: 'status-icon', 'aria-hidden': 'true', text: st.icon }), label);
}

export function section(title, id, ...children) {
  const headingId = id ? `${id}-title` : undefined;
  return h('section', { class: 'card', 'aria-labelledby': headingId, id },
    h('h2', { id: headingId, text: title }), children);
}

export function emptyNote(text) {
  return h('p', { class: 'empty', text });
}

// Who manages a VM (the API's `management`): nothing to say for the connected libvirt.
export function managementText(m) {
  if (!m) return '';
  const parts = [];
  if (m.kind === 'unmanaged') parts.push(`unmanaged qemu${m.pid != null ? ` (pid ${m.pid})` : ''}`);
  else if (m.kind === 'libvirt-namespaced') parts.push(`libvirt in another mount namespace${m.daemonPid != null ? ` (daemon pid ${m.daemonPid})` : ''}`);
  else parts.push('the connected libvirt');
  if (m.container && m.container.podUid) parts.push(`pod ${m.container.podUid}`);
  else if (m.container && m.container.containerId) parts.push(`container ${m.container.containerId.slice(0, 12)}`);
  if (m.kubevirt) parts.push('KubeVirt');
  return parts.join(', ');
}

export function managementBadge(m) {
  if (!m || m.kind === 'libvirt') return null;
  return h('span', { class: ['management', `management-${m.kind}`], title: managementText(m),
    text: m.kind === 'unmanaged' ? 'unmanaged qemu' : (m.kubevirt ? 'KubeVirt pod' : 'namespaced libvirt') });
}
