"""Shared parts of the durability-* attack cases: start `virtaudit serve` on loopback with a
generated configuration, talk to it, stop it. Python standard library only."""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


QUICK = os.environ.get("ATTACK_QUICK", "0") == "1"


def binary_from_argv():
    """The virtaudit binary: the first argument, else $ATTACK_BIN (set by scripts/attack), else
    the debug build."""
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ATTACK_BIN", os.path.join(REPO, ".build/debug/virtaudit"))
    if not os.access(path, os.X_OK):
        sys.exit(f"usage: {sys.argv[0]} <path of the virtaudit binary> ({path} is not executable)")
    return os.path.abspath(path)


def fixture_host(name="weak"):
    base = os.path.join(REPO, "Tests/Fixtures/hosts", name)
    return "test://" + base + "/node.xml", base + "/root"


class Serve:
    """`virtaudit serve --port 0` with `config` (YAML text); the log goes to a file."""

    def __init__(self, binary, config, data_dir, workdir=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix="virtaudit-attack-")
        self.config = os.path.join(self.workdir, "virtaudit.yaml")
        with open(self.config, "w") as f:
            f.write(config)
        self.log_path = os.path.join(self.workdir, "serve.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", self.config, "--port", "0", "--data-dir", data_dir,
             "--policies", os.path.join(REPO, "policies"), "--web-dir", os.path.join(REPO, "web")],
            stdout=subprocess.DEVNULL, stderr=self.log, stdin=subprocess.DEVNULL, cwd=REPO)
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline and self.port is None:
            for line in self.log_text().splitlines():
                if "listening" in line:
                    m = re.search(r"port=(\d+)", line)
                    if m:
                        self.port = int(m.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError("serve exited early:\n" + self.log_text())
            time.sleep(0.05)
        if self.port is None:
            raise RuntimeError("serve did not listen within 60 s")

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json"} if method != "GET" else {}
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def json(self, path, method="GET", body=None):
        status, data = self.request(method, path, body)
        return status, (json.loads(data) if data else None)

    def wait_scan(self, scan_id, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            _, record = self.json(f"/api/v1/scans/{scan_id}")
            if record and record["state"] in ("done", "failed"):
                return record
            time.sleep(0.05)
        raise RuntimeError(f"scan {scan_id} did not finish within {timeout} s")

    def scan(self):
        """Asks for a scan and waits for its record to be final."""
        _, record = self.json("/api/v1/scans", method="POST", body=b"{}")
        return self.wait_scan(record["id"])

    def metric(self, name):
        _, data = self.request("GET", "/metrics")
        for line in data.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return None

    def stop(self, timeout=20):
        """SIGTERM; returns the exit status (negative: killed by that signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def state(pid):
    """The process state letter from /proc (R, S, Z, ...), None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def running(pid):
    """True while `pid` runs (a zombie does not count)."""
    return state(pid) not in (None, "Z", "X")


def zombie(pid):
    return state(pid) == "Z"


def report(case, numbers, goals):
    """One line per number (`case.key value`), a JSON line of them all, then one line per goal
    (`PASS <goal>` or `MISS <goal>`, as scripts/attack expects). Returns the exit status: 1 when
    a goal was missed."""
    for k, v in numbers.items():
        print(f"{case}.{k} {v}")
    print(json.dumps({"case": case, **numbers}, sort_keys=True))
    missed = 0
    for name, ok in goals:
        print(("PASS " if ok else "MISS ") + name)
        missed += 0 if ok else 1
    return 1 if missed else 0
