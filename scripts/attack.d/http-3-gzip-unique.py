#!/usr/bin/env python3
"""Case 3: gzip requests for the full report with a unique query string each time.

8 clients loop on `GET /api/v1/report?findings=<problems, spelled uniquely>` with
`Accept-Encoding: gzip` and read each answer whole: each letter of `problems` is sent as is or
percent-encoded (either case of hex), so targets almost never repeat while the body is the same
(the service refuses query parameters it does not take, so a made-up nonce would only get
400s). A cache keyed by request target never hits, and compressing on the event loop stalls
every other client. Measures requests answered, the compressed size, and the
/healthz latency. Goal: /healthz p99 < 50 ms.
"""
import random
import threading
import time

import attacklib as A

CLIENTS = 8
DURATION = 8.0 if A.QUICK else 20.0


def unique_problems():
    """`problems` with each letter as is, `%xx` or `%XX`: 3^8 spellings of one value."""
    out = []
    for c in "problems":
        code = f"{ord(c):02x}"
        out.append(random.choice([c, "%" + code, "%" + code.upper()]))
    return "".join(out)


def main():
    size = A.report_size()
    print(f"case 3 (gzip, unique targets): {CLIENTS} clients request /api/v1/report?findings=<problems, spelled uniquely> with gzip "
          f"for {DURATION:.0f} s (identity {size / 1e6:.1f} MB)")
    done = [0] * CLIENTS
    sizes = set()
    latencies = []
    lock = threading.Lock()
    stop = time.monotonic() + DURATION

    def worker(i):
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            st, hdrs, b = A.exchange("GET", f"/api/v1/report?findings={unique_problems()}",
                                     headers=[("Accept-Encoding", "gzip")], timeout=30)
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)
                if st == 200:
                    done[i] += 1
                    sizes.add((hdrs.get("content-encoding", "identity"), len(b)))

    with A.HealthProbe() as probe:
        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(DURATION + 40)
    enc = ", ".join(f"{e} {n / 1e6:.2f} MB" for e, n in sorted(sizes))
    print(f"  {sum(done)} gzip requests answered ({sum(done) / DURATION:.1f}/s); bodies: {enc}; "
          f"request p50 {A.percentile(latencies, 50):.0f} ms, p99 {A.percentile(latencies, 99):.0f} ms")
    probe.report("case 3")
    A.finish()


if __name__ == "__main__":
    raise SystemExit(main())
