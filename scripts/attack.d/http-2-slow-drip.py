#!/usr/bin/env python3
"""Case 2: clients that read the full report slowly but steadily.

Each client requests `GET /api/v1/report` and reads 32 kB every 2 s: never idle for the write
timeout, so an inactivity timeout alone keeps them (and whatever the server holds for them)
for the whole body, about 23 minutes. The service must end each response at its total send
deadline, max(write_timeout_seconds, bytes / write_min_bytes_per_second). Measures how long
each client stays connected and how much it got, the RSS and /healthz latency.
Goals: every client cut within the deadline plus 10 s; /healthz p99 < 50 ms.
"""
import os
import socket
import time

import attacklib as A

CLIENTS = 10 if A.QUICK else 20
STEP_BYTES = 32 * 1024
STEP_SECONDS = 2.0


def main():
    A.raise_nofile()
    size = A.report_size() + 400
    write_timeout = float(os.environ.get("ATTACK_WRITE_TIMEOUT", "30"))
    floor = float(os.environ.get("ATTACK_WRITE_MIN_RATE", "524288"))
    deadline = max(write_timeout, size / floor) if floor > 0 else write_timeout
    window = deadline + 15
    if A.LEGACY:
        window = max(window, 65.0)
    print(f"case 2 (steady slow readers): {CLIENTS} clients read {STEP_BYTES // 1024} kB every {STEP_SECONDS:.0f} s "
          f"of /api/v1/report ({size / 1e6:.1f} MB); expected send deadline {deadline:.0f} s; watched for {window:.0f} s")
    socks = []
    for _ in range(CLIENTS):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        s.settimeout(0.2)
        s.connect((A.HOST, A.PORT))
        s.sendall(A.request_bytes("GET", "/api/v1/report"))
        socks.append(s)
    t0 = time.monotonic()
    ended = [None] * CLIENTS
    got = [0] * CLIENTS
    before = A.rss_mib()
    peak = before
    with A.HealthProbe() as probe:
        next_step = t0
        while time.monotonic() - t0 < window and any(e is None for e in ended):
            for i, s in enumerate(socks):
                if ended[i] is not None:
                    continue
                want = STEP_BYTES
                while want > 0:
                    try:
                        chunk = s.recv(want)
                    except socket.timeout:
                        break
                    except OSError:
                        chunk = b""
                    if not chunk:
                        ended[i] = time.monotonic() - t0
                        break
                    got[i] += len(chunk)
                    want -= len(chunk)
            peak = max(peak, A.rss_mib())
            next_step += STEP_SECONDS
            pause = next_step - time.monotonic()
            if pause > 0:
                time.sleep(pause)
    for s in socks:
        s.close()
    still = sum(1 for e in ended if e is None)
    cut = [e for e in ended if e is not None]
    print(f"  connected after {window:.0f} s: {still} of {CLIENTS}; cut after "
          + (f"{min(cut):.1f}-{max(cut):.1f} s" if cut else "-")
          + f"; received {min(got) / 1e6:.2f}-{max(got) / 1e6:.2f} MB of {size / 1e6:.1f} MB each")
    print(f"  RSS before {before:.1f} MiB, peak {peak:.1f} MiB")
    worst = max(cut) if cut and not still else float("inf")
    A.goal(f"case 2: every steady slow reader cut by the send deadline ({worst:.1f} s <= {deadline + 10:.0f} s)",
           still == 0 and worst <= deadline + 10)
    probe.report("case 2")
    A.finish()


if __name__ == "__main__":
    raise SystemExit(main())
