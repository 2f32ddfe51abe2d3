// Overview: every VM as a table row with grade, score and a per-layer strip; the host's score
// and top findings beside it.

import {
  h, append, clear, LAYERS, layerStatus, gradeBadge, statusBadge, severityBadge, scoreBar,
  STATUS, SEVERITIES, asList, pick, compareFindings, emptyNote, standingNote, managementBadge,
} from './util.js';
import { layerStrip, findingLine, errorNote } from './parts.js';

const DOMAINS = '/api/v1/domains';
const SUMMARY = '/api/v1/summary';
const HOST = '/api/v1/host';

// Filters and sort survive navigation within the tab.
const state = { grade: '', state: '', layer: '', q: '', sort: 'score', dir: 'asc' };

const COLUMNS = [
  { key: 'name', label: 'Virtual machine' },
  { key: 'state', label: 'State' },
  { key: 'grade', label: 'Grade' },
  { key: 'score', label: 'Score' },
  { key: 'layers', label: 'Layers', sortable: false },
  { key: 'failing', label: 'Failing' },
];

export function create(params, ctx) {
  let domains = [];
  let refs = {};

  function title() { return 'Overview'; }
  function urls() { return [DOMAINS, SUMMARY, HOST]; }

  function mount(root) {
    const search = h('input', { type: 'search', id: 'f-q', placeholder: 'name or UUID', value: state.q, autocomplete: 'off' });
    const grade = select('f-grade', [['', 'Any grade'], ...'ABCDF'.split('').map((g) => [g, `Grade ${g}`])], state.grade);
    const vmState = select('f-state', [['', 'Any state']], state.state);
    const layer = select('f-layer', [['', 'Any layer'], ...LAYERS.map((l) => [l.key, l.title])], state.layer);
    for (const [el, key] of [[search, 'q'], [grade, 'grade'], [vmState, 'state'], [layer, 'layer']]) {
      el.addEventListener('input', () => { state[key] = el.value; renderRows(); });
    }
    const reset = h('button', { type: 'button', class: 'btn btn-quiet', text: 'Clear filters' });
    reset.addEventListener('click', () => {
      Object.assign(state, { grade: '', state: '', layer: '', q: '' });
      search.value = grade.value = vmState.value = layer.value = '';
      renderRows();
    });

    const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter virtual machines', on: { submit: (e) => e.preventDefault() } },
      field('Search', search), field('Grade', grade), field('State', vmState), field('Failing layer', layer), reset);

    const headRow = h('tr');
    const table = h('table', { class: 'vm-table', 'aria-describedby': 'vm-count' },
      h('caption', { class: 'visually-hidden', text: 'Virtual machines, their grades, scores and layer results' }),
      h('thead', {}, headRow), h('tbody'));
    refs = {
      root, table, headRow, tbody: table.tBodies[0], vmState, count: h('p', { id: 'vm-count', class: 'muted', role: 'status' }),
      side: h('aside', { class: 'side', 'aria-label': 'Host and summary' }), error: h('div'),
    };
    renderHead();

    root.append(
      h('div', { class: 'page-head' }, h('h1', { text: 'Overview' }),
        h('p', { class: 'lede', text: 'Security grades of the virtual machines on this host, layer by layer.' })),
      h('div', { class: 'overview-grid' },
        h('section', { class: 'card', 'aria-labelledby': 'vms-title' },
          h('div', { class: 'card-head' }, h('h2', { id: 'vms-title', text: 'Virtual machines' }), refs.count),
          filters, refs.error, h('div', { class: 'table-wrap' }, table), legend()),
        refs.side));
  }

  function renderHead() {
    clear(refs.headRow);
    for (const col of COLUMNS) {
      const th = h('th', { scope: 'col', class: `col-${col.key}` });
      if (col.sortable === false) { th.textContent = col.label; refs.headRow.append(th); continue; }
      const active = state.sort === col.key;
      if (active) th.setAttribute('aria-sort', state.dir === 'asc' ? 'ascending' : 'descending');
      const btn = h('button', { type: 'button', class: 'sort' }, col.label,
        h('span', { class: 'sort-icon', 'aria-hidden': 'true', text: active ? (state.dir === 'asc' ? '▲' : '▼') : '↕' }));
      btn.addEventListener('click', () => {
        if (state.sort === col.key) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
        else { state.sort = col.key; state.dir = col.key === 'name' || col.key === 'state' ? 'asc' : (col.key === 'failing' ? 'desc' : 'asc'); }
        renderHead();
        renderRows();
        refs.headRow.querySelector(`.col-${col.key} button`).focus();
      });
      th.append(btn);
      refs.headRow.append(th);
    }
  }

  function update(results) {
    const d = results.get(DOMAINS);
    clear(refs.error);
    if (d.error) {
      refs.error.append(errorNote(d.error, 'The list of virtual machines could not be loaded'));
    } else {
      domains = asList(d.data, 'domains');
      const states = [...new Set(domains.map((x) => x.state).filter(Boolean))].sort();
      const keep = refs.vmState.value;
      append(clear(refs.vmState), [h('option', { value: '', text: 'Any state' }), states.map((s) => h('option', { value: s, text: s }))]);
      refs.vmState.value = states.includes(keep) ? keep : '';
      renderRows();
    }
    renderSide(results.get(SUMMARY), results.get(HOST));
  }

  function filtered() {
    const q = state.q.trim().toLowerCase();
    return domains.filter((d) => {
      if (state.grade && String(d.grade || '').charAt(0).toUpperCase() !== state.grade) return false;
      if (state.state && d.state !== state.state) return false;
      if (state.layer && layerStatus(d.layers?.[state.layer]) !== 'fail') return false;
      if (q && !`${d.name} ${d.uuid}`.toLowerCase().includes(q)) return false;
      return true;
    });
  }

  function sortValue(d, key) {
    switch (key) {
      case 'name': return String(d.name || '').toLowerCase();
      case 'state': return String(d.state || '');
      case 'grade': return String(d.grade || 'Z');
      case 'score': return Number(d.score ?? -1);
      case 'failing': return failingTotal(d);
      default: return 0;
    }
  }

  function renderRows() {
    const rows = filtered();
    const dir = state.dir === 'asc' ? 1 : -1;
    rows.sort((a, b) => {
      const va = sortValue(a, state.sort), vb = sortValue(b, state.sort);
      const c = va < vb ? -1 : va > vb ? 1 : 0;
      return c * dir || String(a.name).localeCompare(String(b.name));
    });
    clear(refs.tbody);
    for (const d of rows) refs.tbody.append(row(d));
    if (!rows.length) {
      refs.tbody.append(h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'empty' },
        domains.length ? 'No virtual machine matches these filters.' : 'No virtual machines found on this host.')));
    }
    refs.count.textContent = rows.length === domains.length ? `${domains.length} VM${domains.length === 1 ? '' : 's'}`
      : `Showing ${rows.length} of ${domains.length} VMs`;
  }

  function row(d) {
    const id = d.uuid || d.name;
    const link = h('a', { href: `#/vm/${encodeURIComponent(id)}`, class: 'vm-link', text: d.name || id });
    return h('tr', { dataset: { name: d.name || '', score: d.score ?? '', grade: d.grade || '' } },
      h('th', { scope: 'row', class: 'col-name' }, link, h('span', { class: 'uuid', text: d.uuid || '' }),
        d.profile ? h('span', { class: 'profile', text: `profile: ${d.profile}` }) : null,
        managementBadge(d.management)),
      h('td', { class: 'col-state' }, h('span', { class: ['vmstate', `vmstate-${d.state}`], text: d.state || 'unknown' })),
      h('td', { class: 'col-grade' }, gradeBadge(d.grade, d.score)),
      h('td', { class: 'col-score' }, h('span', { class: 'score-num', text: d.score ?? '–' }), scoreBar(d.score), standingNote(d)),
      h('td', { class: 'col-layers' }, layerStrip(d.layers)),
      h('td', { class: 'col-failing' }, failingCell(d)));
  }

  function renderSide(summary, hostRes) {
    const side = clear(refs.side);
    const sum = summary && !summary.error ? summary.data : null;
    const hr = hostRes && !hostRes.error ? hostRes.data : null;
    const hostScore = hr?.score ?? pick(sum, 'host.score');
    const hostGrade = hr?.grade ?? pick(sum, 'host.grade');
    if (hr?.hostname) ctx.setHostname(hr.hostname);

    const hostCard = h('section', { class: 'card host-card', 'aria-labelledby': 'host-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'host-title', text: 'Host' }),
        h('a', { href: '#/host', class: 'more', text: 'Host details' })));
    if (hostScore === undefined && hostRes?.error) {
      hostCard.append(errorNote(hostRes.error, 'The host report could not be loaded'));
    } else {
      hostCard.append(h('div', { class: 'score-big' }, gradeBadge(hostGrade, hostScore, 'grade-lg'),
        h('div', {}, h('div', { class: 'score-line' }, h('strong', { text: hostScore ?? '–' }), ' / 100'),
          standingNote(hr),
          h('div', { class: 'muted', text: hr?.hostname || '' }))));
      const top = (hr?.findings || []).filter((f) => f.status === 'fail' || f.status === 'unknown').sort(compareFindings);
      hostCard.append(h('h3', { text: 'Top host findings' }));
      if (!hr) hostCard.append(emptyNote('Host findings are not available.'));
      else if (!top.length) hostCard.append(emptyNote('No failing or unknown host checks.'));
      else append(hostCard, [h('ul', { class: 'finding-lines' }, top.slice(0, 5).map((f) => h('li', {}, findingLine(f, hr.rules)))),
        top.length > 5 ? h('p', {}, h('a', { href: '#/host', text: `All ${top.length} host findings` })) : null]);
    }
    side.append(hostCard);

    if (sum) side.append(summaryCard(sum));
    if (Array.isArray(sum?.errors) && sum.errors.length) {
      side.append(h('section', { class: 'card', 'aria-labelledby': 'scan-errors-title' },
        h('h2', { id: 'scan-errors-title' }, h('span', { 'aria-hidden': 'true', text: '! ' }), 'Scan errors'),
        h('p', { class: 'muted', text: 'The last scan could not read everything; affected checks are unknown.' }),
        h('ul', { class: 'reasons' }, sum.errors.slice(0, 10).map((e) => h('li', { text: e }))),
        sum.errors.length > 10 ? h('p', { class: 'muted', text: `and ${sum.errors.length - 10} more` }) : null));
    }
  }

  return { title, urls, mount, update };
}

function summaryCard(sum) {
  const byGrade = pick(sum, 'domains.byGrade') || {};
  const byState = pick(sum, 'domains.byState') || {};
  const bySev = pick(sum, 'failing.total') || {};
  const card = h('section', { class: 'card', 'aria-labelledby': 'sum-title' }, h('h2', { id: 'sum-title', text: 'Summary' }));
  const gradeList = h('ul', { class: 'chips' }, 'ABCDF'.split('').map((g) =>
    h('li', {}, gradeBadge(g, undefined, 'grade-sm'), h('span', { text: ` ${Number(byGrade[g] || 0)} VM${byGrade[g] === 1 ? '' : 's'}` }))));
  card.append(h('h3', { text: 'VMs by grade' }), gradeList);
  const states = Object.entries(byState);
  if (states.length) {
    card.append(h('h3', { text: 'VMs by state' }), h('ul', { class: 'chips' },
      states.map(([k, v]) => h('li', {}, h('span', { class: ['vmstate', `vmstate-${k}`], text: k }), h('span', { text: ` ${v}` })))));
  }
  if (typeof bySev === 'object') {
    card.append(h('h3', { text: 'Failing findings by severity' }), h('p', { class: 'muted small', text: 'VMs and host together' }), h('ul', { class: 'chips' },
      SEVERITIES.map((s) => h('li', {}, severityBadge(s), h('span', { text: ` ${Number(bySev[s] || 0)}` })))));
  }
  return card;
}

function failingCounts(d) {
  return d.failing || {};
}

function failingTotal(d) {
  const c = failingCounts(d);
  if (typeof c === 'number') return c;
  return SEVERITIES.reduce((n, s) => n + Number(c[s] || 0), 0);
}

function failingCell(d) {
  const c = failingCounts(d);
  const total = failingTotal(d);
  if (!total) return h('span', { class: 'muted', text: 'none' });
  if (typeof c === 'number') return h('span', { text: String(c) });
  return h('ul', { class: 'sev-counts', 'aria-label': `${total} failing` },
    SEVERITIES.filter((s) => c[s]).map((s) => h('li', {}, h('span', { class: ['sev', `sev-${s}`], text: `${c[s]} ${s}` }))));
}

function select(id, options, value) {
  const el = h('select', { id }, options.map(([v, t]) => h('option', { value: v, text: t })));
  el.value = value;
  return el;
}

function field(label, control) {
  return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control);
}

function legend() {
  return h('details', { class: 'legend' }, h('summary', { text: 'What the layer strip means' }),
    h('ul', { class: 'legend-layers' }, LAYERS.map((l) => h('li', {}, h('abbr', { title: l.title, text: l.short }), ` ${l.title}`))),
    h('ul', { class: 'legend-status' }, ['pass', 'fail', 'unknown', 'waived', 'na'].map((s) => h('li', {}, statusBadge(s), ` ${legendText(s)}`))));
}

function legendText(s) {
  return {
    pass: 'all applicable checks pass', fail: 'at least one check fails', unknown: 'a fact could not be read (scored like a failure)',
    waived: 'failing checks are waived', na: 'no check applies',
  }[s] || STATUS[s]?.label;
}

