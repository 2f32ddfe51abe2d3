#!/bin/sh
# Runs the real `virtaudit scan --format json` under each privilege level and compares each run
# with full root: unknown facts, unknown verdicts, scores, and the number of lines that differ
# from root's (scan-summary.py). The last level is the unit's process state: the virtaudit user,
# no_new_privs, ambient CAP_SYS_PTRACE, the unit's system-call filter and
# memory-deny-write-execute, with the qemu.conf ACL applied for the run and removed after.
#
# Usage (as root): scan-as.sh VIRTAUDIT POLICIES [URI]
#   VIRTAUDIT and POLICIES must be readable by the virtaudit user (copy them to /tmp).
#   URI defaults to qemu:///system; on a host without polkit use ro-proxy.py and
#   'qemu:///system?socket=/tmp/va-roproxy/sock'.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
va=$1 policies=$2 uri=${3:-qemu:///system}
out=$(mktemp -d)
chmod 0755 "$out"
trap 'rm -rf "$out"; setfacl -x u:virtaudit,m:: /etc/libvirt/qemu.conf 2>/dev/null || true' EXIT
allow="$out/allow"
"$here/syscall-allow-list.sh" > "$allow"
chmod 0644 "$allow"

as_user() { # $1: setpriv capability list or ""
    caps=$1; shift
    if [ -z "$caps" ]; then
        setpriv --reuid virtaudit --regid virtaudit --init-groups --inh-caps=-all --bounding-set=-all -- "$@"
    else
        setpriv --reuid virtaudit --regid virtaudit --init-groups --inh-caps="-all,$caps" \
            --ambient-caps="$caps" --bounding-set="-all,$caps" -- "$@"
    fi
}
run() { # $1 label, rest: command prefix
    label=$1; shift
    "$@" "$va" scan --format json --connect "$uri" --policies "$policies" > "$out/$label.json" 2> "$out/$label.err" || true
    /usr/bin/python3 "$here/scan-summary.py" "$out/$label.json" > "$out/$label.txt"
    printf '%-28s unknown facts %3s, unknown verdicts %3s, %s, lines differing from root %s\n' "$label" \
        "$(grep -c '^unknown-fact' "$out/$label.txt")" "$(grep -c 'verdict.* unknown$' "$out/$label.txt")" \
        "$(grep '^score' "$out/$label.txt" | awk '{print $2" "$3$4}' | paste -sd, -)" \
        "$( (diff "$out/root.txt" "$out/$label.txt" || true) | grep -c '^[<>]')"
}
run root env
run root-nocaps setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all --
run user as_user ""
run user+ptrace as_user +sys_ptrace
run user+dac_read_search as_user +dac_read_search
run user+ptrace+dac_read_search as_user +sys_ptrace,+dac_read_search
setfacl -m u:virtaudit:r /etc/libvirt/qemu.conf
run user+ptrace+acl as_user +sys_ptrace
run unit-process-state setpriv --reuid virtaudit --regid virtaudit --init-groups --no-new-privs \
    --inh-caps=-all,+sys_ptrace --ambient-caps=+sys_ptrace --bounding-set=-all,+sys_ptrace -- \
    /usr/bin/python3 "$here/seccomp-exec.py" "$allow" /usr/bin/python3 "$here/mdwe-exec.py"
