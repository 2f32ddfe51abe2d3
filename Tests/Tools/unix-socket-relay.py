#!/usr/bin/env python3
"""A relay in front of libvirtd's socket, to cut libvirt off from a client and bring it back.

  unix-socket-relay.py LISTEN_PATH TARGET_PATH

Listens on the Unix socket LISTEN_PATH and forwards every connection, both ways, to
TARGET_PATH (e.g. /run/libvirt/libvirt-sock). On SIGTERM it closes every relayed connection at
once (the client sees libvirtd vanish), removes LISTEN_PATH and exits. Start it again on the same
path to bring libvirt back.
"""
import os
import selectors
import signal
import socket
import sys
import threading

listen_path, target_path = sys.argv[1], sys.argv[2]
conns = set()
lock = threading.Lock()


def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def stop(*_):
    with lock:
        for s in list(conns):
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
    try:
        os.unlink(listen_path)
    except OSError:
        pass
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
try:
    os.unlink(listen_path)
except OSError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(listen_path + ".tmp")
srv.listen(64)
os.rename(listen_path + ".tmp", listen_path)
while True:
    client, _ = srv.accept()
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(target_path)
    except OSError:
        client.close()
        continue
    with lock:
        conns.update((client, upstream))
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
