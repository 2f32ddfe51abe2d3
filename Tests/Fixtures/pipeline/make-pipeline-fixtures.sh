#!/usr/bin/env bash
# Regenerates the inputs of the SARIF/JUnit golden tests (Tests/ReportingTests/*RendererTests):
#   weak.scan.json  a scan of the `weak` fixture host with waivers.yaml, facts dropped and the
#                   scan id and times fixed, so that only the renderers change the goldens;
#   rules.json      the texts of policies/rules/*.yaml the renderers show (help, references).
# Then run the tests with VIRTAUDIT_UPDATE_GOLDEN=1 to rewrite weak.sarif and weak.junit.xml.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=Tests/Fixtures/pipeline
host=Tests/Fixtures/hosts/weak
chmod 0666 $host/root/dev/kvm
set +e
.build/debug/virtaudit scan --connect "test://$PWD/$host/node.xml" --root $host/root --policies policies \
    --waivers $here/waivers.yaml --format json > $here/.scan.tmp
set -e
python3 - "$here" <<'PY'
import json, sys, glob, yaml
here = sys.argv[1]
r = json.load(open(here + "/.scan.tmp"))
r["scanId"] = "00000000-0000-4000-8000-00000000feed"
r["startedAt"] = "2026-12-06T03:00:00.000Z"
r["finishedAt"] = "2026-12-06T03:00:01.250Z"
r["durationMs"] = 1250
r.pop("stats", None)
r["root"] = "Tests/Fixtures/hosts/weak/root"
r["connection"] = "test:///Tests/Fixtures/hosts/weak/node.xml"
r["host"]["facts"] = {}
for d in r["domains"]:
    d["facts"] = {}
json.dump(r, open(here + "/weak.scan.json", "w"), indent=1, sort_keys=True)
rules = []
for f in sorted(glob.glob("policies/rules/*.yaml")):
    for x in yaml.safe_load(open(f)).get("rules", []):
        rules.append({k: x.get(k) for k in ["id", "title", "layer", "severity", "expected", "rationale", "remediation", "references", "tags"] if x.get(k) is not None})
json.dump(rules, open(here + "/rules.json", "w"), indent=1, sort_keys=True)
PY
rm -f $here/.scan.tmp
