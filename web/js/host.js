// The host page: MAC state, CPU vulnerability mitigations, qemu.conf, IOMMU groups and the
// host's own findings.

import { h, clear, get, pick, gradeBadge, scoreBar, statusWord, yesNo, defList, emptyNote, section, standingNote } from './util.js';
import { findingsByLayer, errorNote, jsonDetails } from './parts.js';

// findings=all: the host's passing and not-applicable checks are listed too (folded).
const URL = '/api/v1/host?findings=all';

export function create(params, ctx) {
  const open = new Set();
  let body;

  function title() { return 'Host'; }
  function urls() { return [URL]; }

  function mount(root) {
    body = h('div', { class: 'host-page' }, h('h1', { text: 'Host' }));
    root.append(body);
  }

  function update(results) {
    const r = results.get(URL);
    if (r.error) {
      clear(body).append(h('h1', { text: 'Host' }), errorNote(r.error, 'The host report could not be loaded'));
      return;
    }
    const rep = r.data || {};
    if (rep.hostname) ctx.setHostname(rep.hostname);
    const facts = rep.facts || {};
    const hf = facts.host && typeof facts.host === 'object' ? facts.host : facts;
    clear(body).append(
      h('div', { class: 'card vm-head' },
        h('div', { class: 'vm-title' }, gradeBadge(rep.grade, rep.score, 'grade-xl'),
          h('div', {}, h('h1', {}, 'Host ', h('span', { class: 'hostname', text: rep.hostname || '' })),
            h('div', { class: 'score-line' }, h('strong', { text: rep.score ?? '–' }), ' / 100 ', scoreBar(rep.score), ' ', standingNote(rep)),
            h('p', { class: 'muted', text: 'The host is the last layer: what contains qemu when every other layer is breached.' })))),
      h('div', { class: 'grid-2' }, h('div', { class: 'stack' }, macCard(hf), kernelCard(hf)), cpuCard(hf)),
      iommuCard(hf),
      qemuConfCard(hf),
      section('Host findings', 'host-findings', findingsByLayer(rep.findings || [], rep.layers, open, undefined, rep.rules)),
      section('Raw facts', 'host-facts', jsonDetails('Show the host fact tree (JSON)', facts, open, 'facts')));
  }

  return { title, urls, mount, update };
}

function macCard(hf) {
  const se = hf.selinux;
  const aa = hf.apparmor;
  const sec = section('Mandatory access control', 'mac');
  const seMode = se && (se.mode || (se.enforcing === true ? 'enforcing' : se.enforcing === false && se.enabled ? 'permissive' : null));
  sec.append(h('table', { class: 'data' },
    h('thead', {}, h('tr', {}, ['System', 'Enabled', 'Mode'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {},
      h('tr', {}, h('th', { scope: 'row', text: 'SELinux' }), h('td', {}, yesNo(se?.enabled, 'enabled', 'disabled')),
        h('td', {}, se?.enabled ? statusWord(se.enforcing ? 'pass' : 'fail', seMode || (se.enforcing ? 'enforcing' : 'permissive')) : h('span', { class: 'muted', text: se === null ? 'unreadable' : '—' }))),
      h('tr', {}, h('th', { scope: 'row', text: 'AppArmor' }), h('td', {}, yesNo(aa?.enabled, 'enabled', 'disabled')),
        h('td', {}, aa?.enabled ? h('span', { text: apparmorText(aa) }) : h('span', { class: 'muted', text: aa === null ? 'unreadable' : '—' }))))));
  if (se?.enabled && se.policyType) sec.append(defList([['SELinux policy', se.policyType]], 'kv kv-inline'));
  const none = se?.enabled !== true && aa?.enabled !== true;
  if (none) sec.append(h('p', { class: 'callout' }, h('span', { 'aria-hidden': 'true', text: '! ' }),
    'Neither SELinux nor AppArmor is active: qemu processes have no mandatory access control layer.'));
  return sec;
}

function kernelCard(hf) {
  const k = hf.kernel || {};
  const kvm = hf.kvm;
  const smt = get(hf, 'cpu.smt');
  const sec = section('Kernel and /dev/kvm', 'kernel');
  const taint = k.taint;
  sec.append(defList([
    k.release !== undefined ? ['Release', h('code', { text: k.release ?? 'unknown' })] : null,
    k.lockdown !== undefined ? ['Lockdown', lockdownWord(k.lockdown?.mode ?? (typeof k.lockdown === 'string' ? k.lockdown : null))] : null,
    taint !== undefined ? ['Tainted', taint === null ? yesNo(null) : taint.tainted ? statusWord('fail', `yes (${(taint.flags || []).join('') || taint.value})`) : statusWord('pass', 'no')] : null,
    get(k, 'cmdline.mitigationsOff') !== undefined ? ['mitigations=off', yesNo(k.cmdline.mitigationsOff === null ? null : !k.cmdline.mitigationsOff, 'not set', 'set')] : null,
    smt ? ['SMT', h('span', { text: `${smt.control ?? 'unknown'}${smt.active === true ? ', active' : smt.active === false ? ', inactive' : ''}` })] : null,
    kvm ? ['/dev/kvm', kvm.exists === false ? h('span', { class: 'muted', text: 'absent (no hardware virtualization)' })
      : h('span', {}, h('code', { text: `${kvm.mode ?? '?'} ${kvm.group ?? kvm.gid ?? '?'}` }), ' ',
        kvm.worldAccessible ? statusWord('fail', 'world accessible') : kvm.worldAccessible === false ? statusWord('pass', 'not world accessible') : null)] : null,
  ], 'kv'));
  return sec;
}

function lockdownWord(mode) {
  if (!mode) return yesNo(null);
  return statusWord(mode === 'none' ? 'fail' : 'pass', mode);
}

function apparmorText(aa) {
  const parts = [];
  if (typeof aa.profilesLoaded === 'number') parts.push(`${aa.profilesLoaded} profiles loaded`);
  if (Array.isArray(aa.libvirtProfiles)) parts.push(`${aa.libvirtProfiles.length} libvirt guest profiles`);
  return parts.join(', ') || 'enabled';
}

function vulnStatus(v) {
  const state = String(v?.state || '').toLowerCase();
  const text = String(v?.text ?? v?.status ?? '').toLowerCase();
  if (state.includes('vulnerable') || text.startsWith('vulnerable')) return 'fail';
  if (state.includes('not') || state.includes('mitigat') || text.startsWith('not affected') || text.startsWith('mitigation')) return 'pass';
  return 'unknown';
}

function cpuCard(hf) {
  const vulns = pick(hf, 'cpu.vulnerabilities');
  const sec = section('CPU vulnerability mitigations', 'cpu');
  if (vulns === null) { sec.append(emptyNote('The CPU vulnerability files could not be read.')); return sec; }
  const entries = vulns && typeof vulns === 'object' ? Object.entries(vulns).sort(([a], [b]) => a.localeCompare(b)) : [];
  if (!entries.length) { sec.append(emptyNote('No CPU vulnerability information.')); return sec; }
  const bad = entries.filter(([, v]) => vulnStatus(v) === 'fail').length;
  sec.append(h('p', { class: 'muted', text: bad ? `${bad} of ${entries.length} vulnerabilities are not mitigated.` : `All ${entries.length} known vulnerabilities are mitigated or do not affect this CPU.` }),
    h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, ['Vulnerability', 'State', 'Kernel report'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, entries.map(([name, v]) => h('tr', {},
        h('th', { scope: 'row' }, h('code', { text: name })),
        h('td', {}, statusWord(vulnStatus(v), v?.state || 'unknown')),
        h('td', { class: 'wrap' }, v?.text ?? v?.status ?? (typeof v === 'string' ? v : '—'),
          v?.smtVulnerable ? h('span', { class: 'tag', text: 'SMT vulnerable' }) : null))))));
  return sec;
}

function iommuCard(hf) {
  const iommu = hf.iommu;
  const groups = get(hf, 'iommu.groups');
  const sec = section('IOMMU groups and assignable devices', 'iommu');
  if (iommu && typeof iommu === 'object') {
    sec.append(defList([
      ['IOMMU', yesNo(iommu.present ?? iommu.enabled, 'active', 'not active')],
      iommu.mode !== undefined ? ['Mode', iommu.mode ?? 'unknown'] : null,
      iommu.interruptRemapping !== undefined ? ['Interrupt remapping', yesNo(iommu.interruptRemapping, 'on', 'off')] : null,
      iommu.allowUnsafeInterrupts !== undefined ? ['Unsafe interrupts allowed', yesNo(iommu.allowUnsafeInterrupts === null ? null : !iommu.allowUnsafeInterrupts, 'no', 'yes')] : null,
    ], 'kv kv-inline'));
  }
  if (groups === null) { sec.append(emptyNote('The IOMMU groups could not be read.')); return sec; }
  if (!Array.isArray(groups) || !groups.length) {
    sec.append(emptyNote('No IOMMU groups: the IOMMU is off or absent, so no PCI device can be assigned safely.'));
    return sec;
  }
  const viable = groups.filter((g) => g.viable === true).length;
  sec.append(h('p', { class: 'muted', text: `${groups.length} groups, ${viable} viable for assignment. A device can be given to a guest only together with its whole group; a group is viable when every member is bound to vfio-pci (or is a bridge).` }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data iommu' },
      h('thead', {}, h('tr', {}, ['Group', 'Type', 'Assignable', 'Devices'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, [...groups].sort((a, b) => Number(a.group) - Number(b.group)).map((g) => h('tr', { dataset: { group: g.group } },
        h('th', { scope: 'row', text: g.group }),
        h('td', { text: g.type || '—' }),
        h('td', {}, yesNo(g.viable, 'viable', 'not viable'),
          Array.isArray(g.reasons) && g.reasons.length ? h('ul', { class: 'reasons' }, g.reasons.map((r) => h('li', { text: r }))) : null,
          Array.isArray(g.notes) && g.notes.length ? h('ul', { class: 'reasons' }, g.notes.map((r) => h('li', { text: `note: ${r}` }))) : null),
        h('td', {}, h('ul', { class: 'members' }, (g.devices || []).map(deviceItem)))))))));
  return sec;
}

function deviceItem(d) {
  const ids = [d.vendor, d.device].filter(Boolean).map((x) => String(x).replace(/^0x/, '')).join(':');
  const assigned = Array.isArray(d.assignedTo) ? d.assignedTo : d.assignedTo ? [d.assignedTo] : [];
  return h('li', {},
    h('code', { text: d.address || '?' }), ' ',
    h('span', { text: d.name || d.className || 'device' }),
    ids ? h('span', { class: 'muted', text: ` [${ids}]` }) : null, ' ',
    d.driver ? h('code', { class: ['driver', d.driver === 'vfio-pci' && 'driver-vfio'], text: d.driver }) : h('span', { class: 'muted', text: 'no driver' }),
    d.bridge ? h('span', { class: 'tag', text: 'bridge' }) : null,
    assigned.length ? h('span', { class: 'assigned', text: ` → ${assigned.join(', ')}` }) : null);
}

function qemuConfCard(hf) {
  const qc = hf.qemuConf;
  const sec = section('qemu.conf', 'qemuconf');
  if (qc === null || qc === undefined) { sec.append(emptyNote('qemu.conf could not be read.')); return sec; }
  const written = qc.settings && typeof qc.settings === 'object' ? qc.settings : {};
  // Tracked settings are objects {value, source: file|default}: the value libvirt runs with.
  const tracked = Object.fromEntries(Object.entries(qc).filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v) && 'value' in v && 'source' in v));
  const keys = [...new Set([...Object.keys(tracked), ...Object.keys(written)])].sort();
  sec.append(defList([
    qc.path ? ['File', h('code', { text: qc.path })] : null,
    qc.present !== undefined ? ['Present', yesNo(qc.present, 'yes', 'no (libvirt defaults apply)')] : null,
    qc.runsAsRoot !== undefined ? ['qemu runs as root', yesNo(qc.runsAsRoot === null ? null : !qc.runsAsRoot, 'no', 'yes')] : null,
    qc.securityDriverNone !== undefined ? ['security_driver "none"', yesNo(qc.securityDriverNone === null ? null : !qc.securityDriverNone, 'no', 'yes')] : null,
    qc.mountNamespace !== undefined ? ['Mount namespace', yesNo(qc.mountNamespace, 'yes', 'no')] : null,
  ], 'kv kv-inline'));
  if (Array.isArray(qc.duplicateKeys) && qc.duplicateKeys.length) {
    sec.append(h('p', { class: 'callout', text: `Set more than once (libvirt uses the first): ${qc.duplicateKeys.join(', ')}` }));
  }
  if (!keys.length) { sec.append(emptyNote('No settings found.')); return sec; }
  sec.append(h('p', { class: 'muted', text: 'The value each setting has for libvirt: written in the file, or libvirt\'s default when the file does not set it.' }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, ['Setting', 'Value in effect', 'From', 'As written'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, keys.map((k) => {
        const eff = tracked[k];
        return h('tr', {},
          h('th', { scope: 'row' }, h('code', { text: k })),
          h('td', {}, eff ? h('code', { text: fmt(eff.value) }) : k in written ? h('code', { text: fmt(written[k]) }) : h('span', { class: 'muted', text: '—' })),
          h('td', {}, eff ? h('span', { class: ['tag', eff.source === 'file' && 'tag-strong'], text: eff.source }) : h('span', { class: 'tag tag-strong', text: 'file' })),
          h('td', {}, k in written ? h('code', { text: fmt(written[k]) }) : h('span', { class: 'muted', text: 'not set' })));
      })))));
  return sec;
}

function fmt(v) {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
