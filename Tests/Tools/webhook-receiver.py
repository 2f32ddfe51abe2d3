#!/usr/bin/env python3
"""A real webhook receiver for the alert tests.

  webhook-receiver.py PORTFILE LOGFILE SECRET FAILURES

Listens on 127.0.0.1 (a free port, written to PORTFILE), answers the first FAILURES POSTs with
HTTP 500 and the rest with 204, and appends one JSON line per request to LOGFILE: the status it
answered, whether the X-Virtaudit-Signature matched HMAC-SHA256(SECRET, "<timestamp>.<body>"),
and the body. Exits after 60 s.
"""
import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

portfile, logfile, secret, failures = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
count = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        ts = self.headers.get("X-Virtaudit-Timestamp", "")
        sig = self.headers.get("X-Virtaudit-Signature", "")
        want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        count["n"] += 1
        status = 500 if count["n"] <= failures else 204
        with open(logfile, "a") as f:
            f.write(json.dumps({"status": status, "signatureOK": hmac.compare_digest(sig, want),
                                "body": json.loads(body or b"null")}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
threading.Timer(60, srv.shutdown).start()
srv.serve_forever()
