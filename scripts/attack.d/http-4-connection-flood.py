#!/usr/bin/env python3
"""Case 4: one local client holds the connection cap.

A single client opens 2,100 idle connections (more than the default cap of 2,048) and opens
a new one whenever the service closes one, for the whole run; meanwhile a liveness probe (a
separate process, from the same loopback address) asks for /healthz every 100 ms. Measures
how many connections the flood went through and the probes' answers.
Goals: every /healthz probe answered 200 (none 503, none unanswered); /healthz p99 < 50 ms.
"""
import selectors
import socket
import time

import attacklib as A

CONNECTIONS = 2100
DURATION = 8.0 if A.QUICK else 25.0


def main():
    A.raise_nofile(CONNECTIONS + 1024)
    sel = selectors.DefaultSelector()
    opened = 0
    closed_by_server = 0
    answered_503 = 0

    def open_one():
        nonlocal opened
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect_ex((A.HOST, A.PORT))
        except OSError:
            s.close()
            return
        sel.register(s, selectors.EVENT_READ)
        opened += 1

    print(f"case 4 (connection flood): one client keeps {CONNECTIONS} idle connections open for {DURATION:.0f} s, "
          f"reconnecting each one the service closes; /healthz probed every 100 ms")
    for _ in range(CONNECTIONS):
        open_one()
    with A.HealthProbe() as probe:
        t0 = time.monotonic()
        while time.monotonic() - t0 < DURATION:
            for key, _ in sel.select(timeout=0.05):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data.startswith(b"HTTP/1.1 503"):
                    answered_503 += 1
                if not data or data.startswith(b"HTTP/"):
                    sel.unregister(s)
                    s.close()
                    closed_by_server += 1
                    open_one()
        held = len(sel.get_map())
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    refused = sum(1 for st in probe.statuses if st == 503)
    unanswered = sum(1 for st in probe.statuses if st is None)
    print(f"  flood: {opened} connections opened, {closed_by_server} closed by the service "
          f"({answered_503} with 503), {held} open at the end")
    print(f"  liveness probes answered 503: {refused}, not answered within 5 s: {unanswered}")
    probe.report("case 4")
    A.finish()


if __name__ == "__main__":
    raise SystemExit(main())
