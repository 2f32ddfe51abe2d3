#!/usr/bin/env python3
"""Case 4: one local client holds the connection cap.

A single client opens 2,100 idle connections (more than the default cap of 2,048) and opens
a new one whenever the service closes one, for the whole run; meanwhile a liveness probe asks
for /healthz once a second (and the latency probe every 100 ms). Measures how many of the
flood's connections the service kept, and the probes' answers.
Goals: no /healthz probe answered 503 (or not at all); /healthz p99 < 50 ms.
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
          f"reconnecting each one the service closes; /healthz probed once a second")
    for _ in range(CONNECTIONS):
        open_one()
    probes = []
    with A.HealthProbe() as probe:
        t0 = time.monotonic()
        next_probe = t0 + 1
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
            if time.monotonic() >= next_probe:
                t1 = time.perf_counter()
                st, _, _ = A.exchange("GET", "/healthz", timeout=5)
                probes.append((st, (time.perf_counter() - t1) * 1000))
                next_probe += 1
        held = len(sel.get_map())
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    ok = sum(1 for st, _ in probes if st == 200)
    refused = sum(1 for st, _ in probes if st == 503)
    print(f"  flood: {opened} connections opened, {closed_by_server} closed by the service "
          f"({answered_503} with 503), {held} open at the end")
    print(f"  liveness probes: {ok} of {len(probes)} answered 200, {refused} answered 503, "
          f"{len(probes) - ok - refused} other/none; slowest {max([ms for _, ms in probes] or [0]):.1f} ms")
    A.goal(f"case 4: no liveness probe refused during the flood ({len(probes) - ok} of {len(probes)} not 200)",
           probes and ok == len(probes))
    probe.report("case 4")
    A.finish()


if __name__ == "__main__":
    raise SystemExit(main())
