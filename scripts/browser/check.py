#!/usr/bin/env python3
"""Browser checks of the dashboard, run by scripts/browser-test.

Drives the system chromium (playwright, or selenium + chromium-driver as a fallback), checks the
overview, a VM page, the host page and the history page, fails on any JavaScript console error
or page error, and writes one PNG screenshot per page to OUTDIR.
"""
import argparse
import os
import re
import sys
import time
from urllib.parse import urlsplit

EXPECTED_404 = ('/api/v1/history', '/api/v1/diff')  # absent on servers that keep no history
TIMEOUT_MS = 20000


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail):
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def grade_rank(grade):
    return 'ABCDEF'.find((grade or 'F')[:1].upper())


ROWS_JS = """() => [...document.querySelectorAll('.vm-table tbody tr[data-name]')].map(r => ({
  name: r.dataset.name, score: Number(r.dataset.score), grade: r.dataset.grade,
  shownScore: r.querySelector('.score-num')?.textContent.trim(),
  shownGrade: r.querySelector('.grade')?.textContent.trim().charAt(0),
  href: r.querySelector('a.vm-link')?.getAttribute('href'),
  standing: r.querySelector('.layers-standing')?.textContent.trim() || '',
  down: [...r.querySelectorAll('li.layer-down')].map(c => c.dataset.layer) }))"""

DAC_JS = """() => [...document.querySelectorAll('section.layer-group[data-layer="dac"] article.finding')].map(a => ({
  rule: a.querySelector('code.rule')?.textContent.trim(), status: a.dataset.status,
  statusText: a.querySelector('.status')?.textContent.trim(),
  title: a.querySelector('.finding-title')?.textContent.trim() || '',
  remediation: a.querySelector('.remediation p')?.textContent.trim() || '' }))"""
# Passing and not-applicable checks listed (folded) on the VM page, from ?findings=all.
FOLDED_JS = """() => [...document.querySelectorAll('section.layer-group details.folded li')].length"""

HOST_JS = """() => ({ h1: document.querySelector('main h1')?.textContent.trim(),
  sections: ['mac', 'cpu', 'iommu', 'qemuconf', 'host-findings'].filter(id => document.getElementById(id)),
  errors: [...document.querySelectorAll('main .error-note')].map(e => e.textContent.trim()) })"""

HISTORY_JS = """() => ({ charts: document.querySelectorAll('.chart-card svg.chart').length,
  unavailable: Boolean(document.querySelector('#nohist')),
  errors: [...document.querySelectorAll('main .error-note')].map(e => e.textContent.trim()) })"""


def check_overview(res, rows):
    by = {r['name']: r for r in rows}
    a, b = by.get('va-confined'), by.get('va-rootdac')
    if not a or not b:
        res.check('overview', False, f"guests listed: {sorted(by)}; expected va-confined and va-rootdac")
        return None
    consistent = all(str(r['score']) == r['shownScore'] and r['grade'][:1] == r['shownGrade'] for r in (a, b))
    lower = b['score'] < a['score'] and grade_rank(b['grade']) >= grade_rank(a['grade'])
    res.check('overview', lower and consistent,
              f"va-confined {a['grade']} {a['score']}, va-rootdac {b['grade']} {b['score']}"
              + ('' if lower else ' (va-rootdac is not lower)') + ('' if consistent else ' (shown text differs from data)'))
    # va-rootdac runs qemu as root: its DAC layer is down, and the row says how many layers stand.
    standing = b['standing'].startswith('layers standing ') and 'dac' in b['down']
    res.check('layers-standing', standing and a['standing'].startswith('layers standing '),
              f"va-rootdac '{b['standing']}', down {b['down']}; va-confined '{a['standing']}', down {a['down']}")
    return b['href']


def check_vm(res, findings, folded):
    failing = [f for f in findings if f['status'] == 'fail' and (f['rule'] or '').startswith('dac.') and 'fail' in (f['statusText'] or '')]
    res.check('vm', bool(failing),
              f"va-rootdac DAC layer failing: {', '.join(f['rule'] for f in failing)}" if failing
              else f"no failing dac.* finding shown in the DAC layer (saw {findings})")
    # Rule texts come from the answer's `rules` map: a title that is not the rule id, and a remediation.
    texts = [f for f in failing if f['title'] and f['title'] != f['rule'] and f['remediation']]
    res.check('rule-texts', bool(failing) and len(texts) == len(failing),
              f"{len(texts)} of {len(failing)} failing DAC findings show their rule's title and remediation"
              + ('' if len(texts) == len(failing) else f" (saw {failing})"))
    res.check('passes', folded > 0, f"{folded} passing or not-applicable checks listed (folded)")


def check_host(res, info):
    ok = bool(info['h1']) and info['h1'].startswith('Host') and len(info['sections']) == 5 and not info['errors']
    res.check('host', ok, f"heading '{info['h1']}', sections {info['sections']}" + (f", errors {info['errors']}" if info['errors'] else ''))


def check_history(res, info):
    ok = (info['charts'] > 0 or info['unavailable']) and not info['errors']
    detail = 'history not available on this server (404), shown as such' if info['unavailable'] else f"{info['charts']} score charts"
    res.check('history', ok, detail + (f", errors {info['errors']}" if info['errors'] else ''))


def expected_404(url):
    return urlsplit(url or '').path.startswith(EXPECTED_404)


def run_playwright(base, outdir, res):
    from playwright.sync_api import sync_playwright
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get('CHROMIUM', '/usr/bin/chromium'), args=['--no-sandbox'])
        context = browser.new_context(viewport={'width': 1400, 'height': 900}, device_scale_factor=1)
        token = os.environ.get('VIRTAUDIT_TOKEN')
        if token:
            context.add_init_script(f"sessionStorage.setItem('virtaudit.token', {token!r});")
        page = context.new_page()

        def on_console(msg):
            if msg.type != 'error':
                return
            url = (msg.location or {}).get('url', '')
            if msg.text.startswith('Failed to load resource') and '404' in msg.text and expected_404(url):
                return
            errors.append(f"console: {msg.text} ({url})")

        conditional = []  # statuses of the VM-list GETs that carried If-None-Match

        def on_response(response):
            req = response.request
            if urlsplit(req.url).path == '/api/v1/domains':
                tag = req.headers.get('if-none-match')
                if tag:
                    conditional.append(response.status)

        page.on('console', on_console)
        page.on('response', on_response)
        page.on('pageerror', lambda err: errors.append(f"page error: {err}"))

        def shot(name):
            page.wait_for_timeout(300)
            page.screenshot(path=os.path.join(outdir, f'{name}.png'), full_page=True)

        page.goto(base + '/#/', wait_until='load')
        href = None
        try:
            # wait_for_selector, not wait_for_function: the page's CSP forbids the eval the latter uses.
            page.wait_for_selector('.vm-table tbody tr[data-name]:nth-child(2)', timeout=TIMEOUT_MS)
            href = check_overview(res, page.evaluate(ROWS_JS))
        except Exception as e:  # noqa: BLE001 - report any failure as a failed check
            res.check('overview', False, f"the VM table did not show two guests: {e}")
        shot('overview')

        # Live refresh: the page polls again on its own, revalidating with the ETag it holds.
        deadline = time.time() + 15
        while not conditional and time.time() < deadline:
            page.wait_for_timeout(500)
        res.check('live', bool(conditional) and conditional[0] in (200, 304),
                  f"re-polled /api/v1/domains with If-None-Match, answered {conditional[0]}" if conditional
                  else 'no conditional re-poll of /api/v1/domains within 15 s')

        try:
            if href:
                page.click('a.vm-link >> text="va-rootdac"')
            else:
                page.goto(base + '/#/vm/va-rootdac')
            page.wait_for_selector('section.layer-group[data-layer="dac"] article.finding', timeout=TIMEOUT_MS)
            check_vm(res, page.evaluate(DAC_JS), page.evaluate(FOLDED_JS))
        except Exception as e:  # noqa: BLE001
            res.check('vm', False, f"the DAC findings of va-rootdac did not render: {e}")
        shot('vm')

        try:
            page.goto(base + '/#/host')
            page.wait_for_selector('#iommu, main .error-note', timeout=TIMEOUT_MS)
            check_host(res, page.evaluate(HOST_JS))
        except Exception as e:  # noqa: BLE001
            res.check('host', False, f"the host page did not render: {e}")
        shot('host')

        try:
            page.goto(base + '/#/history')
            page.wait_for_selector('.chart-card svg.chart, #nohist, main .error-note', timeout=TIMEOUT_MS)
            page.wait_for_timeout(800)
            check_history(res, page.evaluate(HISTORY_JS))
        except Exception as e:  # noqa: BLE001
            res.check('history', False, f"the history page did not render: {e}")
        shot('history')

        # The same overview in dark mode, for review (not a check).
        dark = browser.new_context(viewport={'width': 1400, 'height': 900}, color_scheme='dark')
        if token:
            dark.add_init_script(f"sessionStorage.setItem('virtaudit.token', {token!r});")
        dpage = dark.new_page()
        dpage.on('pageerror', lambda err: errors.append(f"page error (dark): {err}"))
        dpage.goto(base + '/#/')
        try:
            dpage.wait_for_selector('.vm-table tbody tr[data-name]', timeout=TIMEOUT_MS)
        except Exception:  # noqa: BLE001 - the light run already reported it
            pass
        dpage.wait_for_timeout(300)
        dpage.screenshot(path=os.path.join(outdir, 'overview-dark.png'), full_page=True)
        browser.close()
    res.check('console', not errors, 'no JavaScript console or page errors' if not errors else '; '.join(errors[:5]))


def run_selenium(base, outdir, res):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get('CHROMIUM', '/usr/bin/chromium')
    for a in ('--no-sandbox', '--headless=new', '--window-size=1400,1200'):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    drv = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=opts)
    token = os.environ.get('VIRTAUDIT_TOKEN')
    wait = WebDriverWait(drv, TIMEOUT_MS / 1000)
    errors = []

    def collect():
        for entry in drv.get_log('browser'):
            if entry['level'] != 'SEVERE':
                continue
            m = re.match(r'(\S+) ', entry['message'])
            if 'Failed to load resource' in entry['message'] and '404' in entry['message'] and m and expected_404(m.group(1)):
                continue
            errors.append(entry['message'])

    if token:
        # Session storage is per origin and tab: set it once on a plain file, before the app loads.
        drv.get(base + '/favicon.svg')
        drv.execute_script("sessionStorage.setItem('virtaudit.token', arguments[0]);", token)
        drv.get_log('browser')  # drop this setup page's messages (its /favicon.ico request)

    def go(hash_):
        drv.get(base + '/' + hash_)

    def shot(name):
        time.sleep(0.3)
        drv.save_screenshot(os.path.join(outdir, f'{name}.png'))

    def js(fn):
        return drv.execute_script(f'return ({fn})();')

    try:
        go('#/')
        try:
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '.vm-table tbody tr[data-name]')) >= 2)
            check_overview(res, js(ROWS_JS))
        except Exception as e:  # noqa: BLE001
            res.check('overview', False, f"the VM table did not show two guests: {e}")
        shot('overview')
        go('#/vm/va-rootdac')
        try:
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, 'section.layer-group[data-layer="dac"] article.finding'))
            check_vm(res, js(DAC_JS), js(FOLDED_JS))
        except Exception as e:  # noqa: BLE001
            res.check('vm', False, f"the DAC findings of va-rootdac did not render: {e}")
        shot('vm')
        go('#/host')
        try:
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#iommu, main .error-note'))
            check_host(res, js(HOST_JS))
        except Exception as e:  # noqa: BLE001
            res.check('host', False, f"the host page did not render: {e}")
        shot('host')
        go('#/history')
        try:
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '.chart-card svg.chart, #nohist, main .error-note'))
            time.sleep(0.8)
            check_history(res, js(HISTORY_JS))
        except Exception as e:  # noqa: BLE001
            res.check('history', False, f"the history page did not render: {e}")
        shot('history')
        collect()
    finally:
        drv.quit()
    res.check('console', not errors, 'no JavaScript console or page errors' if not errors else '; '.join(errors[:5]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--driver', choices=['playwright', 'selenium'], default='playwright')
    ap.add_argument('base_url')
    ap.add_argument('outdir')
    args = ap.parse_args()
    base = args.base_url.rstrip('/')
    os.makedirs(args.outdir, exist_ok=True)
    res = Result()
    try:
        (run_playwright if args.driver == 'playwright' else run_selenium)(base, args.outdir, res)
    except Exception as e:  # noqa: BLE001 - the browser itself failed
        res.check('browser', False, f"{type(e).__name__}: {e}")
    print(f"browser: {res.passed} passed, {res.failed} failed", flush=True)
    sys.exit(0 if res.failed == 0 and res.passed > 0 else 1)


if __name__ == '__main__':
    main()
