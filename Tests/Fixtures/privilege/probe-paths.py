#!/usr/bin/python3
"""Tries every host read virtaudit makes, as the calling credentials, and prints one line per
path: `<operation> <path> <result>` where result is `ok` or the errno name (EACCES, EPERM,
ENOENT...). Run it under different credentials (see measure.sh) to see what each privilege
level can read. Only reads: open+read, readlink, stat, listdir, and a connect() to libvirt's
read-only socket."""
import errno
import os
import socket
import sys


def result(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def read(path):
    def go():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.read(fd, 4096)
        finally:
            os.close(fd)
    return result(go)


def readlink(path):
    return result(lambda: os.readlink(path))


def stat(path):
    return result(lambda: os.stat(path))


def listdir(path):
    return result(lambda: os.listdir(path))


def connect(path):
    def go():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        finally:
            s.close()
    return result(go)


def pid_from(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def emit(op, path, res):
    print(f"{op}\t{path}\t{res}")


def aggregate(op, label, paths, fn):
    """One line for a family of paths: ok when all succeed, else the distinct results."""
    if not paths:
        emit(op, label, "ENOENT")
        return
    results = sorted({fn(p) for p in paths})
    emit(op, label, "/".join(results) + f" ({len(paths)})")


NS = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"]


def main():
    guests = sys.argv[1:] or ["va-confined", "va-rootdac"]
    # libvirt
    emit("connect", "/run/libvirt/libvirt-sock-ro", connect("/run/libvirt/libvirt-sock-ro"))
    emit("connect", "/run/libvirt/libvirt-sock", connect("/run/libvirt/libvirt-sock"))
    emit("listdir", "/run/libvirt/qemu", listdir("/run/libvirt/qemu"))
    emit("read", "/run/libvirtd.pid", read("/run/libvirtd.pid"))
    for g in guests:
        emit("read", f"/run/libvirt/qemu/{g}.pid", read(f"/run/libvirt/qemu/{g}.pid"))
        emit("read", f"/run/libvirt/qemu/{g}.xml", read(f"/run/libvirt/qemu/{g}.xml"))
    # qemu processes (pids read as root beforehand and passed in the environment, so a
    # denied pid file does not hide the /proc results)
    for g in guests:
        pid = os.environ.get("PID_" + g.replace("-", "_")) or pid_from(f"/run/libvirt/qemu/{g}.pid")
        if not pid:
            emit("read", f"/proc/<{g}>", "no-pid")
            continue
        base = f"/proc/{pid}"
        tag = f"/proc/<{g}>"
        for f in ["status", "cmdline", "cgroup", "attr/current", "attr/apparmor/current"]:
            emit("read", f"{tag}/{f}", read(f"{base}/{f}"))
        emit("readlink", f"{tag}/root", readlink(f"{base}/root"))
        for n in NS:
            emit("readlink", f"{tag}/ns/{n}", readlink(f"{base}/ns/{n}"))
    # host namespace references
    libvirtd = os.environ.get("PID_libvirtd") or pid_from("/run/libvirtd.pid")
    for who, pid in [("1", "1"), ("<libvirtd>", libvirtd), ("self", "self")]:
        for n in NS:
            emit("readlink", f"/proc/{who}/ns/{n}", readlink(f"/proc/{pid}/ns/{n}"))
    # host hygiene
    for p in ["/etc/libvirt/qemu.conf", "/etc/selinux/config", "/sys/fs/selinux/enforce",
              "/sys/fs/selinux/policyvers", "/sys/fs/selinux/mls",
              "/sys/kernel/security/apparmor/profiles", "/sys/module/apparmor/parameters/enabled",
              "/sys/kernel/security/lockdown", "/proc/sys/kernel/tainted", "/proc/cmdline",
              "/proc/interrupts", "/sys/devices/system/cpu/smt/control",
              "/sys/devices/system/cpu/smt/active"]:
        emit("read", p, read(p))
    vdir = "/sys/devices/system/cpu/vulnerabilities"
    vulns = [f"{vdir}/{n}" for n in sorted(os.listdir(vdir))] if os.path.isdir(vdir) else []
    aggregate("read", f"{vdir}/*", vulns, read)
    emit("stat", "/dev/kvm", stat("/dev/kvm"))
    # devices and IOMMU
    pdir = "/sys/bus/pci/devices"
    devs = [f"{pdir}/{d}" for d in sorted(os.listdir(pdir))] if os.path.isdir(pdir) else []
    emit("listdir", pdir, listdir(pdir))
    for attr in ["class", "vendor", "device", "config"]:
        aggregate("read", f"{pdir}/*/{attr}", [f"{d}/{attr}" for d in devs], read)
    aggregate("readlink", f"{pdir}/*/driver", [f"{d}/driver" for d in devs if os.path.lexists(f"{d}/driver")], readlink)
    emit("listdir", "/sys/kernel/iommu_groups", listdir("/sys/kernel/iommu_groups"))
    emit("listdir", "/sys/class/iommu", listdir("/sys/class/iommu"))
    emit("read", "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
         read("/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"))


if __name__ == "__main__":
    main()
