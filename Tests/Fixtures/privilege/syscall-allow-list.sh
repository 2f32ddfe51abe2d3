#!/bin/sh
# Prints the system calls virtaudit.service allows, one per line: @system-service minus
# @privileged and the explicitly refused calls, expanded by the local systemd-analyze. Feed the
# result to seccomp-exec.py to run a program under the unit's filter without systemd.
set -eu
expand() {
    systemd-analyze syscall-filter "$1" | sed -e 's/#.*//' -e 's/^ *//' | grep -v '^$' | tail -n +2 |
        while read -r x; do case $x in @*) expand "$x" ;; *) echo "$x" ;; esac; done
}
denied=$(mktemp)
trap 'rm -f "$denied"' EXIT
{ expand @privileged; printf '%s\n' process_vm_readv process_vm_writev process_madvise; } | sort -u > "$denied"
expand @system-service | sort -u | comm -23 - "$denied"
