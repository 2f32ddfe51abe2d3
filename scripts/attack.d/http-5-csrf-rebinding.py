#!/usr/bin/env python3
"""Case 5: a web page in the admin's browser against the service in no-token mode.

Sends what a browser sends for a foreign page: simple cross-site POSTs to /api/v1/scans
(text/plain, a form, no body), a JSON POST with a foreign Origin or Sec-Fetch-Site, and a
DNS-rebinding read (`Host: evil.example:<port>`) of the full report; also duplicate
`Authorization` headers and the `X-Content-Type-Options` of API JSON. The dashboard's own
request (X-Requested-With, same origin) must still work.
Goals: every foreign request refused (403, 400 for the duplicate header); nosniff present;
the dashboard's POST accepted; /healthz p99 < 50 ms.
"""
import attacklib as A


def main():
    own = f"http://127.0.0.1:{A.PORT}"
    cases = [
        ("simple POST, text/plain", "POST", "/api/v1/scans", [("Content-Type", "text/plain"), ("Origin", "https://evil.example")], b"x", None, {403}),
        ("simple POST, form", "POST", "/api/v1/scans", [("Content-Type", "application/x-www-form-urlencoded")], b"a=b", None, {403}),
        ("simple POST, no body", "POST", "/api/v1/scans", [], b"", None, {403}),
        ("JSON POST, foreign Origin", "POST", "/api/v1/scans", [("Content-Type", "application/json"), ("Origin", "https://evil.example")], b"{}", None, {403}),
        ("JSON POST, Sec-Fetch-Site cross-site", "POST", "/api/v1/scans", [("Content-Type", "application/json"), ("Sec-Fetch-Site", "cross-site")], b"{}", None, {403}),
        ("rebinding read of the report", "GET", "/api/v1/report", [], b"", f"evil.example:{A.PORT}", {403, 421}),
        ("rebinding read of the summary", "GET", "/api/v1/summary", [], b"", f"evil.example:{A.PORT}", {403, 421}),
        ("duplicate Authorization", "GET", "/api/v1/summary", [("Authorization", "Bearer a"), ("Authorization", "Bearer b")], b"", None, {400}),
    ]
    print("case 5 (CSRF and DNS rebinding in no-token mode):")
    with A.HealthProbe() as probe:
        for name, method, target, headers, body, host, expected in cases:
            st, hdrs, _ = A.exchange(method, target, headers=headers, body=body, host=host, timeout=30)
            print(f"  {name}: {st}")
            A.goal(f"case 5: {name} refused ({st}, expected {'/'.join(map(str, sorted(expected)))})", st in expected)
        st, hdrs, _ = A.exchange("GET", "/api/v1/summary")
        print(f"  GET /api/v1/summary: {st}, X-Content-Type-Options: {hdrs.get('x-content-type-options')}")
        A.goal("case 5: API JSON carries X-Content-Type-Options: nosniff", hdrs.get("x-content-type-options") == "nosniff")
        st, _, _ = A.exchange("POST", "/api/v1/scans", headers=[("X-Requested-With", "virtaudit"), ("Origin", own),
                                                                ("Sec-Fetch-Site", "same-origin")])
        print(f"  the dashboard's own POST: {st}")
        A.goal(f"case 5: the dashboard's same-origin POST is accepted ({st})", st == 202)
    probe.report("case 5")
    A.finish()


if __name__ == "__main__":
    raise SystemExit(main())
