#!/usr/bin/env python3
"""Generates a reproducible large hypervisor host for benchmarks and scale tests.

  Benchmarks/generate-host.py N OUTDIR [--seed S]

writes
  OUTDIR/node.xml   a libvirt test-driver node with N domains (open with test:///OUTDIR/node.xml):
                    realistic domain XML with disks, NICs, seclabels, some legacy devices, some
                    PCI hostdevs, a few shut-off domains
  OUTDIR/root/      a host root for `virtaudit scan --root OUTDIR/root`:
                    proc/<pid>/{status,cmdline,cgroup,ns/*,root,attr/current} for every running
                    domain with varied confinement, run/libvirt/qemu/<name>.pid, proc/self ns,
                    sys/kernel/iommu_groups + sys/bus/pci/devices with real symlink layout,
                    etc/libvirt/qemu.conf, proc/cmdline, cpu vulnerabilities
"""
import argparse
import os
import random
import shutil
import uuid

CAP_ALL = "000001ffffffffff"
HOST_NS = {"mnt": 4026531841, "pid": 4026531836, "net": 4026531840, "ipc": 4026531839,
           "uts": 4026531838, "user": 4026531837, "cgroup": 4026531835, "time": 4026531834}


def status_text(name, pid, uid, gid, caps, nnp, seccomp, filters):
    u = f"{uid}\t{uid}\t{uid}\t{uid}"
    g = f"{gid}\t{gid}\t{gid}\t{gid}"
    return f"""Name:\t{name[:15]}
Umask:\t0077
State:\tS (sleeping)
Tgid:\t{pid}
Ngid:\t0
Pid:\t{pid}
PPid:\t1
TracerPid:\t0
Uid:\t{u}
Gid:\t{g}
FDSize:\t128
Groups:\t{gid} 
NStgid:\t{pid}
NSpid:\t{pid}
NSpgid:\t{pid}
NSsid:\t{pid}
VmPeak:\t 1247648 kB
VmSize:\t 1181088 kB
VmLck:\t       0 kB
VmPin:\t       0 kB
VmHWM:\t  180424 kB
VmRSS:\t  180424 kB
RssAnon:\t  158740 kB
RssFile:\t   21684 kB
RssShmem:\t       0 kB
VmData:\t  255304 kB
VmStk:\t     132 kB
VmExe:\t    6012 kB
VmLib:\t   30768 kB
VmPTE:\t     516 kB
VmSwap:\t       0 kB
HugetlbPages:\t       0 kB
CoreDumping:\t0
THP_enabled:\t1
Threads:\t5
SigQ:\t0/94574
SigPnd:\t0000000000000000
ShdPnd:\t0000000000000000
SigBlk:\t0000000010002240
SigIgn:\t0000000000001000
SigCgt:\t0000000100004a03
CapInh:\t0000000000000000
CapPrm:\t{caps}
CapEff:\t{caps}
CapBnd:\t{caps if caps != '0000000000000000' else CAP_ALL}
CapAmb:\t0000000000000000
NoNewPrivs:\t{nnp}
Seccomp:\t{seccomp}
Seccomp_filters:\t{filters}
Speculation_Store_Bypass:\tthread vulnerable
SpeculationIndirectBranch:\tconditional enabled
Cpus_allowed:\t3
Cpus_allowed_list:\t0-1
Mems_allowed:\t00000000,00000001
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t2134
nonvoluntary_ctxt_switches:\t17
"""


def domain_xml(i, name, u, kind, hostdev, legacy, shutoff):
    dev = []
    dev.append("<emulator>/usr/bin/qemu-system-x86_64</emulator>")
    dev.append(f"""<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
        <source file='/var/lib/libvirt/images/{name}.qcow2'/><target dev='vda' bus='virtio'/></disk>""")
    dev.append(f"""<interface type='network'><mac address='52:54:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}'/>
        <source network='default'/><model type='virtio'/></interface>""")
    if legacy:
        dev.append("<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>")
        dev.append("<controller type='usb' index='0' model='piix3-uhci'/>")
        dev.append("<input type='tablet' bus='usb'/>")
        dev.append("<video><model type='cirrus' vram='16384' heads='1'/></video>")
        dev.append("<sound model='ich6'/>")
    else:
        dev.append("<video><model type='virtio' heads='1'/></video>")
    dev.append("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
    dev.append("<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>")
    if hostdev is not None:
        seg, bus, fn = hostdev
        dev.append(f"""<hostdev mode='subsystem' type='pci' managed='yes'><source>
        <address domain='0x{seg:04x}' bus='0x{bus:02x}' slot='0x00' function='0x{fn:x}'/></source></hostdev>""")
    runstate = "<test:runstate>5</test:runstate>" if shutoff else ""
    seclabel = "<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>" if kind == "rootdac" else ""
    return f"""  <domain type='kvm' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>{name}</name>
    <uuid>{u}</uuid>
    <memory unit='MiB'>2048</memory>
    <vcpu>2</vcpu>
    <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
    <features><acpi/><apic/></features>
    <devices>
      {chr(10).join('      ' + d for d in dev)}
    </devices>
    {seclabel}
    {runstate}
  </domain>
"""


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def symlink(target, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    out = os.path.abspath(a.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    root = os.path.join(out, "root")
    os.makedirs(root)

    # Host: self namespaces (the auditor's), cmdline, qemu.conf, CPU vulnerabilities.
    for ns, ino in HOST_NS.items():
        symlink(f"{ns}:[{ino}]", f"{root}/proc/self/ns/{ns}")
    write(f"{root}/proc/cmdline", "BOOT_IMAGE=/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro intel_iommu=on iommu=pt quiet\n")
    write(f"{root}/proc/sys/kernel/tainted", "0\n")
    write(f"{root}/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n")
    write(f"{root}/etc/libvirt/qemu.conf", '# generated\nsecurity_driver = "selinux"\nnamespaces = [ "mount" ]\n')
    for v, s in [("meltdown", "Not affected"), ("spectre_v2", "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling; PBRSB-eIBRS: SW sequence; BHI: BHI_DIS_S"),
                 ("mds", "Not affected"), ("l1tf", "Not affected"), ("retbleed", "Not affected")]:
        write(f"{root}/sys/devices/system/cpu/vulnerabilities/{v}", s + "\n")
    write(f"{root}/sys/fs/selinux/enforce", "1")
    write(f"{root}/etc/selinux/config", "SELINUX=enforcing\nSELINUXTYPE=targeted\n")

    nodes = ["<node>\n"]
    pid = 10000
    gpu_index = 0
    for i in range(a.n):
        name = f"vm{i:05d}"
        u = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        r = rnd.random()
        kind = "rootdac" if r < 0.05 else ("nosandbox" if r < 0.10 else ("sharedmnt" if r < 0.13 else "default"))
        shutoff = rnd.random() < 0.05
        legacy = rnd.random() < 0.2
        hostdev = None
        if rnd.random() < 0.05:
            # One GPU per assigned VM, alone in its IOMMU group; large hosts spill into further
            # PCI segments (domains) once a segment's buses are used up.
            seg, bus = divmod(gpu_index, 0xe0)
            bus += 0x10
            hostdev = (seg, bus, 0)
            d = f"{seg:04x}:{bus:02x}:00.0"
            grp = 100 + gpu_index
            bridge = f"pci{seg:04x}:00/{seg:04x}:00:01.{bus % 8}"
            dev_real = f"devices/{bridge}/{d}"
            os.makedirs(f"{root}/sys/{dev_real}", exist_ok=True)
            for attr, val in [("vendor", "0x10de"), ("device", "0x1db6"), ("class", "0x030200"),
                              ("subsystem_vendor", "0x10de"), ("subsystem_device", "0x124a")]:
                write(f"{root}/sys/{dev_real}/{attr}", val + "\n")
            symlink(f"../../../{dev_real}", f"{root}/sys/bus/pci/devices/{d}")
            symlink(f"../../../../bus/pci/drivers/vfio-pci", f"{root}/sys/{dev_real}/driver")
            symlink(f"../../../../kernel/iommu_groups/{grp}", f"{root}/sys/{dev_real}/iommu_group")
            symlink(f"../../../../devices/{bridge}/{d}", f"{root}/sys/kernel/iommu_groups/{grp}/devices/{d}")
            write(f"{root}/sys/kernel/iommu_groups/{grp}/type", "DMA-FQ\n")
            write(f"{root}/sys/kernel/iommu_groups/{grp}/reserved_regions",
                  "0x00000000fee00000 0x00000000feefffff msi\n0x000000fd00000000 0x000000ffffffffff reserved\n")
            os.makedirs(f"{root}/sys/bus/pci/drivers/vfio-pci", exist_ok=True)
            gpu_index += 1
        nodes.append(domain_xml(i, name, u, kind, hostdev, legacy, shutoff))
        if shutoff:
            continue
        pid += rnd.randint(1, 40)
        p = f"{root}/proc/{pid}"
        uid = 0 if kind == "rootdac" else 107
        caps = CAP_ALL if kind == "rootdac" else "0000000000000000"
        write(f"{p}/status", status_text("qemu-system-x86", pid, uid, uid, caps, 0, 2, 1))
        sandbox = [] if kind == "nosandbox" else ["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]
        args = (["/usr/bin/qemu-system-x86_64", "-name", f"guest={name},debug-threads=on", "-S",
                 "-machine", "pc-q35-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram",
                 "-accel", "kvm", "-cpu", "host,migratable=on", "-m", "2048", "-smp", "2,sockets=2,cores=1,threads=1",
                 "-uuid", u, "-no-user-config", "-nodefaults", "-chardev", "socket,id=charmonitor,fd=31,server=on,wait=off",
                 "-mon", "chardev=charmonitor,id=monitor,mode=control", "-rtc", "base=utc", "-no-shutdown"]
                + sandbox + ["-msg", "timestamp=on"])
        write(f"{p}/cmdline", "\0".join(args) + "\0")
        esc = name.replace("-", "\\x2d")
        write(f"{p}/cgroup", f"0::/machine.slice/machine-qemu\\x2d{i + 1}\\x2d{esc}.scope/libvirt/emulator\n")
        for ns, ino in HOST_NS.items():
            private = ns == "mnt" and kind != "sharedmnt"
            symlink(f"{ns}:[{ino + 1000 + i if private else ino}]", f"{p}/ns/{ns}")
        symlink("/", f"{p}/root")
        c1, c2 = sorted(rnd.sample(range(1024), 2))
        write(f"{p}/attr/current", f"system_u:system_r:svirt_t:s0:c{c1},c{c2}\0")
        write(f"{root}/run/libvirt/qemu/{name}.pid", str(pid))
    nodes.append("</node>\n")
    write(f"{out}/node.xml", "".join(nodes))
    print(f"generated {a.n} domains: test://{out}/node.xml  root: {root}")


if __name__ == "__main__":
    main()
