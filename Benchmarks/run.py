#!/usr/bin/env python3
"""Runs the scale benchmark of virtaudit and prints a table (called by scripts/bench).

  Benchmarks/run.py --virtaudit BIN [--rescan BIN] --policies DIR --work DIR
                    [--sizes 10,100,1000,5000] [--repeats 5] [--idle-seconds 60]
                    [--json OUT.json] [--markdown OUT.md]

For every size N it generates a host with Benchmarks/generate-host.py (a libvirt test-driver
node file and a fixture root), then, interleaving the runs so that they share the machine's
load:
  - the floor: `virsh -c test:///.../node.xml list --all` (libvirt opening the node file);
  - `virtaudit scan --connect <same URI> --root <fixture> --format json`: wall and CPU time,
    peak resident memory (the child's ru_maxrss), the report's own stage times and file-read
    count (`stats`);
  - once, under `strace -f -c`: system calls per VM;
  - `virtaudit-bench` (the in-process rescan: connection already open, the way the service
    rescans): scan time per stage and JSON encoding time.
Then the idle service: `virtaudit serve` on the 1,000-VM host, its CPU time over a period
after its first scan, and its resident memory.
Each measurement reports min and median. Goals are printed as PASS/MISS.
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")
STAGES = ["libvirt", "xmlParse", "hostProbes", "devices", "processProbes", "policy"]

GOALS = {
    "scan_vs_floor": 1.5,      # virtaudit scan (1,000 VMs) / virsh list --all, same URI, medians
    "growth_100_1000": 11.0,   # scan median at 1,000 VMs / at 100 VMs
    "rescan_ms": 250.0,        # in-process rescan of 1,000 VMs, median
    "linear_ratio": 5.5,       # 5,000-VM time / 1,000-VM time
    "reads_per_vm": 15.0,      # file reads per running VM
    "idle_cpu_pct": 1.0,       # idle service CPU
    "idle_rss_mib": 30.0,      # idle service resident memory, 1,000 VMs loaded, after its scans
    "idle_rss_small_mib": 25.0,  # the same with 10 VMs
    "service_peak_mib": 150.0,   # the service's peak resident memory (VmHWM) over its scans, 1,000 VMs
    "report_mb": 5.0,          # default report JSON at 1,000 VMs (an aim, printed with the goals)
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_measured(argv, stdout_path=None, env=None, cwd=None):
    """Runs argv to completion; returns wall seconds, user+sys CPU seconds, peak RSS KiB, exit
    status and stdout (bytes, or None when sent to stdout_path)."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env, cwd=cwd)
    data = b""
    if stdout_path is None:
        data = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if stdout_path:
        out.close()
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "sys": ru.ru_stime,
            "maxrss_kib": ru.ru_maxrss, "rc": p.returncode, "stdout": data, "stderr": err.decode(errors="replace")}


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def machine():
    info = {"nproc": os.cpu_count(), "kernel": os.uname().release}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            info["cpu"] = m.group(1).strip() if m else "unknown"
        with open("/proc/meminfo") as f:
            m = re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.M)
            info["memory_gib"] = round(int(m.group(1)) / 1024 / 1024, 1)
    except OSError:
        pass
    info["loadavg_start"] = open("/proc/loadavg").read().split()[:3]
    try:
        info["libvirt"] = subprocess.run(["virsh", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        info["libvirt"] = "unknown"
    return info


def generate(n, work, seed):
    out = os.path.join(work, f"host-{n}")
    marker = os.path.join(out, ".generated")
    stamp = f"{n} {seed} {os.path.getmtime(os.path.join(HERE, 'generate-host.py'))}"
    if os.path.exists(marker) and open(marker).read() == stamp:
        return out
    log(f"  generating {n} domains in {out}")
    subprocess.run([sys.executable, os.path.join(HERE, "generate-host.py"), str(n), out, "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)
    with open(marker, "w") as f:
        f.write(stamp)
    return out


def scan_argv(args, host):
    return [args.virtaudit, "scan", "--connect", f"test://{host}/node.xml", "--root", f"{host}/root",
            "--policies", args.policies, "--format", "json"]


def parse_report(data):
    try:
        doc = json.loads(data)
    except ValueError as e:
        return None, f"output is not JSON: {e}"
    return doc, None


def verbose_size(args, host, res):
    """Size in bytes of the report listing every finding (`scan --verbose`, format 2). A format-1
    report (no `findingsListed` key) already lists every finding: its default size is the size."""
    if res.get("findings_listed") == "all" and res.get("report_format", 1) == 1:
        return res.get("report_bytes"), "format 1 lists every finding by default"
    r = run_measured(scan_argv(args, host) + ["--verbose"])
    doc, err = parse_report(r["stdout"])
    if r["rc"] not in (0, 1) or doc is None:
        return None, f"scan --verbose failed (exit {r['rc']}): {err or r['stderr'].strip()[:200]}"
    if doc.get("findingsListed") not in (None, "all"):
        return None, f"scan --verbose listed {doc.get('findingsListed')!r}, not all"
    return len(r["stdout"]), None


def strace_calls(args, host, n, work):
    path = os.path.join(work, f"strace-{n}.txt")
    r = run_measured(["strace", "-f", "-c", "-o", path] + scan_argv(args, host), stdout_path=os.devnull)
    if r["rc"] != 0 or not os.path.exists(path):
        return None, {}
    total = None
    per = {}
    for line in open(path):
        parts = line.split()
        if len(parts) >= 5 and parts[-1] == "total":
            total = int(parts[3 if len(parts) >= 6 else 2])
        elif len(parts) >= 5 and re.match(r"^[\d.]+$", parts[0]):
            # % time, seconds, usecs/call, calls, [errors], syscall
            try:
                per[parts[-1]] = int(parts[3])
            except ValueError:
                pass
    return total, per


def measure_size(args, n, host, repeats, work):
    uri = f"test://{host}/node.xml"
    res = {"n": n, "virsh": [], "scan": [], "stages": {s: [] for s in STAGES}, "files_read": [],
           "running": None, "domains": None, "errors": []}
    for r in range(repeats):
        v = run_measured(["virsh", "-c", uri, "list", "--all"], stdout_path=os.devnull)
        if v["rc"] != 0:
            res["errors"].append(f"virsh failed: {v['stderr'].strip()}")
        res["virsh"].append(v)
        s = run_measured(scan_argv(args, host))
        doc, err = parse_report(s["stdout"])
        s["raw"] = s.pop("stdout")
        if s["rc"] not in (0, 1) or doc is None:
            res["errors"].append(f"scan exit {s['rc']}: {err or ''} {s['stderr'].strip()[:300]}")
        res["scan"].append(s)
        if doc is not None:
            st = doc.get("stats") or {}
            res["domains"] = st.get("domains", len(doc.get("domains", [])))
            res["running"] = st.get("runningDomains",
                                    sum(1 for d in doc.get("domains", []) if d.get("state") == "running"))
            for k in STAGES:
                res["stages"][k].append((st.get("stagesMs") or {}).get(k))
            res["files_read"].append(st.get("filesRead"))
            res["report_bytes"] = len(s["raw"])
            res["report_format"] = doc.get("format", 1)
            res["findings_listed"] = doc.get("findingsListed", "all")
            res["report_duration_ms"] = doc.get("durationMs")
        s.pop("raw", None)
        log(f"  N={n} run {r + 1}/{repeats}: virsh {v['wall']:.3f}s, scan {s['wall']:.3f}s "
            f"(cpu {s['cpu']:.3f}s, rss {s['maxrss_kib'] / 1024:.1f} MiB)")
    if n == 1000 or n == args.idle_n:
        res["verbose_bytes"], res["verbose_note"] = verbose_size(args, host, res)
    if args.strace and shutil.which("strace") and (n <= args.strace_max):
        total, per = strace_calls(args, host, n, work)
        res["syscalls_total"] = total
        res["syscalls_top"] = dict(sorted(per.items(), key=lambda kv: -kv[1])[:8])
    if args.rescan:
        res["rescan"] = rescan(args, host, n)
    return res


def rescan(args, host, n):
    """The in-process rescan: one open connection, repeated scans, then JSON encoding."""
    iters = args.rescan_iterations
    argv = [args.rescan, "--connect", f"test://{host}/node.xml", "--root", f"{host}/root",
            "--policies", args.policies, "--iterations", str(iters)]
    r = run_measured(argv)
    if r["rc"] != 0:
        return {"error": r["stderr"].strip()[-500:]}
    try:
        return json.loads(r["stdout"])
    except ValueError as e:
        return {"error": f"rescan output is not JSON: {e}"}


def http(method, url, timeout=5):
    # A state-changing request carries a JSON content type (the service refuses cross-site forms).
    req = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None,
                                 headers={"Content-Type": "application/json"} if method == "POST" else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        return None, str(e).encode()


def iso_seconds(text):
    """Seconds since the epoch of an RFC 3339 UTC timestamp (2026-11-23T02:40:00.123Z)."""
    if not text:
        return None
    import datetime
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime (fields 14, 15)


def proc_status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def idle_service(args, host, work):
    port = free_port()
    # A fresh state directory per run: a history left by an earlier (larger) run would be loaded.
    tag = os.path.basename(host)
    data_dir = os.path.join(work, f"service-data-{tag}")
    shutil.rmtree(data_dir, ignore_errors=True)
    os.makedirs(data_dir)
    cfg = os.path.join(work, f"service-{tag}.yaml")
    lines = [f"listen: 127.0.0.1", f"port: {port}", f"connect: test://{host}/node.xml",
             f"root: {host}/root", f"policies: {args.policies}", f"scan_interval_seconds: {args.scan_interval}",
             f"data_dir: {data_dir}", "log_level: warning"]
    web = os.path.join(os.path.dirname(HERE), "web")
    if os.path.isdir(web):
        lines.append(f"web_dir: {web}")
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    logf = open(os.path.join(work, f"service-{tag}.log"), "wb")
    p = subprocess.Popen([args.virtaudit, "serve", "--config", cfg], stdout=logf, stderr=subprocess.STDOUT)
    res = {"config": cfg, "scan_interval_seconds": args.scan_interval}
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        t0 = time.perf_counter()
        ready = None
        while time.perf_counter() - t0 < args.service_timeout:
            if p.poll() is not None:
                res["error"] = f"service exited with {p.returncode}: " + open(logf.name, errors="replace").read()[-800:]
                return res
            code, body = http("GET", base + "/summary")
            if code == 200:
                ready = time.perf_counter() - t0
                break
            time.sleep(0.05)
        if ready is None:
            res["error"] = "no first scan within the timeout"
            return res
        res["first_scan_ready_s"] = ready
        # Rescans requested through the API (connection open): each record's startedAt to
        # finishedAt, and the wall time from the request to the record saying done.
        durations = []
        round_trips = []
        for _ in range(args.service_rescans):
            t1 = time.perf_counter()
            code, body = http("POST", base + "/scans", timeout=60)
            if code not in (200, 201, 202):
                res["rescan_error"] = f"POST /scans -> {code}: {body[:200]!r}"
                break
            try:
                rec = json.loads(body)
            except ValueError:
                rec = {}
            sid = rec.get("id")
            while sid and time.perf_counter() - t1 < 120:
                if rec.get("state") in ("done", "failed"):
                    break
                time.sleep(0.01)
                code, body = http("GET", f"{base}/scans/{sid}")
                rec = json.loads(body) if code == 200 else {}
            if rec.get("state") == "done":
                round_trips.append((time.perf_counter() - t1) * 1000)
                a, b = iso_seconds(rec.get("startedAt")), iso_seconds(rec.get("finishedAt"))
                if a is not None and b is not None:
                    durations.append((b - a) * 1000)
            elif rec:
                res["rescan_error"] = f"scan {sid}: {rec.get('state')} {rec.get('error') or ''}"
        res["scans_requested"] = len(round_trips)
        res["api_rescan_round_trip_ms"] = summary(round_trips)
        res["api_rescan_ms"] = summary(durations)
        time.sleep(args.settle)
        rss_before = proc_status_kib(p.pid, "VmRSS")
        c0 = proc_cpu_seconds(p.pid)
        w0 = time.perf_counter()
        time.sleep(args.idle_seconds)
        c1 = proc_cpu_seconds(p.pid)
        w1 = time.perf_counter()
        res["idle_seconds"] = w1 - w0
        res["idle_cpu_seconds"] = c1 - c0
        res["idle_cpu_pct"] = 100 * (c1 - c0) / (w1 - w0)
        res["rss_kib"] = proc_status_kib(p.pid, "VmRSS")
        res["rss_before_kib"] = rss_before
        res["hwm_kib"] = proc_status_kib(p.pid, "VmHWM")
        res["threads"] = len(os.listdir(f"/proc/{p.pid}/task"))
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        logf.close()
    return res


def fmt(v, spec=".3f", none="n/a"):
    if v is None:
        return none
    return format(v, spec)


def ms(s):
    return None if s is None else s * 1000


def med(values):
    s = summary(values)
    return None if s is None else s["median"]


def mn(values):
    s = summary(values)
    return None if s is None else s["min"]


def report(results, info, args):
    lines = []
    p = lines.append
    p(f"machine: {info.get('cpu')} x{info.get('nproc')}, {info.get('memory_gib')} GiB, "
      f"kernel {info.get('kernel')}, libvirt {info.get('libvirt')}")
    p(f"load average at start {' '.join(info['loadavg_start'])}, at end {' '.join(info.get('loadavg_end', []))}; "
      f"{args.repeats} runs per size, min / median")
    p("")
    p("`virtaudit scan --format json` (a fresh process: connect, scan, encode, print) against the floor "
      "`virsh list --all` on the same test:/// URI; min / median:")
    hdr = ["N", "running", "virsh s", "scan s", "ratio", "scan CPU s", "peak RSS MiB",
           "reads/VM", "syscalls/VM", "report MB"]
    rows = []
    for r in results:
        vw = [x["wall"] for x in r["virsh"]]
        sw = [x["wall"] for x in r["scan"]]
        sc = [x["cpu"] for x in r["scan"]]
        rss = [x["maxrss_kib"] / 1024 for x in r["scan"]]
        ratio = (med(sw) / med(vw)) if vw and sw else None
        running = r.get("running") or 0
        reads = [f / running for f in r["files_read"] if f is not None and running] if running else []
        sysc = (r["syscalls_total"] / r["n"]) if r.get("syscalls_total") else None
        rows.append([str(r["n"]), str(r.get("running")),
                     f"{fmt(mn(vw))} / {fmt(med(vw))}", f"{fmt(mn(sw))} / {fmt(med(sw))}", fmt(ratio, ".2f"),
                     f"{fmt(mn(sc))} / {fmt(med(sc))}", f"{fmt(mn(rss), '.1f')} / {fmt(med(rss), '.1f')}",
                     fmt(med(reads), ".2f"), fmt(sysc, ".1f"),
                     fmt((r.get("report_bytes") or 0) / 1e6, ".1f")])
    lines += table(hdr, rows)
    p("")
    p("stages of `virtaudit scan` (the report's stats.stagesMs; median ms; the connect is not a stage):")
    hdr2 = ["N"] + STAGES
    rows2 = [[str(r["n"])] + [fmt(med(r["stages"][k]), ".1f") for k in STAGES] for r in results]
    lines += table(hdr2, rows2)
    p("")
    p("in-process rescan (virtaudit-bench: connection open, as in the service); min / median ms, "
      "stages and encoding median ms:")
    hdr3 = ["N", "rescan wall", "rescan CPU"] + STAGES + ["encode wall", "encode CPU", "to tree", "write"]
    rows3 = []
    for r in results:
        rs = r.get("rescan") or {}
        if rs.get("error"):
            rows3.append([str(r["n"]), "error: " + rs["error"][:60]] + [""] * (len(hdr3) - 2))
            continue
        g = lambda k, f="median": (rs.get(k) or {}).get(f)
        st = rs.get("stagesMs") or {}
        enc = rs.get("encodeStagesMs") or {}
        rows3.append([str(r["n"]), f"{fmt(g('scanMs', 'min'), '.1f')} / {fmt(g('scanMs'), '.1f')}",
                      f"{fmt(g('scanCPUMs', 'min'), '.1f')} / {fmt(g('scanCPUMs'), '.1f')}"]
                     + [fmt((st.get(k) or {}).get("median"), ".1f") for k in STAGES]
                     + [fmt(g("encodeMs"), ".1f"), fmt(g("encodeCPUMs"), ".1f"),
                        fmt((enc.get("tree") or {}).get("median"), ".1f"),
                        fmt((enc.get("write") or {}).get("median"), ".1f")])
    lines += table(hdr3, rows3)
    svc = info.get("service") or {}
    for other in info.get("services", []):
        if other is svc or other.get("error"):
            continue
        p("")
        p(f"idle service ({other.get('n')} VMs, fixed cost): CPU {fmt(other.get('idle_cpu_pct'), '.3f')} %; "
          f"VmRSS {fmt((other.get('rss_kib') or 0) / 1024, '.1f')} MiB (VmHWM {fmt((other.get('hwm_kib') or 0) / 1024, '.1f')} MiB)")
    p("")
    if svc.get("error"):
        p(f"idle service: {svc['error']}")
    elif svc:
        p(f"idle service ({svc.get('n')} VMs, scan_interval_seconds {svc.get('scan_interval_seconds')}): "
          f"first scan served after {fmt(svc.get('first_scan_ready_s'), '.2f')} s; "
          f"CPU {fmt(svc.get('idle_cpu_seconds'), '.3f')} s over {fmt(svc.get('idle_seconds'), '.1f')} s = "
          f"{fmt(svc.get('idle_cpu_pct'), '.3f')} %; VmRSS {fmt((svc.get('rss_kib') or 0) / 1024, '.1f')} MiB "
          f"(VmHWM {fmt((svc.get('hwm_kib') or 0) / 1024, '.1f')} MiB), {svc.get('threads')} threads")
        if svc.get("api_rescan_ms"):
            a = svc["api_rescan_ms"]
            rt = svc.get("api_rescan_round_trip_ms") or {}
            p(f"rescans requested through POST /api/v1/scans (record startedAt..finishedAt): min {a['min']:.1f} ms, "
              f"median {a['median']:.1f} ms; request to done: median {fmt(rt.get('median'), '.1f')} ms")
        if svc.get("rescan_error"):
            p(f"API rescan: {svc['rescan_error']}")
    r1 = by_n(results, args.idle_n)
    rs1 = (r1 or {}).get("rescan") or {}
    if rs1.get("rssWithReportKiB"):
        k = lambda key: fmt((rs1.get(key) or 0) / 1024, ".1f")
        p("")
        p(f"resident memory of virtaudit-bench at {args.idle_n} VMs (freed memory trimmed before each reading), MiB: "
          f"process before connecting {k('rssBeforeConnectKiB')}, after opening the test:/// connection "
          f"{k('rssAfterConnectKiB')} (libvirt's in-process test driver), after loading policies {k('rssAfterSetupKiB')}, "
          f"with the latest report kept {k('rssWithReportKiB')}, after dropping it {k('rssWithoutReportKiB')}")
    p("")
    p("goals:")
    for g in goals(results, svc, info.get("services", [])):
        p(f"  {g[0]:5s} {g[1]}")
    errs = [e for r in results for e in r["errors"]]
    if errs:
        p("")
        p("errors:")
        for e in errs[:20]:
            p("  " + e)
    return "\n".join(lines)


def by_n(results, n):
    for r in results:
        if r["n"] == n:
            return r
    return None


def goals(results, svc, services=()):
    """Every goal as (PASS|MISS|n/a, text). The scan and rescan goals are judged on medians."""
    out = []

    def verdict(ok):
        return "n/a" if ok is None else ("PASS" if ok else "MISS")

    r1 = by_n(results, 1000)
    if r1:
        vw = med([x["wall"] for x in r1["virsh"]])
        sw = med([x["wall"] for x in r1["scan"]])
        ratio = sw / vw if vw and sw else None
        vc = med([x["cpu"] for x in r1["virsh"]])
        sc = med([x["cpu"] for x in r1["scan"]])
        out.append((verdict(None if ratio is None else ratio <= GOALS["scan_vs_floor"]),
                    f"scan of 1,000 VMs median {fmt(sw)} s = {fmt(ratio, '.2f')}x `virsh list --all` ({fmt(vw)} s), "
                    f"median of {len(r1['scan'])}; CPU {fmt(sc)} s vs {fmt(vc)} s = "
                    f"{fmt(sc / vc if sc and vc else None, '.2f')}x; goal <= {GOALS['scan_vs_floor']}x"))
    r100 = by_n(results, 100)
    if r1 and r100:
        a = med([x["wall"] for x in r100["scan"]])
        b = med([x["wall"] for x in r1["scan"]])
        g = b / a if a and b else None
        out.append((verdict(None if g is None else g <= GOALS["growth_100_1000"]),
                    f"growth of the scan from 100 to 1,000 VMs {fmt(a)} s -> {fmt(b)} s = {fmt(g, '.2f')}x (medians); "
                    f"goal <= {GOALS['growth_100_1000']:.0f}x"))
    if r1:
        rs = (r1.get("rescan") or {}).get("scanMs") or {}
        cpu = ((r1.get("rescan") or {}).get("scanCPUMs") or {}).get("median")
        m, lo = rs.get("median"), rs.get("min")
        out.append((verdict(None if m is None else m <= GOALS["rescan_ms"]),
                    f"in-process rescan of 1,000 VMs (connection open) median {fmt(m, '.1f')} ms, min {fmt(lo, '.1f')} ms "
                    f"(CPU {fmt(cpu, '.1f')} ms, {rs.get('n')} scans); goal median <= {GOALS['rescan_ms']:.0f} ms"))

        running = r1.get("running")
        reads = med([f / running for f in r1["files_read"] if f is not None]) if running else None
        out.append((verdict(None if reads is None else reads <= GOALS["reads_per_vm"]),
                    f"file reads per running VM {fmt(reads, '.2f')}; goal <= {GOALS['reads_per_vm']:.0f}"))
        size = r1.get("report_bytes")
        out.append((verdict(None if size is None else size / 1e6 < GOALS["report_mb"]),
                    f"default report JSON at 1,000 VMs {fmt(None if size is None else size / 1e6, '.2f')} MB "
                    f"(format {r1.get('report_format')}, findings listed: {r1.get('findings_listed')}); "
                    f"--verbose {fmt(None if r1.get('verbose_bytes') is None else r1['verbose_bytes'] / 1e6, '.2f')} MB"
                    f"{' (' + r1['verbose_note'] + ')' if r1.get('verbose_note') else ''}; aim < {GOALS['report_mb']:.0f} MB"))
    r5 = by_n(results, 5000)
    if r1 and r5:
        a = med([x["wall"] for x in r1["scan"]])
        b = med([x["wall"] for x in r5["scan"]])
        ratio = b / a if a and b else None
        ra = ((r1.get("rescan") or {}).get("scanMs") or {}).get("median")
        rb = ((r5.get("rescan") or {}).get("scanMs") or {}).get("median")
        rratio = rb / ra if ra and rb else None
        out.append((verdict(None if ratio is None else ratio <= GOALS["linear_ratio"]),
                    f"scan 5,000 / 1,000 VMs = {fmt(ratio, '.2f')}x (rescan {fmt(rratio, '.2f')}x); goal <= {GOALS['linear_ratio']}x"))
    for other in services:
        if other is svc:
            continue
        if other.get("error"):
            out.append(("MISS", f"idle service with {other.get('n')} VMs not measured: {other['error'][:200]}"))
            continue
        rss = (other.get("rss_kib") or 0) / 1024 if other.get("rss_kib") else None
        out.append((verdict(None if rss is None else rss < GOALS["idle_rss_small_mib"]),
                    f"idle service resident memory {fmt(rss, '.1f')} MiB with {other.get('n')} VMs after its scans; "
                    f"goal < {GOALS['idle_rss_small_mib']:.0f} MiB"))
    if svc and not svc.get("error"):
        cpu = svc.get("idle_cpu_pct")
        out.append((verdict(None if cpu is None else cpu < GOALS["idle_cpu_pct"]),
                    f"idle service CPU {fmt(cpu, '.3f')} %; goal < {GOALS['idle_cpu_pct']:.0f} %"))
        rss = (svc.get("rss_kib") or 0) / 1024 if svc.get("rss_kib") else None
        out.append((verdict(None if rss is None else rss < GOALS["idle_rss_mib"]),
                    f"idle service resident memory {fmt(rss, '.1f')} MiB with {svc.get('n')} VMs after its scans; "
                    f"goal < {GOALS['idle_rss_mib']:.0f} MiB"))
        hwm = (svc.get("hwm_kib") or 0) / 1024 if svc.get("hwm_kib") else None
        out.append((verdict(None if hwm is None else hwm < GOALS["service_peak_mib"]),
                    f"service peak resident memory (VmHWM over its first scan and {svc.get('scans_requested', 0)} requested scans) "
                    f"{fmt(hwm, '.1f')} MiB with {svc.get('n')} VMs; goal < {GOALS['service_peak_mib']:.0f} MiB"))
    elif svc.get("error"):
        out.append(("MISS", f"idle service not measured: {svc['error'][:200]}"))
    return out


def table(hdr, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(hdr)]
    line = lambda cells: "| " + " | ".join(c.rjust(w) for c, w in zip(cells, widths)) + " |"
    return [line(hdr), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--virtaudit", required=True)
    ap.add_argument("--rescan", help="the virtaudit-bench executable (in-process rescans)")
    ap.add_argument("--policies", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("--sizes", default="10,100,1000,5000")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rescan-iterations", type=int, default=10)
    ap.add_argument("--idle-seconds", type=float, default=60)
    ap.add_argument("--idle-n", type=int, default=1000)
    ap.add_argument("--scan-interval", type=int, default=300)
    ap.add_argument("--service-rescans", type=int, default=3)
    ap.add_argument("--service-timeout", type=float, default=120)
    ap.add_argument("--settle", type=float, default=2)
    ap.add_argument("--no-strace", dest="strace", action="store_false")
    ap.add_argument("--strace-max", type=int, default=5000)
    ap.add_argument("--no-service", dest="service", action="store_false")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    args.virtaudit = os.path.abspath(args.virtaudit)
    args.policies = os.path.abspath(args.policies)
    if args.rescan:
        args.rescan = os.path.abspath(args.rescan)
    work = args.work or tempfile.mkdtemp(prefix="virtaudit-bench-")
    os.makedirs(work, exist_ok=True)
    work = os.path.abspath(work)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    info = machine()
    info["sizes"] = sizes
    results = []
    for n in sizes:
        log(f"N={n}")
        host = generate(n, work, args.seed)
        results.append(measure_size(args, n, host, args.repeats, work))
    if args.service:
        # The service's fixed cost first (a 10-VM host), then the goal's 1,000 VMs.
        info["services"] = []
        for n in sorted({10, args.idle_n}):
            log(f"idle service, N={n}, {args.idle_seconds:.0f} s")
            host = generate(n, work, args.seed)
            svc = idle_service(args, host, work)
            svc["n"] = n
            info["services"].append(svc)
            if n == args.idle_n:
                info["service"] = svc
    info["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    text = report(results, info, args)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.json:
        for r in results:
            for k in ("virsh", "scan"):
                for x in r[k]:
                    x.pop("stdout", None)
        with open(args.json, "w") as f:
            json.dump({"machine": info, "results": results, "goals": GOALS}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
