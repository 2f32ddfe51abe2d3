#!/bin/sh
# Measures what virtaudit can read on this host under each privilege level it could run with.
# Runs probe-paths.py (every read the probes make) as: full root, root without capabilities,
# the `virtaudit` system user alone, and that user with CAP_SYS_PTRACE and/or
# CAP_DAC_READ_SEARCH (ambient, as systemd's AmbientCapabilities= grants them), then prints one
# tab-separated table: operation+path x level -> ok or the errno name.
#
# Needs: root, util-linux setpriv, python3, and the user
#   useradd --system --no-create-home --shell /usr/sbin/nologin virtaudit
# Usage: measure.sh [guest...]          (default guests: va-confined va-rootdac)
# The probe script must be readable by the virtaudit user (copy it to /tmp if the tree is not).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
probe="${PROBE:-$here/probe-paths.py}"
user="${VIRTAUDIT_USER:-virtaudit}"
guests="${*:-va-confined va-rootdac}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Pids are read as root once, so that a level that cannot read the pid files still probes /proc.
for g in $guests; do
    export "PID_$(echo "$g" | tr - _)=$(cat "/run/libvirt/qemu/$g.pid" 2>/dev/null || true)"
done
export PID_libvirtd="$(cat /run/libvirtd.pid 2>/dev/null || true)"

as_user() { # $1: capabilities as setpriv writes them (+sys_ptrace,+dac_read_search) or "" for none
    caps=$1; shift
    if [ -z "$caps" ]; then
        setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps=-all --bounding-set=-all -- "$@"
    else
        setpriv --reuid "$user" --regid "$user" --init-groups --inh-caps="-all,$caps" \
            --ambient-caps="$caps" --bounding-set="-all,$caps" -- "$@"
    fi
}

level() { # $1: level name; runs the probe and records the credentials it ran with
    case $1 in
        root) "$@" ;;
        root-nocaps) shift; setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$@" ;;
        user) shift; as_user "" "$@" ;;
        user+ptrace) shift; as_user +sys_ptrace "$@" ;;
        user+dac_read_search) shift; as_user +dac_read_search "$@" ;;
        user+ptrace+dac_read_search) shift; as_user +sys_ptrace,+dac_read_search "$@" ;;
    esac
}

levels="root root-nocaps user user+ptrace user+dac_read_search user+ptrace+dac_read_search"
for l in $levels; do
    if [ "$l" = root ]; then
        /usr/bin/python3 "$probe" $guests > "$out/$l"
        creds=$(grep -E '^(Uid|CapEff|CapAmb)' /proc/self/status | tr '\n\t' '  ')
    else
        level "$l" /usr/bin/python3 "$probe" $guests > "$out/$l"
        creds=$(level "$l" /bin/grep -E '^(Uid|CapEff|CapAmb)' /proc/self/status | tr '\n\t' '  ')
    fi
    echo "# $l: $creds"
done
printf 'path'; for l in $levels; do printf '\t%s' "$l"; done; echo
cut -f1,2 "$out/root" | while IFS="$(printf '\t')" read -r op path; do
    printf '%s %s' "$op" "$path"
    for l in $levels; do
        printf '\t%s' "$(awk -F'\t' -v o="$op" -v p="$path" '$1==o && $2==p {print $3}' "$out/$l")"
    done
    echo
done
