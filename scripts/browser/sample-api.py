#!/usr/bin/env python3
"""Development server for the dashboard: serves web/ and the virtaudit API from built-in
sample data (two guests, va-confined and va-rootdac, and a host with IOMMU groups and CPU
vulnerabilities). It is a development aid only; the real service is `virtaudit serve`.

    scripts/browser/sample-api.py [--port 8471] [--no-history] [--token T] [--read-token R]

--token makes every API request need `Authorization: Bearer T` (admin); --read-token adds a
token that may read but not start scans (403). --no-history answers 404 on history and diff.
--empty answers 503 no_results (no scan completed yet) until a scan is started.
"""
import argparse
import copy
import hashlib
import json
import mimetypes
import os
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'web')
LAYERS = ['qemu-sandbox', 'dac', 'namespaces', 'mac', 'seccomp', 'device-isolation', 'device-surface', 'resources', 'confidential', 'host']
WEIGHT = {'critical': 20, 'high': 10, 'medium': 5, 'low': 2, 'info': 0}
SEVERITIES = ['critical', 'high', 'medium', 'low', 'info']

# Rules: id, layer, severity, title, expected, remediation, references.
RULES = {
    'qemu-sandbox.sandbox-enabled': ('qemu-sandbox', 'high', 'qemu runs with its own -sandbox seccomp filter',
        '-sandbox on', 'Set seccomp_sandbox = 1 in /etc/libvirt/qemu.conf and restart the guest.',
        ['https://libvirt.org/kbase/qemu-passthrough-security.html']),
    'qemu-sandbox.deny-elevate': ('qemu-sandbox', 'medium', 'qemu sandbox denies privilege elevation',
        '-sandbox elevateprivileges=deny', 'Use a libvirt that passes elevateprivileges=deny (>= 5.0) and keep seccomp_sandbox = 1 in qemu.conf.', []),
    'dac.non-root-user': ('dac', 'critical', 'qemu runs as an unprivileged user',
        'effective uid and gid are not 0',
        "Remove the per-domain <seclabel type='static' model='dac'><label>+0:+0</label></seclabel>, and set user/group in /etc/libvirt/qemu.conf to an unprivileged account (default libvirt-qemu).",
        ['https://libvirt.org/drvqemu.html#posix-users-groups']),
    'dac.no-capabilities': ('dac', 'high', 'qemu holds no Linux capabilities',
        'the effective capability set is empty', 'Run qemu as an unprivileged user (see dac.non-root-user); libvirt then clears all capabilities. Set clear_emulator_capabilities = 1 in qemu.conf.', []),
    'dac.no-new-privs': ('dac', 'medium', 'qemu cannot gain privileges through execve (NoNewPrivs)',
        'NoNewPrivs is 1', 'Keep seccomp_sandbox = 1 (qemu sets no_new_privs with -sandbox elevateprivileges=deny).', []),
    'namespaces.private-mount': ('namespaces', 'high', 'qemu has a private mount namespace',
        'mount namespace differs from the host (pid 1)', "Set namespaces = [ \"mount\" ] in /etc/libvirt/qemu.conf.", []),
    'namespaces.private-devfs': ('namespaces', 'medium', 'qemu sees a private /dev',
        '/dev is a private tmpfs with only the guest\'s devices', "Keep namespaces = [ \"mount\" ] in qemu.conf (libvirt then builds a private /dev).", []),
    'mac.confined': ('mac', 'high', 'qemu is confined by SELinux sVirt or AppArmor',
        'an enforcing svirt_t/svirt_tcg_t label or an enforced libvirt-<uuid> AppArmor profile',
        'Enable SELinux in enforcing mode (or AppArmor) on the host and set security_driver = "selinux" (or "apparmor") in qemu.conf.', ['https://libvirt.org/drvqemu.html#selinux-basic-confinement']),
    'mac.unique-mcs': ('mac', 'high', 'each VM has a unique MCS category pair', 'no two VMs share a category pair',
        "Remove <seclabel type='static'> labels that reuse categories; let libvirt assign dynamic labels.", []),
    'seccomp.filter-active': ('seccomp', 'high', 'a seccomp filter is installed', 'Seccomp mode 2 (filter)', 'Set seccomp_sandbox = 1 in qemu.conf.', []),
    'device-isolation.hostdev-iommu': ('device-isolation', 'critical', 'assigned devices are behind an IOMMU',
        'every <hostdev> is in an IOMMU group', 'Enable the IOMMU (intel_iommu=on or amd_iommu=on on the kernel command line) before assigning devices.', []),
    'device-isolation.group-viable': ('device-isolation', 'high', 'the IOMMU groups of assigned devices are viable',
        'every member of the group is bound to vfio-pci or is a bridge', 'Bind every device of the group to vfio-pci, or assign the whole group to the same VM.', []),
    'device-surface.no-legacy-devices': ('device-surface', 'low', 'no legacy emulated devices',
        'no IDE, floppy, PS/2 or ISA devices', 'Replace <disk bus=\'ide\'> with bus=\'virtio\' and remove <input type=\'tablet\' bus=\'usb\'> when not needed.', []),
    'confidential.launch-security': ('confidential', 'info', 'memory encryption (SEV/TDX) is used',
        '<launchSecurity> is present', 'Add <launchSecurity type=\'sev-snp\'> on hosts with AMD SEV-SNP (or type=\'tdx\' on Intel TDX).', []),
    'host.mac-enabled': ('host', 'high', 'SELinux or AppArmor is enforcing on the host', 'SELinux enforcing or AppArmor enabled',
        'Enable SELinux (SELINUX=enforcing in /etc/selinux/config) or AppArmor (apparmor=1 security=apparmor) and reboot.', []),
    'host.cpu-mitigations': ('host', 'medium', 'CPU vulnerabilities are mitigated', 'no "Vulnerable" entry in /sys/devices/system/cpu/vulnerabilities',
        'Update the CPU microcode and the kernel; do not boot with mitigations=off.', []),
    'host.qemu-user': ('host', 'critical', 'qemu.conf runs qemu as an unprivileged user', 'user and group are not root', 'Set user = "libvirt-qemu" and group = "libvirt-qemu" in /etc/libvirt/qemu.conf.', []),
    'host.kernel-lockdown': ('host', 'low', 'the kernel is locked down', 'lockdown is integrity or confidentiality', 'Boot with lockdown=integrity (or enable Secure Boot).', []),
    'host.iommu-enabled': ('host', 'medium', 'the IOMMU is enabled', 'IOMMU groups exist', 'Add intel_iommu=on (or amd_iommu=on) to the kernel command line.', []),
}


def finding(rule, status, observed, reason=None, waiver=None):
    """A finding in results format 2: its rule's texts are in the answer's `rules` map."""
    layer, severity = RULES[rule][0], RULES[rule][1]
    lost = WEIGHT[severity] if status in ('fail', 'unknown') else 0
    fid = 'va1-' + hashlib.sha256(f'{rule}:{observed}'.encode()).hexdigest()[:32]
    return {'id': fid, 'rule': rule, 'layer': layer, 'severity': severity, 'status': status,
            'observed': observed, 'reason': reason, 'pointsLost': float(lost), 'waiver': waiver}


PROBLEMS = ('fail', 'unknown', 'waived')


def rule_texts(findings):
    """The `rules` map of an answer: the texts of exactly the rules of its findings."""
    out = {}
    for f in findings:
        layer, severity, title, expected, remediation, refs = RULES[f['rule']]
        out[f['rule']] = {'title': title, 'layer': layer, 'severity': severity, 'expected': expected,
                          'rationale': f'Why {title.lower()} matters (sample text).', 'remediation': remediation,
                          'references': refs}
    return out


def failing_counts(findings):
    failing = {s: 0 for s in SEVERITIES}
    for f in findings:
        if f['status'] == 'fail':
            failing[f['severity']] += 1
    return failing


def listed(target, which):
    """A host or domain report with the findings `?findings=` asks for, and their rule texts."""
    fs = [f for f in target['findings'] if which == 'all' or f['status'] in PROBLEMS]
    return dict(target, findings=fs, findingsListed=which, rules=rule_texts(fs))


def policies():
    rules = [{'id': rid, 'layer': r[0], 'severity': r[1], 'scope': 'host' if r[0] == 'host' else 'domain', 'title': r[2],
              'check': '...', 'remediation': r[4], 'references': r[5]} for rid, r in RULES.items()]
    return {'rules': rules, 'profiles': {'default': {}}}


def score_of(findings):
    layers = {}
    for f in findings:
        ls = layers.setdefault(f['layer'], {'score': 100, 'pass': 0, 'fail': 0, 'unknown': 0, 'waived': 0, 'lost': 0})
        if f['status'] in ('pass', 'fail', 'unknown', 'waived'):
            ls[f['status']] += 1
        ls['lost'] += f['pointsLost']
    for ls in layers.values():
        ls['score'] = int(max(0, 100 - ls.pop('lost') * 3))
        # Simplified: a layer with a failing or unknown check counts as down (Docs/scoring.md has the rule).
        ls['down'] = ls['fail'] + ls['unknown'] > 0
    score = int(max(0, 100 - sum(f['pointsLost'] for f in findings)))
    grade = 'A' if score >= 90 else 'B' if score >= 80 else 'C' if score >= 70 else 'D' if score >= 60 else 'F'
    return score, grade, layers


CONFINED_UUID = '5f0c9a1e-3b7d-4c0e-9d8a-2f6b1e7c4a01'
ROOTDAC_UUID = '9b2e4d6f-8a1c-4e3b-b5d7-0c9f2a4e6b12'


def domain(name, uuid, root):
    uid = 0 if root else 64055
    caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_SETGID', 'CAP_SETUID', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SYS_RAWIO'] if root else []
    hostdevs = [] if root else [{
        'type': 'pci', 'mode': 'subsystem', 'managed': True, 'present': True, 'address': '0000:03:00.0',
        'vendor': '0x8086', 'device': '0x1533', 'className': 'Ethernet controller', 'driver': 'vfio-pci', 'vfio': True,
        'legacyAssignment': False, 'iommuGroup': 12, 'groupType': 'DMA', 'groupViable': True, 'nonViableReasons': [], 'isVF': False,
        'groupMembers': [{'address': '0000:03:00.0', 'driver': 'vfio-pci', 'bridge': False, 'assignedTo': [name]}]}]
    facts = {
        'domain': {'name': name, 'uuid': uuid, 'type': 'qemu', 'state': 'running', 'running': True, 'id': 1 if root else 2,
                   'emulator': '/usr/bin/qemu-system-x86_64', 'machine': 'pc-q35-7.2',
                   'seclabels': [{'model': 'dac', 'type': 'static', 'label': '+0:+0'}] if root else [{'model': 'dac', 'type': 'dynamic', 'label': '+64055:+994'}]},
        'process': {'pid': 4211 if root else 4187, 'uid': uid, 'gid': uid and 994, 'noNewPrivs': not root,
                    'capabilities': {'effective': caps, 'permitted': caps, 'bounding': caps},
                    'seccomp': {'mode': 2, 'filters': 1},
                    'namespaces': {'mnt': {'inode': 4026532301 if root else 4026532290, 'sharedWithHost': None if root else False}},
                    'selinux': None, 'apparmor': None,
                    'cmdline': ['/usr/bin/qemu-system-x86_64', '-name', f'guest={name},debug-threads=on', '-machine', 'pc-q35-7.2,usb=off',
                                '-accel', 'tcg', '-sandbox', 'on,obsolete=deny,elevateprivileges=' + ('allow' if root else 'deny') + ',spawn=deny,resourcecontrol=deny']},
        'sandbox': {'enabled': True, 'obsolete': 'deny', 'elevateprivileges': 'allow' if root else 'deny', 'spawn': 'deny', 'resourcecontrol': 'deny', 'runas': None, 'chroot': None},
        'devices': {'hostdevs': hostdevs},
        'surface': {'legacy': ['ide-cd', 'usb-tablet'] if root else ['usb-tablet'], 'guestAgent': True, 'shmem': [], 'vsock': False},
        'confidential': {'launchSecurity': None},
        'unknown': {'process.namespaces.mnt.sharedWithHost': '/proc/1/ns/mnt: permission denied (EACCES)'} if root else {},
    }
    fs = [
        finding('qemu-sandbox.sandbox-enabled', 'pass', {'sandbox.enabled': True}),
        finding('qemu-sandbox.deny-elevate', 'fail' if root else 'pass', {'sandbox.elevateprivileges': 'allow' if root else 'deny'}),
        finding('dac.non-root-user', 'fail' if root else 'pass', {'process.uid': uid, 'process.gid': uid and 994}),
        finding('dac.no-capabilities', 'fail' if root else 'pass', {'process.capabilities.effective': caps}),
        finding('dac.no-new-privs', 'fail' if root else 'pass', {'process.noNewPrivs': not root}),
        finding('namespaces.private-mount', 'unknown' if root else 'pass', {'process.namespaces.mnt.sharedWithHost': None if root else False},
                reason='/proc/1/ns/mnt: permission denied (EACCES)' if root else None),
        finding('namespaces.private-devfs', 'pass', {'process.namespaces.mnt.inode': facts['process']['namespaces']['mnt']['inode']}),
        finding('mac.confined', 'fail', {'process.selinux': None, 'process.apparmor': None, 'host.selinux.enabled': False, 'host.apparmor.enabled': False}),
        finding('mac.unique-mcs', 'not-applicable', {'host.selinux.enabled': False}),
        finding('seccomp.filter-active', 'pass', {'process.seccomp.mode': 2}),
        finding('device-isolation.hostdev-iommu', 'not-applicable' if root else 'pass', {'devices.hostdevs[].iommuGroup': [d['iommuGroup'] for d in hostdevs]}),
        finding('device-isolation.group-viable', 'not-applicable' if root else 'pass', {'devices.hostdevs[].groupViable': [d['groupViable'] for d in hostdevs]}),
        finding('device-surface.no-legacy-devices', 'fail', {'surface.legacy': facts['surface']['legacy']}),
    ]
    if root:
        fs.append(finding('confidential.launch-security', 'fail', {'confidential.launchSecurity': None}))
    else:
        fs.append(finding('confidential.launch-security', 'waived', {'confidential.launchSecurity': None},
                          reason='TCG test guest; this host has no SEV/TDX',
                          waiver={'reason': 'TCG test guest; this host has no SEV/TDX', 'by': 'ops@example.org', 'expires': '2027-03-31', 'file': '/etc/virtaudit/waivers.yaml'}))
    score, grade, layers = score_of(fs)
    return {'name': name, 'uuid': uuid, 'state': 'running', 'id': facts['domain']['id'], 'profile': 'default',
            'facts': facts, 'findings': fs, 'score': score, 'grade': grade, 'layers': layers,
            'layersStanding': sum(1 for ls in layers.values() if not ls['down']), 'layersTotal': len(layers),
            'failing': failing_counts(fs), 'management': None}


def host_report():
    vulns = {
        'spectre_v1': {'text': 'Mitigation: usercopy/swapgs barriers and __user pointer sanitization', 'state': 'mitigated', 'smtVulnerable': False},
        'spectre_v2': {'text': 'Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling; PBRSB-eIBRS: SW sequence; BHI: SW loop, KVM: SW loop', 'state': 'mitigated', 'smtVulnerable': False},
        'meltdown': {'text': 'Not affected', 'state': 'not-affected', 'smtVulnerable': False},
        'mds': {'text': 'Not affected', 'state': 'not-affected', 'smtVulnerable': False},
        'l1tf': {'text': 'Not affected', 'state': 'not-affected', 'smtVulnerable': False},
        'mmio_stale_data': {'text': 'Vulnerable: Clear CPU buffers attempted, no microcode; SMT vulnerable', 'state': 'vulnerable', 'smtVulnerable': True},
        'retbleed': {'text': 'Mitigation: Enhanced IBRS', 'state': 'mitigated', 'smtVulnerable': False},
        'spec_store_bypass': {'text': 'Mitigation: Speculative Store Bypass disabled via prctl', 'state': 'mitigated', 'smtVulnerable': False},
        'srbds': {'text': 'Not affected', 'state': 'not-affected', 'smtVulnerable': False},
        'gather_data_sampling': {'text': 'Unknown: Dependent on hypervisor status', 'state': 'unknown', 'smtVulnerable': False},
    }
    groups = [
        {'group': 0, 'type': 'DMA-FQ', 'viable': True, 'reasons': [], 'devices': [
            {'address': '0000:00:00.0', 'vendor': '0x8086', 'device': '0x4660', 'className': 'Host bridge', 'driver': None, 'bridge': True}]},
        {'group': 1, 'type': 'DMA-FQ', 'viable': False, 'reasons': ['0000:02:00.0 is bound to nvme, not vfio-pci'], 'notes': [], 'devices': [
            {'address': '0000:00:01.0', 'vendor': '0x8086', 'device': '0x460d', 'className': 'PCI bridge', 'driver': 'pcieport', 'bridge': True},
            {'address': '0000:02:00.0', 'vendor': '0x144d', 'device': '0xa80a', 'className': 'Non-Volatile memory controller', 'driver': 'nvme', 'bridge': False}]},
        {'group': 12, 'type': 'DMA', 'viable': True, 'reasons': [], 'devices': [
            {'address': '0000:03:00.0', 'vendor': '0x8086', 'device': '0x1533', 'className': 'Ethernet controller', 'driver': 'vfio-pci', 'bridge': False, 'assignedTo': ['va-confined']}]},
        {'group': 13, 'type': 'DMA-FQ', 'viable': False, 'reasons': ['0000:01:00.0 is bound to nouveau, not vfio-pci', '0000:01:00.1 is bound to snd_hda_intel, not vfio-pci'], 'devices': [
            {'address': '0000:01:00.0', 'vendor': '0x10de', 'device': '0x1f82', 'className': 'VGA compatible controller', 'driver': 'nouveau', 'bridge': False},
            {'address': '0000:01:00.1', 'vendor': '0x10de', 'device': '0x10fa', 'className': 'Audio device', 'driver': 'snd_hda_intel', 'bridge': False}]},
        {'group': 14, 'type': 'DMA-FQ', 'viable': True, 'reasons': [], 'devices': [
            {'address': '0000:04:00.0', 'vendor': '0x1b21', 'device': '0x2142', 'className': 'USB controller', 'driver': None, 'bridge': False}]},
    ]
    facts = {'host': {
        'hostname': 'hv01.lab.example',
        'selinux': {'enabled': False, 'enforcing': False, 'mode': 'disabled', 'policyType': None, 'configMode': None, 'source': 'selinuxfs'},
        'apparmor': {'enabled': False, 'profilesLoaded': None, 'libvirtProfiles': []},
        'cpu': {'vulnerabilities': vulns, 'vulnerable': ['mmio_stale_data'], 'smtVulnerable': ['mmio_stale_data'],
                'smt': {'control': 'on', 'active': True}},
        'qemuConf': {'present': True, 'path': '/etc/libvirt/qemu.conf', 'duplicateKeys': [],
                     'settings': {'user': 'libvirt-qemu', 'group': 'libvirt-qemu', 'seccomp_sandbox': 1, 'security_driver': 'none'},
                     'securityDriverNone': True, 'runsAsRoot': False, 'mountNamespace': True,
                     'user': {'value': 'libvirt-qemu', 'source': 'file'}, 'group': {'value': 'libvirt-qemu', 'source': 'file'},
                     'dynamic_ownership': {'value': True, 'source': 'default'}, 'remember_owner': {'value': True, 'source': 'default'},
                     'clear_emulator_capabilities': {'value': True, 'source': 'default'}, 'seccomp_sandbox': {'value': 1, 'source': 'file'},
                     'security_driver': {'value': ['none'], 'source': 'file'}, 'security_default_confined': {'value': True, 'source': 'default'},
                     'namespaces': {'value': ['mount'], 'source': 'default'}},
        'iommu': {'present': True, 'mode': 'translated', 'groupCount': len(groups), 'assignedDeviceCount': 1,
                  'interruptRemapping': True, 'allowUnsafeInterrupts': False, 'groups': groups},
        'kvm': {'path': '/dev/kvm', 'exists': True, 'uid': 0, 'gid': 994, 'group': 'kvm', 'mode': '0660', 'charDevice': True,
                'worldAccessible': False, 'worldWritable': False},
        'kernel': {'release': '6.1.0-28-amd64', 'lockdown': {'mode': 'none', 'available': ['none', 'integrity', 'confidentiality']},
                   'taint': {'value': 0, 'tainted': False, 'flags': [], 'names': []},
                   'cmdline': {'raw': 'BOOT_IMAGE=/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro intel_iommu=on quiet', 'mitigationsOff': False}},
    }}
    fs = [
        finding('host.mac-enabled', 'fail', {'host.selinux.enabled': False, 'host.apparmor.enabled': False}),
        finding('host.cpu-mitigations', 'fail', {'host.cpu.vulnerabilities.mmio_stale_data.state': 'vulnerable'}),
        finding('host.qemu-user', 'pass', {'host.qemuConf.runsAsRoot': False}),
        finding('host.kernel-lockdown', 'fail', {'host.kernel.lockdown.mode': 'none'}),
        finding('host.iommu-enabled', 'pass', {'host.iommu.present': True}),
    ]
    score, grade, layers = score_of(fs)
    return {'hostname': 'hv01.lab.example', 'facts': facts, 'findings': fs, 'score': score, 'grade': grade, 'layers': layers,
            'layersStanding': sum(1 for ls in layers.values() if not ls['down']), 'layersTotal': len(layers),
            'failing': failing_counts(fs)}


class State:
    def __init__(self, history, empty=False):
        self.lock = threading.Lock()
        self.history = history
        self.empty = empty
        self.seq = 1
        self.jobs = {}
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.scan_at = self.now - timedelta(minutes=3)
        self.host = host_report()
        self.domains = [domain('va-confined', CONFINED_UUID, False), domain('va-rootdac', ROOTDAC_UUID, True)]

    def scan_id(self):
        return f'scan-{self.seq:04d}'

    def rescan(self):
        with self.lock:
            self.seq += 1
            self.empty = False
            self.scan_at = datetime.now(timezone.utc).replace(microsecond=0)
            return self.scan_id()

    def last_scan(self):
        age = (datetime.now(timezone.utc) - self.scan_at).total_seconds()
        return {'at': self.scan_at.isoformat().replace('+00:00', 'Z'), 'ageSeconds': round(age), 'id': self.scan_id()}

    def domain_item(self, d):
        keys = ('name', 'uuid', 'state', 'id', 'score', 'grade', 'profile', 'layers', 'layersStanding', 'layersTotal',
                'failing', 'management')
        return {k: d[k] for k in keys} | {'links': {'self': f"/api/v1/domains/{d['uuid']}"}}

    def summary(self):
        by_grade = {g: 0 for g in 'ABCDF'}
        by_state = {}
        failing = {k: {s: 0 for s in SEVERITIES} for k in ('domains', 'host', 'total')}
        for d in self.domains:
            by_grade[d['grade']] += 1
            by_state[d['state']] = by_state.get(d['state'], 0) + 1
        for kind, fs in [('domains', f) for d in self.domains for f in d['findings']] + [('host', f) for f in self.host['findings']]:
            if fs['status'] == 'fail':
                failing[kind][fs['severity']] += 1
                failing['total'][fs['severity']] += 1
        at = self.scan_at.isoformat().replace('+00:00', 'Z')
        return {'host': {'hostname': self.host['hostname'], 'score': self.host['score'], 'grade': self.host['grade']},
                'domains': {'total': len(self.domains), 'byGrade': by_grade, 'byState': by_state},
                'failing': failing, 'lastScan': {'id': self.scan_id(), 'startedAt': at, 'finishedAt': at, 'durationMs': 812.0},
                'stale': False, 'errors': []}

    def points(self, target):
        base = self.host['score'] if target == 'host' else next((d['score'] for d in self.domains if target in (d['uuid'], d['name'])), None)
        if base is None:
            return None
        drift = [-12, -12, -7, -7, -7, -2, -2, 0, 0, 0, 0, 0] if target != ROOTDAC_UUID else [10, 10, 10, 5, 5, 5, 5, 5, 0, 0, 0, 0]
        out = []
        for i, dv in enumerate(drift):
            at = self.scan_at - timedelta(hours=6 * (len(drift) - 1 - i))
            sc = max(0, min(100, base + dv))
            grade = 'A' if sc >= 90 else 'B' if sc >= 80 else 'C' if sc >= 70 else 'D' if sc >= 60 else 'F'
            out.append({'scanId': f'scan-h{i:02d}' if i < len(drift) - 1 else self.scan_id(), 'at': at.isoformat().replace('+00:00', 'Z'), 'score': sc, 'grade': grade})
        return {'target': target, 'points': out}

    def diff(self, frm, to):
        rd = next(d for d in self.domains if d['name'] == 'va-rootdac')
        cf = next(d for d in self.domains if d['name'] == 'va-confined')
        pick = lambda d, rule: next(dict(f, title=RULES[rule][2]) for f in d['findings'] if f['rule'] == rule)
        new = [dict(pick(rd, 'dac.no-new-privs'), target=rd['uuid'], targetName=rd['name'])]
        resolved = [dict(pick(cf, 'qemu-sandbox.deny-elevate'), target=cf['uuid'], targetName=cf['name'])]
        changed = [{'target': 'host', 'targetName': 'host', 'rule': 'host.cpu-mitigations',
                    'before': dict(pick(self.host, 'host.cpu-mitigations'), status='pass'), 'after': pick(self.host, 'host.cpu-mitigations')}]
        return {'from': frm, 'to': to, 'new': new, 'resolved': resolved, 'changed': changed}


def job_record(job):
    at = datetime.fromtimestamp(job['t'], timezone.utc).isoformat().replace('+00:00', 'Z')
    return {'id': job['id'], 'state': job['state'], 'trigger': 'request', 'requestedAt': at, 'startedAt': at,
            'finishedAt': at if job['state'] == 'done' else None, 'error': None, 'result': None,
            'persisted': True if job['state'] == 'done' else None, 'persistError': None,
            'links': {'self': f"/api/v1/scans/{job['id']}"}}


class Handler(BaseHTTPRequestHandler):
    server_version = 'virtaudit-sample/1'
    state = None
    tokens = {}

    def log_message(self, fmt, *args):
        if os.environ.get('SAMPLE_API_LOG'):
            super().log_message(fmt, *args)

    def send(self, status, body=b'', ctype='application/json', etag=None, extra=None):
        self.send_response(status)
        self.send_header('Content-Security-Policy', "default-src 'self'")
        self.send_header('X-Content-Type-Options', 'nosniff')
        if body or status not in (204, 304):
            self.send_header('Content-Type', ctype)
            self.send_header('Content-Length', str(len(body)))
        if etag:
            self.send_header('ETag', etag)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD' and status != 304:
            self.wfile.write(body)

    def json(self, status, obj):
        body = json.dumps(obj, sort_keys=True).encode()
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        if status == 200 and self.headers.get('If-None-Match') == etag:
            return self.send(304, etag=etag)
        self.send(status, body, etag=etag if status == 200 else None)

    CODES = {400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 503: 'no_results'}

    def error(self, status, message):
        self.json(status, {'error': {'code': self.CODES.get(status, 'server_error'), 'message': message}})

    def role(self):
        if not self.tokens:
            return 'admin'
        auth = self.headers.get('Authorization', '')
        return self.tokens.get(auth[7:]) if auth.startswith('Bearer ') else None

    def do_GET(self):
        url = urlsplit(self.path)
        path = unquote(url.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        st = self.state
        if path == '/healthz':
            scanning = any(j['state'] != 'done' for j in st.jobs.values())
            return self.json(200, {'status': 'ok', 'reasons': [], 'libvirt': {'connected': True},
                                   'lastScan': None if st.empty else st.last_scan(), 'stale': False, 'scanning': scanning,
                                   'history': {'pendingScans': 0, 'error': None}})
        if path.startswith('/api/'):
            if self.role() is None:
                return self.error(401, 'a bearer token is required')
            return self.api(path, q)
        return self.static(path)

    do_HEAD = do_GET

    def api(self, path, q):
        st = self.state
        if st.empty and not path.startswith(('/api/v1/scans', '/api/v1/policies')):
            return self.error(503, 'no scan has completed yet')
        if path == '/api/v1/summary':
            return self.json(200, st.summary())
        if path == '/api/v1/domains':
            return self.json(200, {'domains': [st.domain_item(d) for d in st.domains], 'count': len(st.domains)})
        which = q.get('findings', 'problems')
        if (path in ('/api/v1/report', '/api/v1/host') or path.startswith('/api/v1/domains/')) and which not in ('problems', 'all'):
            return self.error(400, 'findings: use problems or all')
        if path.startswith('/api/v1/domains/'):
            key = path.split('/', 4)[4]
            d = next((d for d in st.domains if key in (d['uuid'], d['name'])), None)
            return self.json(200, listed(d, which)) if d else self.error(404, f'no domain {key}')
        if path == '/api/v1/host':
            return self.json(200, listed(st.host, which))
        if path == '/api/v1/policies':
            return self.json(200, policies())
        if path == '/api/v1/findings':
            out = [dict(f, target={'kind': 'host', 'name': st.host['hostname'], 'uuid': None}) for f in st.host['findings']]
            out += [dict(f, target={'kind': 'domain', 'name': d['name'], 'uuid': d['uuid']}) for d in st.domains for f in d['findings']]
            return self.json(200, {'findings': out, 'count': len(out), 'rules': rule_texts(out)})
        if path.startswith('/api/v1/scans/'):
            job = st.jobs.get(path.rsplit('/', 1)[1])
            if not job:
                return self.error(404, 'no such scan')
            if job['state'] != 'done' and time.time() - job['t'] > 2:
                job['state'] = 'done'
                st.rescan()
            return self.json(200, job_record(job))
        if path == '/api/v1/history' and st.history:
            pts = st.points(q.get('target', 'host'))
            return self.json(200, pts) if pts else self.error(404, 'no such target')
        if path == '/api/v1/admissions' and st.history:
            return self.json(200, {'admissions': [], 'counts': []})
        if path == '/api/v1/diff' and st.history:
            return self.json(200, st.diff(q.get('from'), q.get('to')))
        return self.error(404, 'not found')

    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        if urlsplit(self.path).path != '/api/v1/scans':
            return self.error(404, 'not found')
        role = self.role()
        if role is None:
            return self.error(401, 'a bearer token is required')
        if role != 'admin':
            return self.error(403, 'starting a scan needs an admin token')
        job_id = f'job-{len(self.state.jobs) + 1}'
        job = {'id': job_id, 'state': 'queued', 't': time.time()}
        self.state.jobs[job_id] = job
        self.json(202, job_record(job))

    def static(self, path):
        if path == '/':
            path = '/index.html'
        full = os.path.realpath(os.path.join(WEB, path.lstrip('/')))
        if not full.startswith(os.path.realpath(WEB) + os.sep) or not os.path.isfile(full):
            return self.error(404, 'not found')
        ctype = mimetypes.guess_type(full)[0] or 'application/octet-stream'
        if full.endswith('.js'):
            ctype = 'text/javascript'
        with open(full, 'rb') as fh:
            self.send(200, fh.read(), ctype + ('; charset=utf-8' if ctype.startswith('text/') else ''), extra={'Cache-Control': 'no-cache'})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=8471)
    ap.add_argument('--no-history', action='store_true')
    ap.add_argument('--token')
    ap.add_argument('--read-token')
    ap.add_argument('--empty', action='store_true')
    args = ap.parse_args()
    Handler.state = State(history=not args.no_history, empty=args.empty)
    Handler.tokens = {t: r for t, r in ((args.token, 'admin'), (args.read_token, 'read')) if t}
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f'sample API on http://{args.host}:{args.port}/', flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
