// The page of one VM: its findings by layer, waivers, assigned devices and raw facts.

import { h, clear, get, gradeBadge, scoreBar, yesNo, defList, emptyNote, section, LAYERS, standingNote, managementText } from './util.js';
import { layerStrip, findingsByLayer, errorNote, jsonDetails, waiverList, ruleText } from './parts.js';

export function create(params, ctx) {
  // findings=all: passing and not-applicable checks are listed too (folded under each layer).
  const url = `/api/v1/domains/${encodeURIComponent(params.id)}?findings=all`;
  const open = new Set();
  let body;
  let name = params.id;

  function title() { return name; }
  function urls() { return [url]; }

  function mount(root) {
    body = h('div', { class: 'vm-page' });
    root.append(h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('ol', {}, h('li', {}, h('a', { href: '#/', text: 'Overview' })), h('li', { 'aria-current': 'page', text: 'Virtual machine' }))),
    body);
    body.append(h('h1', { text: params.id }));
  }

  function update(results) {
    const r = results.get(url);
    if (r.error) {
      clear(body).append(h('h1', { text: params.id }),
        errorNote(r.error, r.error.status === 404 ? 'No virtual machine with this name or UUID' : 'This virtual machine could not be loaded'),
        h('p', {}, h('a', { href: '#/', text: 'Back to the overview' })));
      return;
    }
    const d = r.data;
    name = d.name || params.id;
    document.title = `${name} · virtaudit`;
    const findings = d.findings || [];
    const facts = d.facts || {};
    clear(body).append(
      header(d),
      section('Findings by layer', 'findings', h('p', { class: 'muted', text: 'Failing, unknown and waived checks are shown in full; passing checks are folded under each layer.' }),
        findingsByLayer(findings, d.layers, open, LAYERS.map((l) => l.key), d.rules)),
      waivers(findings, d.rules),
      devices(facts),
      section('Raw facts', 'facts', h('p', { class: 'muted', text: 'The fact tree the rules were evaluated against (null means the fact could not be read; see "unknown" for why).' }),
        jsonDetails('Show the fact tree (JSON)', facts, open, 'facts')));
  }

  return { title, urls, mount, update };
}

function header(d) {
  const failing = Object.values(d.failing || {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
  const unknown = (d.findings || []).filter((f) => f.status === 'unknown').length;
  return h('div', { class: 'card vm-head' },
    h('div', { class: 'vm-title' }, gradeBadge(d.grade, d.score, 'grade-xl'),
      h('div', {}, h('h1', { text: d.name }),
        h('div', { class: 'score-line' }, h('strong', { text: d.score ?? '–' }), ' / 100 ', scoreBar(d.score), ' ', standingNote(d)),
        h('p', { class: 'muted', text: `${failing} failing, ${unknown} unknown` }))),
    defList([
      ['State', h('span', { class: ['vmstate', `vmstate-${d.state}`], text: d.state || 'unknown' })],
      ['UUID', h('code', { text: d.uuid || '—' })],
      d.id !== undefined && d.id !== null ? ['libvirt id', String(d.id)] : null,
      ['Profile', d.profile || 'default'],
      d.management ? ['Managed by', managementText(d.management)] : null,
    ], 'kv kv-inline'),
    layerStrip(d.layers, true));
}

function waivers(findings, rules) {
  const waived = findings.filter((f) => f.status === 'waived' || (f.waiver && typeof f.waiver === 'object'));
  const sec = section('Waivers in force', 'waivers');
  if (!waived.length) { sec.append(emptyNote('No waivers apply to this virtual machine.')); return sec; }
  sec.append(h('table', { class: 'data' },
    h('thead', {}, h('tr', {}, ['Rule', 'Finding', 'Waiver'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, waived.map((f) => h('tr', {},
      h('th', { scope: 'row' }, h('code', { text: f.rule })),
      h('td', { text: ruleText(f, rules).title || f.title || '' }),
      h('td', {}, f.waiver && typeof f.waiver === 'object' ? waiverList(f.waiver) : h('span', { text: f.reason || '—' })))))));
  return sec;
}

function devices(facts) {
  const hostdevs = get(facts, 'devices.hostdevs');
  const sec = section('Assigned devices', 'devices');
  if (hostdevs === null) { sec.append(emptyNote('The assigned devices could not be read.')); return sec; }
  if (!Array.isArray(hostdevs) || !hostdevs.length) {
    sec.append(emptyNote('No host devices are assigned to this virtual machine.'));
    return sec;
  }
  sec.append(h('table', { class: 'data devices' },
    h('thead', {}, h('tr', {}, ['Device', 'Driver', 'IOMMU group', 'Group viable', 'Group members'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, hostdevs.map((dev) => h('tr', {},
      h('th', { scope: 'row' }, h('code', { text: dev.address || usbText(dev) || '—' }),
        h('span', { class: 'profile', text: [dev.type, dev.className].filter(Boolean).join(' · ') }),
        dev.isVF ? h('span', { class: 'tag', text: `VF of ${dev.physfn || '?'}` }) : null),
      h('td', {}, driverText(dev.driver), dev.legacyAssignment ? h('span', { class: 'tag', text: 'legacy KVM assignment' }) : null),
      h('td', {}, dev.iommuGroup === null || dev.iommuGroup === undefined ? h('span', { class: 'muted', text: 'none' }) : String(dev.iommuGroup),
        dev.groupType ? h('span', { class: 'profile', text: dev.groupType }) : null),
      h('td', {}, yesNo(dev.groupViable, 'viable', 'not viable'),
        Array.isArray(dev.nonViableReasons) && dev.nonViableReasons.length
          ? h('ul', { class: 'reasons' }, dev.nonViableReasons.map((r) => h('li', { text: r }))) : null),
      h('td', {}, members(dev.groupMembers)))))));
  return sec;
}

function driverText(driver) {
  if (driver === null || driver === undefined) return h('span', { class: 'muted', text: 'no driver' });
  return h('code', { text: driver });
}

function usbText(dev) {
  return dev.usbVendor ? `USB ${dev.usbVendor}:${dev.usbProduct || '?'}` : dev.mdevUUID ? `mdev ${dev.mdevUUID}` : '';
}

function members(list) {
  if (!Array.isArray(list) || !list.length) return h('span', { class: 'muted', text: 'no group members' });
  return h('ul', { class: 'members' }, list.map((m) => {
    const to = Array.isArray(m.assignedTo) ? m.assignedTo : m.assignedTo ? [m.assignedTo] : [];
    return h('li', {},
      h('code', { text: m.address || '?' }), ' ', driverText(m.driver),
      m.bridge ? h('span', { class: 'tag', text: 'bridge' }) : null,
      to.length ? h('span', { class: 'assigned', text: ` → ${to.join(', ')}` }) : h('span', { class: 'muted', text: ' (not assigned)' }));
  }));
}

