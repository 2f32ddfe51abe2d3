#!/usr/bin/env bash
# Regenerates the root/ trees of the fixture hosts (Tests/Fixtures/hosts/<host>/root): the host
# files the probes read, copied from the single-concern fixtures (host-*, iommu-*), plus one
# /proc/<pid> per running domain of the host's node.xml (status, cmdline, cgroup, ns/*, root,
# attr/current, attr/apparmor/current) and its libvirt pid file /run/libvirt/qemu/<name>.pid.
# node.xml files are written by hand; this script only builds root/. See Docs/fixture-hosts.md.
# Run from anywhere: Tests/Fixtures/hosts/make-roots.sh
set -euo pipefail
cd "$(dirname "$0")"
F=..
STATUS_TEMPLATE=$F/proc-selinux-svirt/proc/5012/status

# The host's own namespaces (/proc/1/ns), the reference every qemu is compared with.
declare -A HOSTNS=([cgroup]=4026531835 [ipc]=4026531839 [mnt]=4026531840 [net]=4026531833
                   [pid]=4026531836 [time]=4026531834 [user]=4026531837 [uts]=4026531838)

ns_links() { # DIR PRIVATE-NS-LIST BASE
  local dir=$1 private=" $2 " base=$3 n i=0
  mkdir -p "$dir"
  for n in cgroup ipc mnt net pid time user uts; do
    if [[ $private == *" $n "* ]]; then
      ln -sfn "$n:[$((base + i))]" "$dir/$n"
    else
      ln -sfn "$n:[${HOSTNS[$n]}]" "$dir/$n"
    fi
    i=$((i + 1))
  done
}

host_init() { # ROOT: pid 1 (systemd) with the host namespaces
  mkdir -p "$1/proc/1"
  printf 'systemd\n' >"$1/proc/1/comm"
  ns_links "$1/proc/1/ns" "" 0
}

# Capability masks (CapInh CapPrm CapEff CapBnd CapAmb) for the kernel's 41 capabilities.
caps_for() {
  case $1 in
    none) echo "0000000000000000 0000000000000000 0000000000000000 000001ffffffffff 0000000000000000" ;;
    full) echo "0000000000000000 000001ffffffffff 000001ffffffffff 000001ffffffffff 0000000000000000" ;;
    # CAP_NET_ADMIN (12) and CAP_NET_RAW (13) granted as ambient by an emulator wrapper.
    ambient) echo "0000000000003000 0000000000003000 0000000000003000 000001ffffffffff 0000000000003000" ;;
  esac
}

# qemu ROOT PID NAME UUID DOMID key=value...
#   uid=107 caps=none|full|ambient nnp=1 seccomp=2 filters=1 private="mnt" cgroup=machine|service
#   selinux=<context> apparmor=<label> sandbox=<-sandbox value or empty> extra=<more arguments>
qemu() {
  local root=$1 pid=$2 name=$3 uuid=$4 domid=$5; shift 5
  local uid=107 caps=none nnp=1 seccomp=2 filters=1 private="mnt" cgroup=machine selinux="" apparmor=""
  local sandbox="on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny" extra="" machine=pc-q35-8.2
  local rootlink=/ kv
  for kv in "$@"; do local "$kv"; done
  local d=$root/proc/$pid
  mkdir -p "$d"
  read -r ci cp ce cb ca <<<"$(caps_for "$caps")"
  awk -v pid="$pid" -v uid="$uid" -v ci="$ci" -v cp="$cp" -v ce="$ce" -v cb="$cb" -v ca="$ca" \
      -v nnp="$nnp" -v sc="$seccomp" -v sf="$filters" 'BEGIN { FS = OFS = "\t" }
    $1 == "Tgid:" || $1 == "Pid:" || $1 == "NStgid:" || $1 == "NSpid:" { $2 = pid }
    $1 == "Uid:" || $1 == "Gid:" { $2 = uid; $3 = uid; $4 = uid; $5 = uid }
    $1 == "Groups:" { $2 = (uid == 0 ? "0 " : "36 " uid " ") }
    $1 == "CapInh:" { $2 = ci } $1 == "CapPrm:" { $2 = cp } $1 == "CapEff:" { $2 = ce }
    $1 == "CapBnd:" { $2 = cb } $1 == "CapAmb:" { $2 = ca }
    $1 == "NoNewPrivs:" { $2 = nnp } $1 == "Seccomp:" { $2 = sc } $1 == "Seccomp_filters:" { $2 = sf }
    { print }' "$STATUS_TEMPLATE" >"$d/status"
  local args=(/usr/bin/qemu-system-x86_64 -name "guest=$name,debug-threads=on" -S
    -object "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"/var/lib/libvirt/qemu/domain-$domid-$name/master-key.aes\"}"
    -machine "$machine,usb=off,dump-guest-core=off,memory-backend=pc.ram" -accel kvm -cpu host,migratable=on -m 2048
    -object '{"qom-type":"memory-backend-ram","id":"pc.ram","size":2147483648}' -overcommit mem-lock=off
    -smp 2,sockets=2,cores=1,threads=1 -uuid "$uuid" -no-user-config -nodefaults
    -chardev socket,id=charmonitor,fd=30,server=on,wait=off -mon chardev=charmonitor,id=monitor,mode=control
    -rtc base=utc,driftfix=slew -no-shutdown -boot strict=on)
  [ -n "$sandbox" ] && args+=(-sandbox "$sandbox")
  # shellcheck disable=SC2206
  [ -n "$extra" ] && args+=($extra)
  args+=(-msg timestamp=on)
  printf '%s\0' "${args[@]}" >"$d/cmdline"
  local esc=${name//-/\\x2d}
  case $cgroup in
    machine) printf '0::/machine.slice/machine-qemu\\x2d%s\\x2d%s.scope/libvirt/emulator\n' "$domid" "$esc" >"$d/cgroup" ;;
    service) printf '0::/system.slice/libvirtd.service\n' >"$d/cgroup" ;;
  esac
  ns_links "$d/ns" "$private" $((4026532400 + pid % 1000 * 10))
  ln -sfn "$rootlink" "$d/root"
  ln -sfn /usr/bin/qemu-system-x86_64 "$d/exe"
  if [ -n "$selinux" ]; then
    mkdir -p "$d/attr"; printf '%s\0' "$selinux" >"$d/attr/current"
  fi
  if [ -n "$apparmor" ]; then
    mkdir -p "$d/attr/apparmor"
    printf '%s\n' "$apparmor" >"$d/attr/current"
    printf '%s\n' "$apparmor" >"$d/attr/apparmor/current"
  fi
  mkdir -p "$root/run/libvirt/qemu"
  printf '%s' "$pid" >"$root/run/libvirt/qemu/$name.pid"
}

# Host files: kernel, cpu, LSM state from one of the host-* fixtures.
host_files() { # ROOT FROM
  mkdir -p "$1"
  cp -a "$F/$2/proc" "$F/$2/sys" "$1/"
  [ -d "$F/$2/etc" ] && cp -a "$F/$2/etc" "$1/"
  return 0
}

# The sysfs IOMMU/PCI tree and /proc/interrupts, /proc/cmdline of one of the iommu-* fixtures.
iommu_files() { # ROOT FROM
  mkdir -p "$1/sys" "$1/proc"
  cp -a "$F/$2/sys/." "$1/sys/"
  [ -f "$F/$2/proc/interrupts" ] && cp "$F/$2/proc/interrupts" "$1/proc/"
  if [ -d "$F/$2/etc" ]; then mkdir -p "$1/etc"; cp -a "$F/$2/etc/." "$1/etc/"; fi
  return 0
}

kvm_node() { # ROOT GID: /dev/kvm (a plain file; its mode 0660/0666 is applied by the tests, git keeps none)
  mkdir -p "$1/dev" "$1/etc"
  : >"$1/dev/kvm"
  printf 'root:x:0:\nkvm:x:%s:qemu\nqemu:x:107:\nlibvirt:x:993:\n' "$2" >"$1/etc/group"
}

for h in hardened weak apparmor selinux-lax devices-shared devices-vf-pf devices-pci-stub devices-passthrough devices-none vanished guest-channels \
         mgmt-open mgmt-tls mgmt-modular selinux-permissive ksm-nested; do
  rm -rf "$h/root"
done

# --- hardened: RHEL 9 with SELinux enforcing, a hardened qemu.conf, IOMMU with a clean GPU group.
r=hardened/root
host_files $r host-selinux
iommu_files $r iommu-clean-gpu
printf 'BOOT_IMAGE=(hd0,gpt2)/vmlinuz-5.14.0-427.13.1.el9_4.x86_64 root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M rd.lvm.lv=rhel/root intel_iommu=on nosmt lockdown=integrity\n' >$r/proc/cmdline
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
kvm_node $r 36
host_init $r
qemu $r 4101 db-primary 6f3c2a10-4b1e-4c0d-8e21-7a9d5b3c1e01 1 selinux="system_u:system_r:svirt_t:s0:c117,c502"
qemu $r 4102 web-frontend 6f3c2a10-4b1e-4c0d-8e21-7a9d5b3c1e02 2 selinux="system_u:system_r:svirt_t:s0:c38,c911"
qemu $r 4103 gpu-render 6f3c2a10-4b1e-4c0d-8e21-7a9d5b3c1e03 3 selinux="system_u:system_r:svirt_t:s0:c240,c777" \
  extra="-device {\"driver\":\"vfio-pci\",\"host\":\"0000:01:00.0\",\"id\":\"hostdev0\",\"bus\":\"pci.3\",\"addr\":\"0x0\"} -device {\"driver\":\"vfio-pci\",\"host\":\"0000:01:00.1\",\"id\":\"hostdev1\",\"bus\":\"pci.4\",\"addr\":\"0x0\"}"
qemu $r 4104 vault-snp 6f3c2a10-4b1e-4c0d-8e21-7a9d5b3c1e04 4 selinux="system_u:system_r:svirt_t:s0:c5,c640" \
  private="ipc mnt net pid user uts" machine=pc-q35-8.2,confidential-guest-support=lsec0 \
  extra="-object {\"qom-type\":\"sev-snp-guest\",\"id\":\"lsec0\",\"cbitpos\":51,\"reduced-phys-bits\":1,\"policy\":196608}"

# --- weak: Debian lab hypervisor with every layer missing.
r=weak/root
host_files $r host-weak
rm -rf $r/dev
kvm_node $r 104
host_init $r
qemu $r 2201 lab-root 9c0e5b7a-1d2f-4e3a-8b4c-5d6e7f809a01 1 uid=0 caps=full nnp=0 seccomp=0 filters=0 private="" \
  cgroup=service sandbox="off" machine=pc-i440fx-7.2 \
  extra="-vnc 0.0.0.0:0 -serial tcp:0.0.0.0:4555,server=on,wait=off -device {\"driver\":\"ivshmem-plain\",\"id\":\"shmem0\",\"memdev\":\"shmmem-shmem0\"}"
qemu $r 2202 lab-peer 9c0e5b7a-1d2f-4e3a-8b4c-5d6e7f809a02 2 uid=0 caps=full nnp=0 seccomp=0 filters=0 private="" \
  cgroup=service sandbox="off" machine=pc-i440fx-7.2 \
  extra="-device {\"driver\":\"ivshmem-plain\",\"id\":\"shmem0\",\"memdev\":\"shmmem-shmem0\"}"
qemu $r 2203 lab-netcap 9c0e5b7a-1d2f-4e3a-8b4c-5d6e7f809a03 3 uid=64055 caps=ambient nnp=0 seccomp=0 filters=0 private="" \
  cgroup=service sandbox="off" machine=pc-i440fx-7.2 extra="-sandbox on,obsolete=allow"
qemu $r 2204 lab-container 9c0e5b7a-1d2f-4e3a-8b4c-5d6e7f809a04 4 uid=0 caps=full nnp=0 seccomp=2 filters=1 private="mnt cgroup" \
  cgroup=service sandbox="" machine=pc-i440fx-7.2

# --- apparmor: Ubuntu 24.04 with AppArmor and libvirt-<uuid> profiles.
r=apparmor/root
host_files $r host-apparmor
mkdir -p $r/etc/libvirt
cp apparmor/qemu.conf $r/etc/libvirt/qemu.conf
printf 'BOOT_IMAGE=/vmlinuz-6.8.0-45-generic root=/dev/mapper/ubuntu--vg-ubuntu--lv ro quiet splash vt.handoff=7\n' >$r/proc/cmdline
cat >$r/sys/kernel/security/apparmor/profiles <<'EOP'
libvirt-2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e01 (enforce)
libvirt-2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e02 (complain)
libvirt-2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e03 (enforce)
virt-aa-helper (enforce)
libvirtd (enforce)
libvirtd//qemu_bridge_helper (enforce)
/usr/lib/snapd/snap-confine (enforce)
/usr/lib/snapd/snap-confine//mount-namespace-capture-helper (enforce)
rsyslogd (enforce)
tcpdump (enforce)
EOP
kvm_node $r 993
host_init $r
qemu $r 3301 ubuntu-app 2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e01 1 uid=64055 apparmor="libvirt-2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e01 (enforce)"
qemu $r 3302 ubuntu-debug 2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e02 2 uid=64055 apparmor="libvirt-2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e02 (complain)"
qemu $r 3303 ubuntu-clone 2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e05 3 uid=64055 apparmor="libvirt-2d7e8f90-6a5b-4c3d-9e1f-0a1b2c3d4e03 (enforce)"

# --- selinux-lax: SELinux enforcing, but static labels copied between domains.
r=selinux-lax/root
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
kvm_node $r 36
host_init $r
qemu $r 5101 billing-a 7b1d3e5f-0a2c-4e6f-8a1b-3c5d7e9f1a01 1 selinux="system_u:system_r:svirt_t:s0:c100,c200"
qemu $r 5102 billing-b 7b1d3e5f-0a2c-4e6f-8a1b-3c5d7e9f1a02 2 selinux="system_u:system_r:svirt_t:s0:c100,c200"
qemu $r 5103 ops-tools 7b1d3e5f-0a2c-4e6f-8a1b-3c5d7e9f1a03 3 selinux="system_u:system_r:svirt_t:s0-s0:c0.c1023"
qemu $r 5104 legacy-app 7b1d3e5f-0a2c-4e6f-8a1b-3c5d7e9f1a04 4 selinux="system_u:system_r:svirt_t:s0"
qemu $r 5105 admin-shell 7b1d3e5f-0a2c-4e6f-8a1b-3c5d7e9f1a05 5 selinux="unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023"

# --- device hosts: the SELinux host's hygiene, the sysfs of one iommu-* fixture each.
device_host() { # NAME IOMMU-FIXTURE CMDLINE
  local r=$1/root
  host_files $r host-selinux
  rm -rf $r/sys/devices/system/cpu/smt
  cp -a $F/host-selinux/sys/devices/system/cpu/smt $r/sys/devices/system/cpu/
  iommu_files $r $2
  printf '%s\n' "$3" >$r/proc/cmdline
  cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
  kvm_node $r 36
  host_init $r
}
device_host devices-shared iommu-shared-group \
  "BOOT_IMAGE=/boot/vmlinuz-linux root=/dev/nvme0n1p2 rw intel_iommu=on iommu=nopt loglevel=3 nosmt"
qemu devices-shared/root 6101 turing-gpu 8e2f4a6c-1b3d-4f5e-9a7b-2c4d6e8f0a01 1 selinux="system_u:system_r:svirt_t:s0:c11,c22"
qemu devices-shared/root 6102 turing-gpu-b 8e2f4a6c-1b3d-4f5e-9a7b-2c4d6e8f0a02 2 selinux="system_u:system_r:svirt_t:s0:c33,c44"

device_host devices-vf-pf iommu-vf-pf \
  "BOOT_IMAGE=/vmlinuz-5.15.0-119-generic root=/dev/mapper/vg0-root ro console=ttyS0,115200n8 amd_iommu=on nosmt"
qemu devices-vf-pf/root 6201 nfv-a 3a5c7e9b-2d4f-4a6c-8e0b-1d3f5a7c9e01 1 selinux="system_u:system_r:svirt_t:s0:c101,c202"
qemu devices-vf-pf/root 6202 nfv-b 3a5c7e9b-2d4f-4a6c-8e0b-1d3f5a7c9e02 2 selinux="system_u:system_r:svirt_t:s0:c303,c404"

device_host devices-pci-stub iommu-pci-stub \
  "BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro intel_iommu=on pci-stub.ids=1002:6798,1002:aaa0 rhgb quiet nosmt"
qemu devices-pci-stub/root 6301 cad-legacy 5c7e9a1b-3d5f-4b7d-9f1a-2e4a6c8e0b01 1 selinux="system_u:system_r:svirt_t:s0:c12,c34"

device_host devices-passthrough iommu-passthrough \
  "BOOT_IMAGE=/vmlinuz-6.8.12-4-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on iommu=pt intremap=off pcie_acs_override=downstream,multifunction nosmt"
qemu devices-passthrough/root 6401 gaming 1e3a5c7d-9b1f-4d3e-8a5c-7e9b1d3f5a01 1 selinux="system_u:system_r:svirt_t:s0:c55,c66"

device_host devices-none iommu-none \
  "BOOT_IMAGE=/vmlinuz-6.1.0-25-amd64 root=UUID=0b1e7c5a-77f2-4c43-8d0e-5b8a1f3e9c20 ro quiet intel_iommu=off nosmt"
qemu devices-none/root 6501 no-iommu-gpu 4d6f8a0c-2e4a-4c6e-8b0d-3f5b7d9f1b01 1 selinux="system_u:system_r:svirt_t:s0:c77,c88"

# --- vanished: a hardened host where one domain's qemu exited after libvirt wrote its pid file.
r=vanished/root
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
kvm_node $r 36
host_init $r
qemu $r 7101 steady 0e2c4a6e-8f1b-4d3f-9a5c-6e8a0c2e4f01 1 selinux="system_u:system_r:svirt_t:s0:c9,c19"
mkdir -p $r/run/libvirt/qemu
printf '7102' >$r/run/libvirt/qemu/flicker.pid

# --- Processes outside the connected libvirt: qemus no visible libvirt lists, and libvirt daemons
# in other mount namespaces (Docs/fixture-hosts.md, hosts "unmanaged" and "kubevirt").

# proc_entry ROOT PID EXE key=value... : a /proc/<pid> with exe, status, cmdline, cgroup, ns/*, root
#   uid=0 caps=full nnp=0 seccomp=0 filters=0 ppid=1 private="" nsbase=N cgroup=<path> args=<NUL-free words>
#   argv=<file with NUL-separated arguments> selinux=<context> root=<link target or "dir">
proc_entry() {
  local root=$1 pid=$2 exe=$3; shift 3
  local uid=0 caps=full nnp=0 seccomp=0 filters=0 ppid=1 private="" nsbase=0 cgroup=/ args="" argv="" selinux="" rootdir=/ kv
  for kv in "$@"; do local "$kv"; done
  local d=$root/proc/$pid
  mkdir -p "$d"
  read -r ci cp ce cb ca <<<"$(caps_for "$caps")"
  awk -v pid="$pid" -v ppid="$ppid" -v uid="$uid" -v ci="$ci" -v cp="$cp" -v ce="$ce" -v cb="$cb" -v ca="$ca" \
      -v nnp="$nnp" -v sc="$seccomp" -v sf="$filters" -v name="$(basename "$exe" | cut -c1-15)" 'BEGIN { FS = OFS = "\t" }
    $1 == "Name:" { $2 = name }
    $1 == "Tgid:" || $1 == "Pid:" || $1 == "NStgid:" || $1 == "NSpid:" { $2 = pid }
    $1 == "PPid:" { $2 = ppid }
    $1 == "Uid:" || $1 == "Gid:" { $2 = uid; $3 = uid; $4 = uid; $5 = uid }
    $1 == "Groups:" { $2 = (uid == 0 ? "0 " : uid " ") }
    $1 == "CapInh:" { $2 = ci } $1 == "CapPrm:" { $2 = cp } $1 == "CapEff:" { $2 = ce }
    $1 == "CapBnd:" { $2 = cb } $1 == "CapAmb:" { $2 = ca }
    $1 == "NoNewPrivs:" { $2 = nnp } $1 == "Seccomp:" { $2 = sc } $1 == "Seccomp_filters:" { $2 = sf }
    { print }' "$STATUS_TEMPLATE" >"$d/status"
  if [ -n "$argv" ]; then cp "$argv" "$d/cmdline"; else
    # shellcheck disable=SC2086
    printf '%s\0' $exe $args >"$d/cmdline"
  fi
  printf '0::%s\n' "$cgroup" >"$d/cgroup"
  ns_links "$d/ns" "$private" "$nsbase"
  if [ "$rootdir" = dir ]; then mkdir -p "$d/root"; else ln -sfn "$rootdir" "$d/root"; fi
  ln -sfn "$exe" "$d/exe"
  if [ -n "$selinux" ]; then mkdir -p "$d/attr"; printf '%s\0' "$selinux" >"$d/attr/current"; fi
}

# --- unmanaged: a hardened libvirt host (one domain) where two more qemus run outside libvirt:
#   pid 8201, Proxmox VE style (qm: /usr/bin/kvm -> qemu-system-x86_64, -id 100, root, no
#   sandbox, the host's namespaces, cgroup /qemu.slice/100.scope, no -uuid but -smbios uuid);
#   pid 8202, hand-started by a user (uid 1000, seccomp filter, a libvirt-less -name only).
r=unmanaged/root
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
kvm_node $r 36
host_init $r
qemu $r 8101 billing 6a1f3c5e-7b9d-4e1f-8a3c-5e7b9d1f3a01 1 selinux="system_u:system_r:svirt_t:s0:c15,c25"
proc_entry $r 8201 /usr/bin/qemu-system-x86_64 uid=0 caps=full cgroup=/qemu.slice/100.scope \
  selinux="system_u:system_r:unconfined_t:s0-s0:c0.c1023" \
  args="-id 100 -name web,debug-threads=on -no-shutdown -chardev socket,id=qmp,path=/var/run/qemu-server/100.qmp,server=on,wait=off -mon chardev=qmp,mode=control -pidfile /var/run/qemu-server/100.pid -daemonize -smbios type=1,uuid=9c1e3a5b-2d4f-4e6a-8c0b-1d3f5a7b9c11 -smp 2 -m 2048 -vnc unix:/var/run/qemu-server/100.vnc,password=on -machine type=pc-i440fx-8.1+pve0"
proc_entry $r 8202 /usr/bin/qemu-system-x86_64 uid=1000 caps=none nnp=1 seccomp=2 filters=1 \
  cgroup=/user.slice/user-1000.slice/session-4.scope selinux="unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023" \
  args="-name scratch -m 512 -display none -sandbox on -nic user"

# --- kubevirt: a Kubernetes node with one KubeVirt VMI: virt-launcher-monitor (8301) started the
#   launcher (8302), which runs its own virtqemud (8310) inside the pod's mount namespace; the
#   host's libvirt (none here) lists nothing. The launcher's qemu.conf (namespaces = [],
#   cgroup_controllers = [], vnc_listen = "0.0.0.0") is read through /proc/8310/root.
r=kubevirt/root
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
kvm_node $r 36
host_init $r
pod=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5f0b7a2c_93d1_4e8a_b6c4_2a9e1f7d3c50.slice
ctr=cri-containerd-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a.scope
podns="mnt pid net ipc uts cgroup"
proc_entry $r 8301 /usr/bin/virt-launcher-monitor uid=107 caps=none private="$podns" nsbase=4026533100 \
  cgroup=/$pod/$ctr args="--qemu-timeout 5m --name testvm --uid 7a1d3e5f-0b2c-4d6e-8f1a-3c5e7a9b1d22 --namespace default"
proc_entry $r 8302 /usr/bin/virt-launcher uid=107 caps=none ppid=8301 private="$podns" nsbase=4026533100 \
  cgroup=/$pod/$ctr args="--qemu-timeout 5m --name testvm --namespace default"
proc_entry $r 8310 /usr/sbin/virtqemud uid=107 caps=none ppid=8302 private="$podns" nsbase=4026533100 \
  cgroup=/$pod/$ctr rootdir=dir args="-f /var/run/libvirt/virtqemud.conf"
mkdir -p $r/proc/8310/root/etc/libvirt
cp kubevirt/launcher-qemu.conf $r/proc/8310/root/etc/libvirt/qemu.conf
proc_entry $r 8350 /usr/libexec/qemu-kvm uid=107 caps=none nnp=1 seccomp=2 filters=1 ppid=8301 private="$podns" nsbase=4026533100 \
  cgroup=/$pod/$ctr selinux="system_u:system_r:container_t:s0:c234,c789" \
  args="-name guest=default_testvm,debug-threads=on -S -object {\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"/var/run/kubevirt-private/libvirt/qemu/lib/domain-1-default_testvm/master-key.aes\"} -machine pc-q35-rhel9.4.0,usb=off,dump-guest-core=off -accel kvm -m 2048 -uuid 7a1d3e5f-0b2c-4d6e-8f1a-3c5e7a9b1d22 -no-user-config -nodefaults -chardev socket,id=charmonitor,fd=19,server=on,wait=off -mon chardev=charmonitor,id=monitor,mode=control -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -vnc vnc=unix:/var/run/kubevirt-private/7a1d3e5f/virt-vnc"

# --- labels-config: an SELinux host whose shut-off domains are judged by their configuration.
r=labels-config/root
rm -rf $r
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
kvm_node $r 36
printf 'root:x:0:0:root:/root:/bin/bash\nqemu:x:107:107:qemu user:/:/sbin/nologin\n' >$r/etc/passwd
host_init $r
qemu $r 8101 run-custom 5e7a9c1b-3d5f-4a7c-9e1b-2d4f6a8c0e10 1 selinux="system_u:system_r:mycorp_qemu_t:s0:c50,c51"

# --- storage: the hardened SELinux host with disk images, block devices and their sysfs entries.
# Device nodes are plain files (like dev/kvm); the images' security.selinux labels cannot live in
# git and are applied by the tests from storage/xattrs.
block_dev() { # ROOT NAME SYSFS-DIR [partition|dm NAME UUID]
  local root=$1 name=$2 dir=$3
  mkdir -p "$root/sys/$dir" "$root/sys/class/block" "$root/dev"
  printf '8:0\n' >"$root/sys/$dir/dev"
  case ${4:-} in
    partition) printf '1\n' >"$root/sys/$dir/partition" ;;
    dm) mkdir -p "$root/sys/$dir/dm"; printf '%s\n' "$5" >"$root/sys/$dir/dm/name"; printf '%s\n' "$6" >"$root/sys/$dir/dm/uuid" ;;
  esac
  ln -sfn "../../$dir" "$root/sys/class/block/$name"
  : >"$root/dev/$name"
}
rm -rf storage/root
r=storage/root
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
kvm_node $r 36
host_init $r
qemu $r 8101 files-clean 2b4d6f8a-0c1e-4a3b-9d5f-7a9c1e3b5d01 1 selinux="system_u:system_r:svirt_t:s0:c10,c20"
qemu $r 8102 disks-exposed 2b4d6f8a-0c1e-4a3b-9d5f-7a9c1e3b5d02 2 selinux="system_u:system_r:svirt_t:s0:c30,c40"
mkdir -p $r/var/lib/libvirt/images $r/srv/scratch $r/srv/exports/files-clean
for i in files-clean.qcow2 base-rhel9.qcow2 rhel-9.4-x86_64-boot.iso disks-exposed.qcow2 golden.img imported.img \
         cluster-quorum.raw shared-s0.raw; do : >$r/var/lib/libvirt/images/$i; done
: >$r/srv/scratch/unlabelled.raw; : >$r/srv/scratch/root-owned.raw
ata=devices/pci0000:00/0000:00:17.0/ata3/host2/target2:0:0
block_dev $r sdb $ata/2:0:0:0/block/sdb
block_dev $r sdc $ata/2:0:1:0/block/sdc
block_dev $r sdc1 $ata/2:0:1:0/block/sdc/sdc1 partition
block_dev $r sdd $ata/2:0:2:0/block/sdd
block_dev $r dm-2 devices/virtual/block/dm-2 dm vg0-files--clean--data \
  LVM-Xk2Lw9aQb1cD3eF5gH7iJ9kL1mN3oP5qR7sT9uV1wX3yZ5aB7cD9eF1gH3iJ5kL
mkdir -p $r/dev/vg0 $r/dev/disk/by-id
ln -sfn ../dm-2 $r/dev/vg0/files-clean-data
ln -sfn ../../sdd $r/dev/disk/by-id/wwn-0x5000c500a1b2c3d4
# KSM running (ksmtuned's default on RHEL and Debian hosts): nosharepages matters here and on weak.
for h in storage weak; do mkdir -p $h/root/sys/kernel/mm/ksm; printf '1\n' >$h/root/sys/kernel/mm/ksm/run; done

# --- Guest resources: cgroup limits, libvirt's secure status/config XML, the guest-channels host.
# cgroup v2 group directories along PATH under ROOT/sys/fs/cgroup, and FILE=VALUE settings in the
# last one (limits libvirt or systemd wrote there).
cgroup_v2() { # ROOT PATH [FILE=VALUE...]
  local d="$1/sys/fs/cgroup$2"; shift 2
  mkdir -p "$d"
  local kv
  for kv in "$@"; do printf '%s\n' "${kv#*=}" >"$d/${kv%%=*}"; done
}
# libvirt's status file of a running domain (/run/libvirt/qemu/<name>.xml, <domstatus>) or the
# config file of a persistent one (/etc/libvirt/qemu/<name>.xml): both written with secure XML,
# so a display's passwd is there. Only the graphics matter to the audit.
secure_xml() { # FILE NAME UUID GRAPHICS-XML [status]
  mkdir -p "$(dirname "$1")"
  {
    [ "${5:-}" = status ] && printf "<domstatus state='running' reason='booted' pid='1'>\n"
    printf "<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n  <devices>\n    %s\n  </devices>\n</domain>\n" "$2" "$3" "$4"
    [ "${5:-}" = status ] && printf "</domstatus>\n"
    true
  } >"$1"
}

# hardened: machine.slice caps tasks (TasksMax); vault-snp's scope has the memory and CPU
# limits of its <memtune>/<cputune>; web-frontend's VNC has a password.
r=hardened/root
cgroup_v2 $r /machine.slice pids.max=4915 memory.max=max cpu.max="max 100000"
for s in 'machine-qemu\x2d1\x2ddb\x2dprimary.scope' 'machine-qemu\x2d2\x2dweb\x2dfrontend.scope' 'machine-qemu\x2d3\x2dgpu\x2drender.scope'; do
  cgroup_v2 $r "/machine.slice/$s" pids.max=max memory.max=max cpu.max="max 100000"
  cgroup_v2 $r "/machine.slice/$s/libvirt/emulator" cpu.max="max 100000"
done
s='machine-qemu\x2d4\x2dvault\x2dsnp.scope'
cgroup_v2 $r "/machine.slice/$s" pids.max=max memory.max=5368709120 cpu.max="max 100000"
cgroup_v2 $r "/machine.slice/$s/libvirt" cpu.max="150000 100000"
cgroup_v2 $r "/machine.slice/$s/libvirt/emulator" cpu.max="max 100000"
secure_xml $r/run/libvirt/qemu/web-frontend.xml web-frontend 6f3c2a10-4b1e-4c0d-8e21-7a9d5b3c1e02 \
  "<graphics type='vnc' port='5901' autoport='no' listen='127.0.0.1' passwd='Xk3-vnc-9Qa'><listen type='address' address='127.0.0.1'/></graphics>" status

# weak: qemu in libvirtd's service cgroup with no limit anywhere; lab-root's public VNC has no password.
r=weak/root
cgroup_v2 $r /system.slice pids.max=max memory.max=max cpu.max="max 100000"
cgroup_v2 $r /system.slice/libvirtd.service pids.max=max memory.max=max cpu.max="max 100000"
secure_xml $r/run/libvirt/qemu/lab-root.xml lab-root 9c0e5b7a-1d2f-4e3a-8b4c-5d6e7f809a01 \
  "<graphics type='vnc' port='5900' autoport='no' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>" status

# guest-channels: the hardened host's hygiene; all guests shut off, so only config files.
r=guest-channels/root
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
kvm_node $r 36
host_init $r
secure_xml $r/etc/libvirt/qemu/chan-open.xml chan-open 5b7d9f1a-3c5e-4a7b-9d1f-2b4c6d8e0a01 \
  "<graphics type='spice' autoport='yes'><listen type='address' address='127.0.0.1'/></graphics>"
secure_xml $r/etc/libvirt/qemu/chan-closed.xml chan-closed 5b7d9f1a-3c5e-4a7b-9d1f-2b4c6d8e0a02 \
  "<graphics type='spice' autoport='yes' passwd='sp1ce-Cl0sed'><listen type='address' address='127.0.0.1'/><clipboard copypaste='no'/><filetransfer enable='no'/></graphics>"
secure_xml $r/etc/libvirt/qemu/chan-remote.xml chan-remote 5b7d9f1a-3c5e-4a7b-9d1f-2b4c6d8e0a03 \
  "<graphics type='vnc' port='5910' autoport='no' passwd='vnc-only'><listen type='address' address='0.0.0.0'/></graphics>"

# labels-config: cfg-vnc's config file (a public VNC without a password).
secure_xml labels-config/root/etc/libvirt/qemu/cfg-vnc.xml cfg-vnc 5e7a9c1b-3d5f-4a7c-9e1b-2d4f6a8c0e09 \
  "<graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/></graphics>"

# === Management plane and KVM knobs (libvirt daemons, listeners, KSM, sysctls, cgroups, SELinux depth).

# knobs ROOT key=value...: /sys/kernel/mm/ksm, the two sysctls, /proc/cgroups, KVM module parameters.
#   ksm=0|1 sharing=N uffd=0|1 bpf=0|1|2 disabled="<controllers>" nested=Y|N nx=auto|force|N l1d=cond|never
knobs() {
  local root=$1; shift
  local ksm=0 sharing=0 uffd=0 bpf=2 disabled="" nested=N nx=force l1d=cond kv
  for kv in "$@"; do local "$kv"; done
  mkdir -p "$root/sys/kernel/mm/ksm" "$root/proc/sys/vm" "$root/proc/sys/kernel" \
    "$root/sys/module/kvm/parameters" "$root/sys/module/kvm_intel/parameters"
  echo "$ksm" >"$root/sys/kernel/mm/ksm/run"
  echo $((sharing / 7)) >"$root/sys/kernel/mm/ksm/pages_shared"
  echo "$sharing" >"$root/sys/kernel/mm/ksm/pages_sharing"
  echo "$uffd" >"$root/proc/sys/vm/unprivileged_userfaultfd"
  echo "$bpf" >"$root/proc/sys/kernel/unprivileged_bpf_disabled"
  { printf '#subsys_name\thierarchy\tnum_cgroups\tenabled\n'
    local c i=1
    for c in cpuset cpu cpuacct blkio memory devices freezer net_cls perf_event net_prio hugetlb pids rdma misc; do
      local en=1; [[ " $disabled " == *" $c "* ]] && en=0
      printf '%s\t0\t%s\t%s\n' "$c" "$((i * 3))" "$en"; i=$((i + 1))
    done; } >"$root/proc/cgroups"
  echo "$nx" >"$root/sys/module/kvm/parameters/nx_huge_pages"
  echo 0 >"$root/sys/module/kvm/parameters/halt_poll_ns_shrink"
  echo "$nested" >"$root/sys/module/kvm_intel/parameters/nested"
  echo "$l1d" >"$root/sys/module/kvm_intel/parameters/vmentry_l1d_flush"
  echo Y >"$root/sys/module/kvm_intel/parameters/ept"
}

# selinux_depth ROOT "<booleans on>" "<permissive types>": /sys/fs/selinux/booleans and the policy store.
selinux_depth() {
  local root=$1 on=" $2 " b t
  local store=$root/var/lib/selinux/targeted/active/modules m
  mkdir -p "$root/sys/fs/selinux/booleans"
  # Each module directory holds its CIL and lang_ext, as semodule writes them.
  for m in 100/base 100/virt 100/sshd; do mkdir -p "$store/$m"; echo cil >"$store/$m/lang_ext"; : >"$store/$m/cil"; done
  for b in virt_use_nfs virt_use_samba virt_use_execmem virt_use_usb virt_sandbox_use_all_caps virt_use_comm \
           virt_read_qemu_ga_data virt_rw_qemu_ga_data virt_sandbox_use_audit virt_use_fusefs; do
    if [[ $on == *" $b "* ]]; then echo "1 1" >"$root/sys/fs/selinux/booleans/$b"; else echo "0 0" >"$root/sys/fs/selinux/booleans/$b"; fi
  done
  echo "1 1" >"$root/sys/fs/selinux/booleans/httpd_can_network_connect"
  for t in $3; do
    mkdir -p "$store/400/permissive_$t"; echo cil >"$store/400/permissive_$t/lang_ext"
    printf '(typepermissive %s)\n' "$t" >"$store/400/permissive_$t/cil"
  done
}

# daemon ROOT PID NAME "ARGS" "FD-INODES": a libvirt daemon process with its sockets in /proc/PID/fd.
daemon() {
  local root=$1 pid=$2 name=$3 args=$4 inodes=$5 d fd=3 i
  d=$root/proc/$pid
  mkdir -p "$d/fd" "$d/ns"
  printf '%s\n' "$name" >"$d/comm"
  # shellcheck disable=SC2086
  printf '%s\0' "/usr/sbin/$name" $args >"$d/cmdline"
  ln -sfn /dev/null "$d/fd/0"; ln -sfn /dev/null "$d/fd/1"; ln -sfn /dev/null "$d/fd/2"
  for i in $inodes; do ln -sfn "socket:[$i]" "$d/fd/$fd"; fd=$((fd + 1)); done
  ln -sfn "anon_inode:[eventfd]" "$d/fd/$fd"
  ln -sfn "net:[${HOSTNS[net]}]" "$d/ns/net"
  ln -sfn / "$d/root"
}

# tcp_table ROOT FAMILY "hexaddr:hexport:inode"...: /proc/net/tcp or tcp6 with LISTEN lines, plus one
# established connection (state 01) that must be ignored.
tcp_table() {
  local root=$1 fam=$2; shift 2
  local n=0 e a p i rem=00000000:0000
  [ "$fam" = tcp6 ] && rem=00000000000000000000000000000000:0000
  mkdir -p "$root/proc/net"
  { echo "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    for e in "$@"; do
      IFS=: read -r a p i <<<"$e"
      printf '%4d: %s:%s %s 0A 00000000:00000000 00:00000000 00000000     0        0 %s 1 0000000000000000 100 0 0 10 0\n' "$n" "$a" "$p" "$rem" "$i"
      n=$((n + 1))
    done
    if [ "$fam" = tcp ]; then
      printf '%4d: 0B00000A:0016 0100000A:D431 01 00000000:00000000 02:000A8C3E 00000000     0        0 29871 4 0000000000000000 20 4 30 10 -1\n' "$n"
    fi
  } >"$root/proc/net/$fam"
}

# Every existing host: the distributions' defaults for the knobs.
for h in hardened apparmor selinux-lax devices-shared devices-vf-pf devices-pci-stub devices-passthrough devices-none vanished labels-config \
         unmanaged kubevirt; do
  knobs $h/root
done
for h in hardened selinux-lax devices-shared devices-vf-pf devices-pci-stub devices-passthrough devices-none vanished labels-config \
         unmanaged kubevirt; do
  selinux_depth $h/root "" ""
done
knobs weak/root ksm=1 sharing=180224 uffd=1 bpf=0 nested=Y nx=N l1d=never

# hardened: libvirtd (socket-activated, no TCP) with its unix sockets; sshd listens on the network.
mkdir -p hardened/root/etc/systemd/system/sockets.target.wants hardened/root/etc/systemd/system/multi-user.target.wants
for u in libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket; do
  ln -sfn "/usr/lib/systemd/system/$u" "hardened/root/etc/systemd/system/sockets.target.wants/$u"
done
ln -sfn /usr/lib/systemd/system/libvirtd.service hardened/root/etc/systemd/system/multi-user.target.wants/libvirtd.service
cp hardened/libvirtd.conf hardened/root/etc/libvirt/libvirtd.conf
daemon hardened/root 900 libvirtd "--timeout 120" "21001 21002 21003 21004"
tcp_table hardened/root tcp 00000000:0016:20001
tcp_table hardened/root tcp6 00000000000000000000000000000000:0016:20002

# mgmt-open: libvirtd --listen with listen_tcp = 1, auth_tcp = "none" on 0.0.0.0:16509.
r=mgmt-open/root
host_files $r host-selinux
cp mgmt-open/qemu.conf $r/etc/libvirt/qemu.conf
cp mgmt-open/libvirtd.conf $r/etc/libvirt/libvirtd.conf
printf 'BOOT_IMAGE=/vmlinuz-6.1.0-25-amd64 root=/dev/mapper/vg0-root ro quiet intel_iommu=on nosmt\n' >$r/proc/cmdline
kvm_node $r 36
host_init $r
knobs $r
selinux_depth $r "" ""
daemon $r 1200 libvirtd "--listen" "31337 31338 31339"
tcp_table $r tcp 00000000:0016:20001 00000000:407D:31337
tcp_table $r tcp6 00000000000000000000000000000000:0016:20002
qemu $r 1301 tenant-web 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01 1 selinux="system_u:system_r:svirt_t:s0:c12,c700"
qemu $r 1302 tenant-db 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c02 2 selinux="system_u:system_r:svirt_t:s0:c88,c901"

# mgmt-tls: libvirtd --listen on TLS ([::]:16514) with tls_no_verify_certificate = 1.
r=mgmt-tls/root
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
cp mgmt-tls/libvirtd.conf $r/etc/libvirt/libvirtd.conf
kvm_node $r 36
host_init $r
knobs $r
selinux_depth $r "" ""
daemon $r 1400 libvirtd "-l -d" "41001 41002"
tcp_table $r tcp 00000000:0016:20001
tcp_table $r tcp6 00000000000000000000000000000000:4082:41001
qemu $r 1401 edge-proxy 1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d01 1 selinux="system_u:system_r:svirt_t:s0:c3,c444"

# mgmt-modular: virtqemud running, virtproxyd socket-activated with TCP (SASL GSSAPI) and TLS
# units, polkit access control; two hook scripts.
r=mgmt-modular/root
host_files $r host-selinux
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
cp mgmt-modular/virtproxyd.conf $r/etc/libvirt/virtproxyd.conf
cp mgmt-modular/virtqemud.conf $r/etc/libvirt/virtqemud.conf
mkdir -p $r/etc/sasl2 $r/etc/libvirt/hooks/qemu.d $r/etc/systemd/system/sockets.target.wants
printf '# Kerberos only\nmech_list: gssapi\nkeytab: /etc/libvirt/krb5.tab\n' >$r/etc/sasl2/libvirt.conf
for u in virtqemud.socket virtqemud-ro.socket virtproxyd.socket virtproxyd-tcp.socket virtproxyd-tls.socket virtlogd.socket; do
  ln -sfn "/usr/lib/systemd/system/$u" "$r/etc/systemd/system/sockets.target.wants/$u"
done
printf '#!/bin/sh\n# rewrite the bridge of every guest at prepare\nexit 0\n' >$r/etc/libvirt/hooks/qemu
printf '#!/bin/sh\nexit 0\n' >$r/etc/libvirt/hooks/qemu.d/10-vlan
chmod 0755 $r/etc/libvirt/hooks/qemu $r/etc/libvirt/hooks/qemu.d/10-vlan
kvm_node $r 36
host_init $r
knobs $r
selinux_depth $r "" ""
daemon $r 1500 virtqemud "--timeout 120" "51001 51002"
tcp_table $r tcp 00000000:0016:20001
qemu $r 1501 ci-runner 2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e01 1 selinux="system_u:system_r:svirt_t:s0:c21,c321"

# selinux-permissive: SELinux loaded but permissive; virt_use_nfs and virt_use_execmem on.
r=selinux-permissive/root
host_files $r host-selinux
echo 0 >$r/sys/fs/selinux/enforce
sed -i 's/^SELINUX=enforcing/SELINUX=permissive/' $r/etc/selinux/config
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
cp hardened/libvirtd.conf $r/etc/libvirt/libvirtd.conf
kvm_node $r 36
host_init $r
knobs $r
selinux_depth $r "virt_use_nfs virt_use_execmem" ""
qemu $r 1601 nfs-app 3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f01 1 selinux="system_u:system_r:svirt_t:s0:c14,c515"
qemu $r 1602 nfs-vault 3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f02 2 selinux="system_u:system_r:svirt_t:s0:c61,c616"

# ksm-nested: a lab-tuned host: KSM merging, nested on (modprobe.d), nx_huge_pages and the L1D flush
# off, unprivileged userfaultfd/bpf, blkio disabled, svirt_t permissive, libvirtd TCP with DIGEST-MD5.
r=ksm-nested/root
host_files $r host-selinux
echo "KVM: Vulnerable" >$r/sys/devices/system/cpu/vulnerabilities/itlb_multihit
echo "Mitigation: PTE Inversion; VMX: vulnerable" >$r/sys/devices/system/cpu/vulnerabilities/l1tf
cp hardened/qemu.conf $r/etc/libvirt/qemu.conf
cp ksm-nested/libvirtd.conf $r/etc/libvirt/libvirtd.conf
mkdir -p $r/etc/modprobe.d $r/etc/default $r/etc/sasl2
printf '# nested guests for the CI farm\noptions kvm_intel nested=1 \\\n    enable_shadow_vmcs=1\noptions kvm-intel vmentry_l1d_flush=never\n' >$r/etc/modprobe.d/kvm.conf
printf 'blacklist pcspkr\n' >$r/etc/modprobe.d/blacklist.conf
printf '# Options for libvirtd\nLIBVIRTD_ARGS="--listen"\n' >$r/etc/default/libvirtd
printf 'mech_list: digest-md5 gssapi\nsasldb_path: /etc/libvirt/passwd.db\n' >$r/etc/sasl2/libvirt.conf
kvm_node $r 36
host_init $r
knobs $r ksm=1 sharing=524288 uffd=1 bpf=0 disabled="blkio" nested=Y nx=N l1d=never
selinux_depth $r "" "svirt_t"
qemu $r 1701 nested-ci 4e5f6a7b-8c9d-4e0f-9a1b-3c4d5e6f7a01 1 selinux="system_u:system_r:svirt_t:s0:c7,c77"

echo "fixture host roots regenerated"
