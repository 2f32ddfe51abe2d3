// History: the host's and each VM's score over time, and what changed between two scans.
// Servers that keep no history answer 404, and the page says so.

import { h, s, clear, asList, pick, gradeBadge, fmtTime, emptyNote, section } from './util.js';
import { findingLine, errorNote } from './parts.js';

const DOMAINS = '/api/v1/domains';
const historyURL = (target) => `/api/v1/history?target=${encodeURIComponent(target)}`;
const HOST_HISTORY = historyURL('host');
const ADMISSIONS = '/api/v1/admissions?limit=20';

export function create(params, ctx) {
  let domains = [];
  let pair = { from: params.from || '', to: params.to || '' };
  let refs = {};

  function title() { return 'History'; }

  function urls() {
    const list = [HOST_HISTORY, DOMAINS, ADMISSIONS, ...domains.map((d) => historyURL(d.uuid || d.name))];
    if (pair.from && pair.to && pair.from !== pair.to) list.push(diffURL());
    return list;
  }

  function diffURL() {
    return `/api/v1/diff?from=${encodeURIComponent(pair.from)}&to=${encodeURIComponent(pair.to)}`;
  }

  function mount(root) {
    refs = { charts: h('div', { class: 'charts' }), diff: h('div'), admissions: h('div') };
    root.append(h('div', { class: 'page-head' }, h('h1', { text: 'History' }),
      h('p', { class: 'lede', text: 'Scores over time and what changed between two scans.' })),
    refs.charts, refs.diff, refs.admissions);
  }

  function update(results) {
    const hostHist = results.get(HOST_HISTORY);
    if (hostHist.error) {
      clear(refs.diff);
      clear(refs.charts).append(hostHist.error.status === 404
        ? h('section', { class: 'card notice', 'aria-labelledby': 'nohist' },
          h('h2', { id: 'nohist', text: 'History not available on this server' }),
          h('p', { text: 'This virtaudit service does not keep scan history, so scores over time and differences between scans cannot be shown. The overview always shows the latest scan.' }))
        : errorNote(hostHist.error, 'The history could not be loaded'));
      return;
    }
    const dl = results.get(DOMAINS);
    const before = domains.map((d) => d.uuid).join();
    if (dl && !dl.error) domains = asList(dl.data, 'domains');
    const hostPoints = points(hostHist.data);

    clear(refs.charts).append(section('Scores over time', 'scores',
      h('div', { class: 'chart-grid' },
        chartCard('Host', hostPoints),
        domains.map((d) => {
          const r = results.get(historyURL(d.uuid || d.name));
          if (!r) return chartCard(d.name, null);
          if (r.error) return h('div', { class: 'chart-card' }, h('h3', { text: d.name }), errorNote(r.error, 'No history'));
          return chartCard(d.name, points(r.data), `#/vm/${encodeURIComponent(d.uuid || d.name)}`);
        }))));

    renderDiff(hostPoints, results);
    renderAdmissions(results.get(ADMISSIONS));
    // The VM list arrives with the first answer; fetch their histories next.
    if (domains.map((d) => d.uuid).join() !== before) ctx.reload();
  }

  function renderDiff(hostPoints, results) {
    const scans = hostPoints.filter((p) => p.scanId).slice().reverse();
    clear(refs.diff);
    const sec = section('What changed between two scans', 'diff');
    refs.diff.append(sec);
    if (scans.length < 2) { sec.append(emptyNote('At least two scans are needed to compare.')); return; }
    if (!pair.to) pair.to = scans[0].scanId;
    if (!pair.from) { pair.from = scans[1].scanId; ctx.reload(); }
    const pickScan = (id, key, label) => {
      const sel = h('select', { id: `diff-${key}` }, scans.map((p) => h('option', { value: p.scanId, text: `${fmtTime(p.at)} · ${p.scanId}` })));
      sel.value = pair[key];
      sel.addEventListener('change', () => { pair[key] = sel.value; ctx.reload(); });
      return h('div', { class: 'field' }, h('label', { for: `diff-${key}`, text: label }), sel);
    };
    sec.append(h('form', { class: 'filters', on: { submit: (e) => e.preventDefault() } },
      pickScan(pair.from, 'from', 'From scan'), pickScan(pair.to, 'to', 'To scan')));
    if (pair.from === pair.to) { sec.append(emptyNote('Choose two different scans.')); return; }
    const r = results.get(diffURL());
    if (!r) { sec.append(h('p', { class: 'muted', text: 'Loading…' })); return; }
    if (r.error) {
      sec.append(r.error.status === 404 ? emptyNote('Comparing scans is not available on this server.') : errorNote(r.error, 'The difference could not be loaded'));
      return;
    }
    const diff = r.data || {};
    const groups = [
      ['new', 'New findings', 'Checks that fail or became unknown since the earlier scan.'],
      ['resolved', 'Resolved findings', 'Checks that failed before and pass now.'],
      ['changed', 'Changed findings', 'Checks whose status or observed values changed.'],
    ];
    sec.append(h('div', { class: 'diff-grid' }, groups.map(([key, label, help]) => {
      const items = asList(diff[key]);
      return h('div', { class: ['diff-col', `diff-${key}`] },
        h('h3', {}, label, h('span', { class: 'count', text: ` (${items.length})` })),
        h('p', { class: 'muted', text: help }),
        items.length ? h('ul', { class: 'finding-lines' }, items.map(diffItem)) : emptyNote('None.'));
    })));
  }

  function renderAdmissions(r) {
    const sec = section('Admission decisions', 'admissions');
    clear(refs.admissions).append(sec);
    if (!r) { sec.append(h('p', { class: 'muted', text: 'Loading…' })); return; }
    if (r.error) {
      sec.append(r.error.status === 404 ? emptyNote('Admission decisions are not available on this server.') : errorNote(r.error, 'Admission decisions could not be loaded'));
      return;
    }
    const items = asList(r.data, 'admissions');
    const counts = asList(r.data, 'counts');
    if (counts.length) {
      sec.append(h('p', { class: 'muted', text: counts.map((c) => `${c.decision} (${c.mode}): ${c.count}`).join(' · ') }));
    }
    if (!items.length) { sec.append(emptyNote('No VM start has passed through the qemu hook (virtaudit admit) yet.')); return; }
    sec.append(h('table', { class: 'data admissions' },
      h('thead', {}, h('tr', {}, ['Time', 'VM', 'Operation', 'Mode', 'Decision', 'Rules'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, items.map((a) => h('tr', { class: `decision-${a.decision}` },
        h('th', { scope: 'row', text: fmtTime(a.at) }), h('td', { text: a.domain }), h('td', { text: a.operation }),
        h('td', { text: a.mode }), h('td', {}, h('strong', { text: a.decision })),
        h('td', { text: a.failure || asList(a.rules).map((x) => x.rule).join(', ') || '—' }))))));
  }

  return { title, urls, mount, update };
}

function points(data) {
  return asList(data, 'points', 'history', 'scans', 'entries')
    .map((p) => ({
      at: pick(p, 'at', 'time', 'finishedAt', 'startedAt'),
      score: Number(p.score),
      grade: p.grade,
      scanId: pick(p, 'scanId', 'scan', 'id'),
    }))
    .filter((p) => p.at && Number.isFinite(p.score))
    .sort((a, b) => new Date(a.at) - new Date(b.at));
}

function diffItem(item) {
  const f = item.finding || item.after || item;
  const target = pick(item, 'targetName', 'name', 'domain', 'target') || 'host';
  const change = item.before && item.after && item.before.status !== item.after.status ? ` (${item.before.status} → ${item.after.status})` : '';
  return h('li', {}, h('span', { class: 'diff-target', text: target }), ' ', findingLine({ ...f, rule: f.rule || item.rule }), change ? h('span', { class: 'muted', text: change }) : null);
}

const W = 320, H = 120, PAD = { l: 30, r: 10, t: 10, b: 22 };

/** A small line chart of scores (0-100) over time, with a text alternative. */
function chartCard(label, pts, href) {
  const card = h('div', { class: 'chart-card' });
  const last = pts?.[pts.length - 1];
  card.append(h('h3', {}, href ? h('a', { href, text: label }) : label, last ? gradeBadge(last.grade, last.score, 'grade-sm') : null));
  if (!pts) { card.append(h('p', { class: 'muted', text: 'Loading…' })); return card; }
  if (!pts.length) { card.append(emptyNote('No scores recorded yet.')); return card; }
  const t0 = new Date(pts[0].at).getTime();
  const t1 = new Date(pts[pts.length - 1].at).getTime();
  const x = (p) => PAD.l + (t1 === t0 ? (W - PAD.l - PAD.r) / 2 : ((new Date(p.at).getTime() - t0) / (t1 - t0)) * (W - PAD.l - PAD.r));
  const y = (v) => PAD.t + (1 - v / 100) * (H - PAD.t - PAD.b);
  const first = pts[0];
  const desc = `${label}: score ${first.score} on ${fmtTime(first.at)}, ${last.score} on ${fmtTime(last.at)}, ${pts.length} scans.`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': desc });
  for (const v of [0, 50, 100]) {
    svg.append(s('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: PAD.l - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  svg.append(s('text', { x: PAD.l, y: H - 4, class: 'axis' }, shortDate(first.at)),
    s('text', { x: W - PAD.r, y: H - 4, class: 'axis', 'text-anchor': 'end' }, shortDate(last.at)));
  svg.append(s('polyline', { points: pts.map((p) => `${x(p).toFixed(1)},${y(p.score).toFixed(1)}`).join(' '), class: 'line' }));
  for (const p of pts) {
    svg.append(s('circle', { cx: x(p).toFixed(1), cy: y(p.score).toFixed(1), r: 3, class: 'dot' },
      s('title', {}, `${fmtTime(p.at)}: ${p.score} (${p.grade || '?'})`)));
  }
  card.append(svg, h('details', { class: 'chart-table' }, h('summary', { text: 'Scores as a table' }),
    h('table', { class: 'data' }, h('thead', {}, h('tr', {}, ['Scan time', 'Score', 'Grade'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, pts.slice().reverse().map((p) => h('tr', {}, h('th', { scope: 'row', text: fmtTime(p.at) }), h('td', { text: p.score }), h('td', { text: p.grade || '—' })))))));
  return card;
}

function shortDate(iso) {
  const d = new Date(iso);
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
