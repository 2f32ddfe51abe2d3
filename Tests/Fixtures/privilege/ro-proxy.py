#!/usr/bin/python3
"""Relays /tmp/va-roproxy/sock to libvirtd's read-only socket, as root.

libvirtd authorizes read-only clients with polkit (action org.libvirt.unix.monitor, allowed for
any user by default). The measuring host has no system D-Bus, so polkit cannot answer and every
non-root client is refused ("Unable to get system bus connection"); libvirtd skips polkit for
uid 0. Run as root, this relay connects for the unprivileged client, which then sees what polkit
would grant it on a normal host: a read-only connection (libvirtd still refuses every write, e.g.
"read only access prevents virDomainDestroy"). Use the URI qemu:///system?socket=/tmp/va-roproxy/sock.
"""
import os, socket, threading, sys
SRC = "/tmp/va-roproxy/sock"
DST = "/run/libvirt/libvirt-sock-ro"
os.makedirs("/tmp/va-roproxy", exist_ok=True); os.chmod("/tmp/va-roproxy", 0o755)
try: os.unlink(SRC)
except FileNotFoundError: pass
srv = socket.socket(socket.AF_UNIX); srv.bind(SRC); os.chmod(SRC, 0o777); srv.listen(8)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
while True:
    c, _ = srv.accept()
    u = socket.socket(socket.AF_UNIX); u.connect(DST)
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
