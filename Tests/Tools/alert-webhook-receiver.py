#!/usr/bin/env python3
"""A real webhook receiver for the service's alert tests, failing per alert.

  alert-webhook-receiver.py PORTFILE LOGFILE SECRET FAILURES_PER_KEY LIFETIME_SECONDS [PORT]

Listens on 127.0.0.1 (PORT, or a free port; written to PORTFILE once listening), answers the first
FAILURES_PER_KEY POSTs of each alert (by the payload's "key") with HTTP 500 and later ones with
204, and appends one JSON line per request to LOGFILE: the status it answered, whether
X-Virtaudit-Signature matched "sha256=" + HMAC-SHA256(SECRET, "<X-Virtaudit-Timestamp>.<body>"),
the attempt number for that key, and the body. Exits after LIFETIME_SECONDS.
"""
import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
failures, lifetime = int(sys.argv[4]), float(sys.argv[5])
seen = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        ts = self.headers.get("X-Virtaudit-Timestamp", "")
        sig = self.headers.get("X-Virtaudit-Signature", "")
        want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        try:
            doc = json.loads(body or b"null")
        except ValueError:
            doc = None
        key = doc.get("key") if isinstance(doc, dict) else None
        with lock:
            seen[key] = seen.get(key, 0) + 1
            attempt = seen[key]
            status = 500 if attempt <= failures else 204
            with open(logfile, "a") as f:
                f.write(json.dumps({"status": status, "signatureOK": hmac.compare_digest(sig, want),
                                    "contentType": self.headers.get("Content-Type", ""),
                                    "attempt": attempt, "key": key, "body": doc}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer.allow_reuse_address = True
srv = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[6]) if len(sys.argv) > 6 else 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
threading.Timer(lifetime, srv.shutdown).start()
srv.serve_forever()
