#!/usr/bin/env python3
"""Case 1: clients that request the full report and never read.

200 connections each send `GET /api/v1/report` (identity encoding, the largest body) with a
small receive buffer and never read a byte; they are held for a while, then closed. Measures
the service's resident memory before, at its peak while they are held, and after, and the
/healthz latency throughout. Goals: at most 50 MiB more RSS in total; /healthz p99 < 50 ms.
"""
import socket
import time

import attacklib as A

CLIENTS = 200
HOLD = 6.0 if A.QUICK else 15.0
RSS_GOAL_MIB = 50.0


def main():
    A.raise_nofile()
    size = A.report_size()
    print(f"case 1 (slow readers): {CLIENTS} clients request /api/v1/report ({size / 1e6:.1f} MB) and never read; "
          f"held {HOLD:.0f} s")
    time.sleep(1)
    before = A.rss_mib()
    peak = before
    socks = []
    with A.HealthProbe() as probe:
        t0 = time.monotonic()
        for _ in range(CLIENTS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(5)
            try:
                s.connect((A.HOST, A.PORT))
                s.sendall(A.request_bytes("GET", "/api/v1/report"))
            except OSError as e:
                print(f"  connect/send failed: {e}")
                s.close()
                continue
            socks.append(s)
        while time.monotonic() - t0 < HOLD:
            peak = max(peak, A.rss_mib())
            time.sleep(0.25)
        held = A.rss_mib()
        for s in socks:
            s.close()
        time.sleep(1.5)
    after = A.rss_mib()
    growth = peak - before
    print(f"  RSS before {before:.1f} MiB, peak while held {peak:.1f} MiB, at the end of the hold {held:.1f} MiB, "
          f"after closing {after:.1f} MiB")
    print(f"  growth {growth:.1f} MiB for {len(socks)} clients ({growth / max(1, len(socks)):.2f} MiB per client)")
    A.goal(f"case 1: {len(socks)} non-reading clients add {growth:.1f} MiB RSS <= {RSS_GOAL_MIB:.0f} MiB", growth <= RSS_GOAL_MIB)
    probe.report("case 1")
    A.goal("case 1: the service is still running", A.alive())
    A.finish()


if __name__ == "__main__":
    raise SystemExit(main())
