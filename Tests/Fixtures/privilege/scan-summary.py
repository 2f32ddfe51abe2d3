#!/usr/bin/python3
"""Reduces a `virtaudit scan --format json` document to sorted lines: every unknown fact with its
reason, every verdict, every score, for the host and the domains va-confined and va-rootdac (other
domains come and go on the measuring host). Two runs are compared with diff."""
import json, sys
d = json.load(open(sys.argv[1])); keep = {"va-confined", "va-rootdac"}
out = []
def walk(o, where):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == 'unknown' and isinstance(v, dict):
                for p, r in v.items(): out.append(f"unknown-fact {where}{p}: {r}")
            else: walk(v, where)
    elif isinstance(o, list):
        for v in o: walk(v, where)
walk(d['host']['facts'], 'host ')
for f in d['host']['findings']: out.append(f"verdict host {f['rule']} {f['status']}")
out.append(f"score host {d['host']['score']} {d['host']['grade']}")
for dom in d['domains']:
    if dom['name'] not in keep: continue
    walk(dom['facts'], dom['name'] + ' ')
    for f in dom['findings']: out.append(f"verdict {dom['name']} {f['rule']} {f['status']}")
    out.append(f"score {dom['name']} {dom['score']} {dom['grade']}")
print("\n".join(sorted(out)))
