#!/usr/bin/env bash
# Regenerates the iommu-* fixture trees: sysfs as the kernel lays it out, with real symlinks
# (bus/pci/devices/<addr> -> ../../../devices/pci0000:00/..., driver -> ../../../../bus/pci/drivers/<drv>,
# iommu_group -> ../../../../kernel/iommu_groups/<n>, physfn/virtfnN -> ../<addr>), plus the
# /proc/cmdline, /proc/interrupts, /sys/class/iommu and /sys/module parameters of each host.
# Run from anywhere: Tests/Fixtures/iommu-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")"

ups() { local s="" i; for ((i = 0; i < $1; i++)); do s+="../"; done; printf '%s' "${s%/}"; }

# dev ROOT PARENT ADDR VENDOR DEVICE CLASS SUBVENDOR SUBDEVICE DRIVER|- GROUP|-
dev() {
  local root=$1 parent=$2 addr=$3 ven=$4 did=$5 cls=$6 sv=$7 sd=$8 drv=$9 grp=${10}
  local rel="devices/$parent/$addr" d
  d="$root/sys/$rel"
  mkdir -p "$d"
  local depth; depth=$(( $(tr -cd / <<<"$rel" | wc -c) + 1 ))
  local up; up=$(ups "$depth")
  printf '%s\n' "$ven" >"$d/vendor"
  printf '%s\n' "$did" >"$d/device"
  printf '%s\n' "$cls" >"$d/class"
  printf '%s\n' "$sv" >"$d/subsystem_vendor"
  printf '%s\n' "$sd" >"$d/subsystem_device"
  printf '0x00\n' >"$d/revision"
  printf '1\n' >"$d/enable"
  printf -- '-1\n' >"$d/numa_node"
  printf '(null)\n' >"$d/driver_override"
  local V D SV SD C C6
  V=$(tr a-f A-F <<<"${ven#0x}"); D=$(tr a-f A-F <<<"${did#0x}")
  SV=$(tr a-f A-F <<<"${sv#0x}"); SD=$(tr a-f A-F <<<"${sd#0x}")
  C6=$(tr a-f A-F <<<"${cls#0x}"); C=${C6#0}
  {
    [ "$drv" != - ] && echo "DRIVER=$drv"
    echo "PCI_CLASS=$C"
    echo "PCI_ID=$V:$D"
    echo "PCI_SUBSYS_ID=$SV:$SD"
    echo "PCI_SLOT_NAME=$addr"
    echo "MODALIAS=pci:v0000${V}d0000${D}sv0000${SV}sd0000${SD}bc${C6:0:2}sc${C6:2:2}i${C6:4:2}"
  } >"$d/uevent"
  if [ "$drv" != - ]; then
    ln -sfn "$up/bus/pci/drivers/$drv" "$d/driver"
    local dd="$root/sys/bus/pci/drivers/$drv"
    mkdir -p "$dd"
    : >"$dd/bind"; : >"$dd/unbind"; : >"$dd/new_id"; : >"$dd/remove_id"; : >"$dd/uevent"
    ln -sfn "../../../../$rel" "$dd/$addr"
  fi
  if [ "$grp" != - ]; then
    ln -sfn "$up/kernel/iommu_groups/$grp" "$d/iommu_group"
    mkdir -p "$root/sys/kernel/iommu_groups/$grp/devices"
    ln -sfn "../../../../$rel" "$root/sys/kernel/iommu_groups/$grp/devices/$addr"
  fi
  mkdir -p "$root/sys/bus/pci/devices"
  ln -sfn "../../../$rel" "$root/sys/bus/pci/devices/$addr"
}

# gtype ROOT GROUP TYPE: the group's default domain type and its reserved regions.
gtype() {
  local g="$1/sys/kernel/iommu_groups/$2"
  mkdir -p "$g/devices"
  printf '%s\n' "$3" >"$g/type"
  printf '0x00000000fee00000 0x00000000feefffff msi\n' >"$g/reserved_regions"
}

# sriov ROOT PARENT PF TOTAL VF...: physfn and virtfnN links.
sriov() {
  local root=$1 parent=$2 pf=$3 total=$4; shift 4
  local pfd="$root/sys/devices/$parent/$pf" n=0 vf
  printf '%s\n' "$total" >"$pfd/sriov_totalvfs"
  printf '%s\n' "$#" >"$pfd/sriov_numvfs"
  printf '0x10ed\n' >"$pfd/sriov_vf_device"
  for vf in "$@"; do
    ln -sfn "../$vf" "$pfd/virtfn$n"
    ln -sfn "../$pf" "$root/sys/devices/$parent/$vf/physfn"
    n=$((n + 1))
  done
}

intel_unit() { # ROOT NAME ECAP
  local d="$1/sys/devices/virtual/iommu/$2"
  mkdir -p "$d/intel-iommu" "$1/sys/class/iommu"
  printf '%s\n' "$3" >"$d/intel-iommu/ecap"
  printf 'd2008c40660462\n' >"$d/intel-iommu/cap"
  printf '1:0\n' >"$d/intel-iommu/version"
  printf 'fed90000\n' >"$d/intel-iommu/address"
  ln -sfn "../../devices/virtual/iommu/$2" "$1/sys/class/iommu/$2"
}

amd_unit() { # ROOT PARENT-OF-IOMMU-FUNCTION NAME
  local d="$1/sys/devices/$2/iommu/$3"
  mkdir -p "$d/amd-iommu" "$1/sys/class/iommu"
  printf '40\n' >"$d/amd-iommu/cap"
  printf '58f77ef22294ade\n' >"$d/amd-iommu/features"
  ln -sfn "../../devices/$2/iommu/$3" "$1/sys/class/iommu/$3"
}

vfio_params() { # ROOT Y|N
  local p="$1/sys/module/vfio_iommu_type1/parameters"
  mkdir -p "$p"
  printf '%s\n' "$2" >"$p/allow_unsafe_interrupts"
  printf 'N\n' >"$p/disable_hugepages"
  printf '65535\n' >"$p/dma_entry_limit"
}

cmdline() { mkdir -p "$1/proc"; printf '%s\n' "$2" >"$1/proc/cmdline"; }

interrupts() { # ROOT ir|noir|amd
  mkdir -p "$1/proc"
  local p=""
  [ "$2" != noir ] && p="IR-"
  cat >"$1/proc/interrupts" <<EOI
            CPU0       CPU1       CPU2       CPU3       
   0:         19          0          0          0  ${p}IO-APIC    2-edge      timer
   1:          0          0          0          9  ${p}IO-APIC    1-edge      i8042
   8:          0          0          0          0  ${p}IO-APIC    8-edge      rtc0
   9:          0          4          0          0  ${p}IO-APIC    9-fasteoi   acpi
  16:          0          0         31          0  ${p}IO-APIC   16-fasteoi   i801_smbus
 120:          0          0          0          0  DMAR-MSI    0-edge      dmar0
 122:          0          0          0          0  ${p}PCI-MSI-0000:00:01.0    0-edge      PCIe PME
 124:          0          0          0       2211  ${p}PCI-MSI-0000:00:17.0    0-edge      ahci[0000:00:17.0]
 125:      41633          0          0          0  ${p}PCI-MSIX-0000:00:14.0    0-edge      xhci_hcd
 126:          0       2841          0          0  ${p}PCI-MSIX-0000:00:1f.6    0-edge      eno1
 NMI:          3          2          2          2   Non-maskable interrupts
 LOC:     612231     581034     603421     594473   Local timer interrupts
 ERR:          0
 MIS:          0
EOI
}

# --- Intel desktop, GPU + HDMI audio on vfio-pci behind the CPU root port (no ACS there, so the
#     root port shares their group; a bridge on pcieport is allowed).
intel_desktop() { # ROOT GPU-DRIVER AUDIO-DRIVER
  local r=$1
  dev "$r" pci0000:00 0000:00:00.0 0x8086 0x3e30 0x060000 0x1458 0x5000 - 0
  dev "$r" pci0000:00 0000:00:01.0 0x8086 0x1901 0x060400 0x1458 0x5000 pcieport 1
  dev "$r" pci0000:00/0000:00:01.0 0000:01:00.0 0x10de 0x1b81 0x030000 0x1458 0x3702 "$2" 1
  dev "$r" pci0000:00/0000:00:01.0 0000:01:00.1 0x10de 0x10f0 0x040300 0x1458 0x3702 "$3" 1
  dev "$r" pci0000:00 0000:00:02.0 0x8086 0x3e92 0x030000 0x1458 0xd000 i915 2
  dev "$r" pci0000:00 0000:00:14.0 0x8086 0xa36d 0x0c0330 0x1458 0x5007 xhci_hcd 3
  dev "$r" pci0000:00 0000:00:14.2 0x8086 0xa36f 0x050000 0x1458 0x8888 - 3
  dev "$r" pci0000:00 0000:00:17.0 0x8086 0xa352 0x010601 0x1458 0xb005 ahci 4
  dev "$r" pci0000:00 0000:00:1f.0 0x8086 0xa305 0x060100 0x1458 0x5001 - 5
  dev "$r" pci0000:00 0000:00:1f.3 0x8086 0xa348 0x040300 0x1458 0xa0c6 snd_hda_intel 5
  dev "$r" pci0000:00 0000:00:1f.4 0x8086 0xa323 0x0c0500 0x1458 0x5001 i801_smbus 5
  dev "$r" pci0000:00 0000:00:1f.5 0x8086 0xa324 0x0c8000 0x1458 0x5001 intel-spi 5
  dev "$r" pci0000:00 0000:00:1f.6 0x8086 0x15bc 0x020000 0x1458 0xe000 e1000e 6
}

rm -rf iommu-clean-gpu iommu-shared-group iommu-vf-pf iommu-pci-stub iommu-none iommu-passthrough iommu-garbage

# 1. Clean: GPU and its audio function on vfio-pci, alone in their group apart from the root port.
r=iommu-clean-gpu
intel_desktop $r vfio-pci vfio-pci
for g in 0 1 2 3 4 5 6; do gtype $r $g DMA-FQ; done
intel_unit $r dmar0 7e3ff0505e
intel_unit $r dmar1 f050da
vfio_params $r N
cmdline $r "BOOT_IMAGE=/vmlinuz-6.8.0-45-generic root=UUID=3f6b1c4e-2a1d-4d8e-9a51-0c7e3b9f2d11 ro quiet splash intel_iommu=on vfio-pci.ids=10de:1b81,10de:10f0 vt.handoff=7"
interrupts $r ir

# 2. Turing GPU: its USB-C controller (xhci_hcd) and UCSI function (nvidia-gpu) share the group.
r=iommu-shared-group
dev $r pci0000:00 0000:00:00.0 0x8086 0x3e30 0x060000 0x1043 0x8694 - 0
dev $r pci0000:00 0000:00:01.0 0x8086 0x1901 0x060400 0x1043 0x8694 pcieport 1
dev $r pci0000:00/0000:00:01.0 0000:01:00.0 0x10de 0x1f08 0x030000 0x1043 0x8676 nouveau 1
dev $r pci0000:00/0000:00:01.0 0000:01:00.1 0x10de 0x10f9 0x040300 0x1043 0x8676 snd_hda_intel 1
dev $r pci0000:00/0000:00:01.0 0000:01:00.2 0x10de 0x1ada 0x0c0330 0x1043 0x8676 xhci_hcd 1
dev $r pci0000:00/0000:00:01.0 0000:01:00.3 0x10de 0x1adb 0x0c8000 0x1043 0x8676 nvidia-gpu 1
dev $r pci0000:00 0000:00:14.0 0x8086 0xa36d 0x0c0330 0x1043 0x8694 xhci_hcd 2
dev $r pci0000:00 0000:00:1f.6 0x8086 0x15bc 0x020000 0x1043 0x8672 e1000e 3
for g in 0 1 2 3; do gtype $r $g DMA-FQ; done
intel_unit $r dmar0 f050da
vfio_params $r N
cmdline $r "BOOT_IMAGE=/boot/vmlinuz-linux root=/dev/nvme0n1p2 rw intel_iommu=on iommu=nopt loglevel=3"
interrupts $r ir

# 3. AMD EPYC server: 82599 PF on ixgbe, four VFs; two VFs given to two VMs.
r=iommu-vf-pf
dev $r pci0000:40 0000:40:00.0 0x1022 0x1480 0x060000 0x1022 0x1480 - 30
dev $r pci0000:40 0000:40:00.2 0x1022 0x1481 0x080600 0x1022 0x1481 - 31
dev $r pci0000:40 0000:40:03.1 0x1022 0x1483 0x060400 0x1022 0x1453 pcieport 32
dev $r pci0000:40/0000:40:03.1 0000:41:00.0 0x8086 0x10fb 0x020000 0x8086 0x0003 ixgbe 33
dev $r pci0000:40/0000:40:03.1 0000:41:00.1 0x8086 0x10fb 0x020000 0x8086 0x0003 ixgbe 34
dev $r pci0000:40/0000:40:03.1 0000:41:10.0 0x8086 0x10ed 0x020000 0x8086 0x000c vfio-pci 60
dev $r pci0000:40/0000:40:03.1 0000:41:10.2 0x8086 0x10ed 0x020000 0x8086 0x000c vfio-pci 61
dev $r pci0000:40/0000:40:03.1 0000:41:10.4 0x8086 0x10ed 0x020000 0x8086 0x000c ixgbevf 62
dev $r pci0000:40/0000:40:03.1 0000:41:10.6 0x8086 0x10ed 0x020000 0x8086 0x000c - 63
sriov $r pci0000:40/0000:40:03.1 0000:41:00.0 63 0000:41:10.0 0000:41:10.2 0000:41:10.4 0000:41:10.6
printf '63\n' >$r/sys/devices/pci0000:40/0000:40:03.1/0000:41:00.1/sriov_totalvfs
printf '0\n' >$r/sys/devices/pci0000:40/0000:40:03.1/0000:41:00.1/sriov_numvfs
for g in 30 31 32 33 34 60 61 62 63; do gtype $r $g DMA; done
amd_unit $r pci0000:40/0000:40:00.2 ivhd0
vfio_params $r N
cmdline $r "BOOT_IMAGE=/vmlinuz-5.15.0-119-generic root=/dev/mapper/vg0-root ro console=ttyS0,115200n8 amd_iommu=on"
interrupts $r ir

# 4. Legacy: GPU held by pci-stub, given with <driver name='kvm'/>; kernel without group type files.
r=iommu-pci-stub
dev $r pci0000:00 0000:00:00.0 0x8086 0x0150 0x060000 0x1043 0x84ca - 0
dev $r pci0000:00 0000:00:01.0 0x8086 0x0151 0x060400 0x1043 0x84ca pcieport 1
dev $r pci0000:00/0000:00:01.0 0000:01:00.0 0x1002 0x6798 0x030000 0x1002 0x3000 pci-stub 1
dev $r pci0000:00/0000:00:01.0 0000:01:00.1 0x1002 0xaaa0 0x040300 0x1002 0xaaa0 pci-stub 1
dev $r pci0000:00 0000:00:1a.0 0x8086 0x1e2d 0x0c0320 0x1043 0x84ca ehci-pci 2
intel_unit $r dmar0 f0101a
cmdline $r "BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro intel_iommu=on pci-stub.ids=1002:6798,1002:aaa0 rhgb quiet"

# 5. No IOMMU: switched off on the command line, no groups, no iommu_group links.
r=iommu-none
dev $r pci0000:00 0000:00:00.0 0x8086 0x3e30 0x060000 0x1458 0x5000 - -
dev $r pci0000:00 0000:00:01.0 0x8086 0x1901 0x060400 0x1458 0x5000 pcieport -
dev $r pci0000:00/0000:00:01.0 0000:01:00.0 0x10de 0x1b81 0x030000 0x1458 0x3702 nouveau -
dev $r pci0000:00/0000:00:01.0 0000:01:00.1 0x10de 0x10f0 0x040300 0x1458 0x3702 snd_hda_intel -
dev $r pci0000:00 0000:00:14.0 0x8086 0xa36d 0x0c0330 0x1458 0x5007 xhci_hcd -
cmdline $r "BOOT_IMAGE=/vmlinuz-6.1.0-25-amd64 root=UUID=0b1e7c5a-77f2-4c43-8d0e-5b8a1f3e9c20 ro quiet intel_iommu=off"
interrupts $r noir

# 6. Passthrough: iommu=pt (identity domains), unsafe interrupts allowed, no interrupt remapping.
r=iommu-passthrough
intel_desktop $r vfio-pci vfio-pci
for g in 0 1 2 3 4 5 6; do gtype $r $g identity; done
intel_unit $r dmar0 f050d2
vfio_params $r Y
mkdir -p $r/etc/modprobe.d
printf '# needed for GPU passthrough on this board\noptions vfio_iommu_type1 allow_unsafe_interrupts=1\noptions kvm ignore_msrs=1\n' >$r/etc/modprobe.d/vfio.conf
cmdline $r "BOOT_IMAGE=/vmlinuz-6.8.12-4-pve root=/dev/mapper/pve-root ro quiet intel_iommu=on iommu=pt intremap=off"
interrupts $r noir

# 7. Garbage: values and shapes the parser must survive.
r=iommu-garbage
dev $r pci0000:00 0000:00:01.0 0x8086 0x1901 0x060400 0x1458 0x5000 pcieport 7
dev $r pci0000:00/0000:00:01.0 0000:01:00.0 zzzz 0x1b81 "" 0x1458 0x3702 - -
d=$r/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0
mkdir -p "$d/driver"; : >"$d/driver/uevent"            # a directory where the kernel has a link
ln -sfn ../../../../kernel/iommu_groups/notanumber "$d/iommu_group"
dev $r pci0000:00/0000:00:01.0 0000:02:00.0 0x8086 0x1533 0x020000 0x8086 0x0001 igb 7
rm "$r/sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/vendor"
mkdir "$r/sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/vendor"   # unreadable attribute
: >"$r/sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/vendor/uevent"
gtype $r 7 bogus
printf 'garbage line\n0xzz 0x1 msi\n' >"$r/sys/kernel/iommu_groups/7/reserved_regions"
printf 'not a group\n' >"$r/sys/kernel/iommu_groups/README"
intel_unit $r dmar0 f050d2
intel_unit $r dmar1 xyz
mkdir -p $r/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts   # a directory, not a value
: >$r/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts/uevent
# A non-PCI member (ACPI namespace device) in group 7, bound to a host driver.
pd=$r/sys/devices/platform/INT33C3:00
mkdir -p "$pd"
printf 'DRIVER=i2c_designware\nMODALIAS=acpi:INT33C3:\n' >"$pd/uevent"
ln -sfn ../../../bus/platform/drivers/i2c_designware "$pd/driver"
ln -sfn ../../../kernel/iommu_groups/7 "$pd/iommu_group"
ln -sfn ../../../../devices/platform/INT33C3:00 "$r/sys/kernel/iommu_groups/7/devices/INT33C3:00"
# A member removed (hot-unplugged) while the group still lists it: a dangling link.
ln -sfn ../../../../devices/pci0000:00/0000:00:01.0/0000:03:00.0 "$r/sys/kernel/iommu_groups/7/devices/0000:03:00.0"
echo "fixtures regenerated"
