#!/usr/bin/env python3
"""`trinetctl audit --format html` in headless Chromium (Debian's `chromium`).

Builds a database as in production (the audit fixture register applied with trinetctl, the
observations trinetd would have stored, `findings evaluate`, one finding acknowledged and one
waived, a second apply), renders the report in Chinese and English, loads each page in
headless Chromium driven over the DevTools protocol (--remote-debugging-pipe: no port is
opened) and checks that:

  (a) nothing is reported on the console: no console.error/assert, no uncaught exception, no
      error in the browser's log;
  (b) nothing is fetched but the file itself;
  (c) the numbers in the rendered DOM equal the database (sqlite3 on the register tables,
      `trinetctl findings --json`);
  (d) a full-page screenshot (PNG) and an A4 print (PDF) are saved under --out and are not
      blank; the page fits the A4 width when printed.

Before that, a deliberately broken page (a console error, an exception, a fetch) must be
caught by the same checks, so that a silent detector cannot pass. Chromium missing is a
failure, not a skip: tools/setup installs it. Python standard library only.
"""

import argparse
import base64
import datetime
import fcntl
import json
import os
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

STATUSES = ["active", "consolidating", "consolidated", "decommissioned", "exempt"]
FINDING = {"bridge": "network-bridge:device:gaj-int-sw1", "waived": "rogue-exit:device:qd-int-sw1"}
DEADLINE = time.monotonic() + 100  # the whole test; ctest's TIMEOUT is 120 s


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(cmd, **kwargs):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kwargs)
    if r.returncode != 0:
        raise Failure(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


# ---- A minimal DevTools client over --remote-debugging-pipe: Chromium reads commands from
# fd 3 and writes responses and events to fd 4, each a JSON text ended by a NUL byte.


class Chromium:
    def __init__(self, binary, profile, log_path):
        def high(fd):  # out of the way of 3 and 4, closed on exec
            n = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            return n

        cmd_r, cmd_w = (high(fd) for fd in os.pipe())
        res_r, res_w = (high(fd) for fd in os.pipe())

        def child_fds():
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-default-apps", "--disable-extensions", "--disable-sync",
             "--no-first-run", "--no-default-browser-check", "--mute-audio",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=child_fds, close_fds=False)
        os.close(cmd_r)
        os.close(res_w)
        self.out, self.inp = cmd_w, res_r
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, timeout):
        while b"\0" not in self.buffer:
            left = min(timeout, DEADLINE - time.monotonic())
            ready, _, _ = select.select([self.inp], [], [], max(left, 0))
            if not ready:
                raise Failure("Chromium did not answer in time (see chromium.log)")
            chunk = os.read(self.inp, 1 << 20)
            if not chunk:
                raise Failure("Chromium closed the DevTools pipe (see chromium.log)")
            self.buffer += chunk
        text, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(text)

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.out, data):]
        while True:
            m = self._read_message(timeout)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise Failure(f"{method}: {m['error']}")
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, session, timeout=30):
        for i, e in enumerate(self.events):
            if e["method"] == method and e.get("sessionId") == session:
                return self.events.pop(i)
        end = time.monotonic() + timeout
        while True:
            m = self._read_message(max(end - time.monotonic(), 0.01))
            if "method" not in m:
                continue
            if m["method"] == method and m.get("sessionId") == session:
                return m
            self.events.append(m)

    def drain(self, seconds):
        """Collects the events that arrive within `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.inp], [], [], max(end - time.monotonic(), 0))
            if not ready:
                break
            chunk = os.read(self.inp, 1 << 20)
            if not chunk:
                break
            self.buffer += chunk
            while b"\0" in self.buffer:
                text, self.buffer = self.buffer.split(b"\0", 1)
                m = json.loads(text)
                if "method" in m:
                    self.events.append(m)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Failure:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.out)
        os.close(self.inp)
        self.log.close()


class Page:
    """One tab, with what it reported: console errors, exceptions, log errors, requests."""

    def __init__(self, browser, width, height):
        self.b = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def send(self, method, params=None, timeout=30):
        return self.b.send(method, params, self.session, timeout)

    def load(self, url):
        self.b.events = [e for e in self.b.events if e.get("sessionId") != self.session]
        self.send("Page.navigate", {"url": url})
        self.b.wait_event("Page.loadEventFired", self.session)
        # The load event of the page asked for, not of the blank page before it.
        while self.evaluate("document.readyState + ' ' + location.href") != "complete " + url:
            check(time.monotonic() < DEADLINE, f"{url} did not load")
            self.b.drain(0.05)
        self.b.drain(0.5)  # late console messages and failed loads
        mine = [e for e in self.b.events if e.get("sessionId") == self.session]
        problems, requests = [], []
        for e in mine:
            m, p = e["method"], e["params"]
            if m == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                problems.append("console." + p["type"] + ": " +
                                " ".join(str(a.get("value", a.get("description", "")))
                                         for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                problems.append("exception: " + d.get("exception", {}).get("description",
                                                                           d.get("text", "")))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                problems.append("log: " + p["entry"]["text"] + " " + p["entry"].get("url", ""))
            elif m == "Network.requestWillBeSent":
                requests.append(p["request"]["url"])
        return problems, requests

    def evaluate(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise Failure(f"evaluating in the page failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path):
        """A PNG of the whole page; returns its bytes."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        width = int(self.evaluate("document.documentElement.scrollWidth"))
        data = base64.b64decode(self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(height, 16000), "scale": 1},
        })["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def pdf(self, path):
        data = base64.b64decode(self.send("Page.printToPDF", {
            "printBackground": True, "preferCSSPageSize": True,
            "displayHeaderFooter": False}, timeout=60)["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data


# ---- The database and what it says.


def make_database(ctl, source, work):
    db = os.path.join(work, "audit.db")
    fixtures = os.path.join(source, "tests", "fixtures", "audit")
    register = os.path.join(fixtures, "register.yaml")
    base = [ctl, "--db", db]
    run(base + ["inventory", "apply", register])
    with sqlite3.connect(db) as c, open(os.path.join(fixtures, "observations.sql")) as f:
        c.executescript(f.read())
    run(base + ["findings", "evaluate"])
    run(base + ["findings", "ack", FINDING["bridge"], "--by", "王值班", "--note", "拔掉第二块网卡"])
    run(base + ["findings", "waive", FINDING["waived"], "--by", "局长", "--reason", "教育专网",
                "--until", "2099-12-31"])
    # A second apply, so that the changes of the period come from two applies.
    with open(register, encoding="utf-8") as f:
        text = f.read()
    check("+86 29 3321 0002" in text, "fixture register changed: update the test")
    v2 = os.path.join(work, "register-v2.yaml")
    with open(v2, "w", encoding="utf-8") as f:
        f.write(text.replace("+86 29 3321 0002", "+86 29 3321 0009"))
    run(base + ["inventory", "apply", v2])
    return db


def expected_numbers(db, ctl):
    """What the report must show, from the database by other means than trinetctl audit."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    e = {}
    c = sqlite3.connect(db)
    platforms = [r[0] for r in c.execute("SELECT id FROM platforms ORDER BY ord")]
    total_overdue = total_department = 0
    for p in platforms:
        counts = dict(c.execute(
            "SELECT status, count(*) FROM rooms WHERE platform = ? AND kind = 'department' "
            "GROUP BY status", (p,)).fetchall())
        for s in STATUSES:
            e[("platform", p, "rooms-" + s)] = str(counts.get(s, 0))
        department = sum(counts.values())
        e[("platform", p, "rooms-department")] = str(department)
        total_department += department
        e[("platform", p, "rooms-central")] = str(c.execute(
            "SELECT count(*) FROM rooms WHERE platform = ? AND kind = 'central'", (p,)).fetchone()[0])
        overdue = c.execute(
            "SELECT count(*) FROM rooms WHERE platform = ? AND kind = 'department' AND status IN "
            "('active', 'consolidating') AND consolidate_by < ?", (p, today)).fetchone()[0]
        e[("platform", p, "rooms-overdue")] = str(overdue)
        total_overdue += overdue
        e[("platform", p, "units-without-admin")] = str(c.execute(
            "SELECT count(*) FROM units WHERE platform = ? AND admin_name IS NULL",
            (p,)).fetchone()[0])
        counted = department - counts.get("exempt", 0)
        closed = counts.get("consolidated", 0) + counts.get("decommissioned", 0)
        e[("platform", p, "percent")] = f"{100 * closed / counted:.1f}" if counted else ""
    for (unit,) in c.execute("SELECT id FROM units ORDER BY ord").fetchall():
        counts = dict(c.execute(
            "SELECT status, count(*) FROM rooms WHERE unit = ? AND kind = 'department' "
            "GROUP BY status", (unit,)).fetchall())
        for s in STATUSES:
            e[("unit", unit, "rooms-" + s)] = str(counts.get(s, 0))
    e[("total", "rooms-department")] = str(total_department)
    e[("total", "rooms-overdue")] = str(total_overdue)
    e[("total", "register-changes")] = str(
        c.execute("SELECT count(*) FROM register_history").fetchone()[0])
    c.close()

    findings = json.loads(run([ctl, "--db", db, "findings", "--json"]))
    violations = {f["id"]: f["state"] for f in findings
                  if f["rule"] in ("rogue-exit", "network-bridge")}
    for rule in ("rogue-exit", "network-bridge"):
        for state in ("open", "acknowledged", "waived"):
            e[("total", "findings", rule, state)] = str(sum(
                1 for f in findings if f["rule"] == rule and f["state"] == state))
    reasons = {}
    for f in findings:
        if f["rule"] == "orphan-room":
            reasons[f["reason"]] = reasons.get(f["reason"], 0) + 1
    for reason, n in reasons.items():
        e[("total", "orphan-rooms", reason)] = str(n)
    e[("total", "waivers-active")] = str(sum(1 for f in findings if f["state"] == "waived"))
    admins = {f["id"]: f["admin"]["name"] for f in findings if f["id"] in violations}
    return e, violations, admins, platforms


DOM_NUMBERS = """JSON.stringify({
  lang: document.documentElement.lang,
  charset: document.characterSet,
  title: document.title,
  h2: Array.from(document.querySelectorAll('h2')).map(h => h.textContent),
  external: Array.from(document.querySelectorAll(
      '[src], [href], link, script, img, iframe, object, embed, video, audio, source'))
      .map(e => e.outerHTML.slice(0, 120)),
  metrics: Array.from(document.querySelectorAll('[data-metric]')).map(e => ({
    metric: e.dataset.metric, platform: e.getAttribute('data-platform'),
    unit: e.getAttribute('data-unit'), scope: e.dataset.scope || null,
    rule: e.dataset.rule || null, state: e.dataset.state || null,
    reason: e.dataset.reason || null, value: e.getAttribute('data-value'),
    text: e.textContent})),
  findings: Array.from(document.querySelectorAll('article[data-finding]')).map(a => ({
    id: a.dataset.finding, state: a.dataset.state,
    admin: a.querySelector('[data-admin]').dataset.admin})),
  svgBars: document.querySelectorAll('#chart-status g[data-platform]').length,
})"""


def dom_key(m):
    if m["scope"] == "total":
        if m["metric"] == "findings":
            return ("total", "findings", m["rule"], m["state"])
        if m["metric"] == "orphan-rooms":
            return ("total", "orphan-rooms", m["reason"])
        return ("total", m["metric"])
    if m["unit"] is not None:
        return ("unit", m["unit"], m["metric"])
    if m["platform"] is not None:
        return ("platform", m["platform"], "percent" if m["metric"] == "percent-consolidated"
                else m["metric"])
    return None


def check_numbers(dom, expected, violations, admins, platforms, lang):
    check(dom["lang"] == ("zh-CN" if lang == "zh" else "en"), f"html lang is {dom['lang']}")
    check(dom["charset"] == "UTF-8", f"charset {dom['charset']}")
    check(not dom["external"], f"elements that could fetch: {dom['external']}")
    check(dom["svgBars"] == len(platforms), f"{dom['svgBars']} bars for {len(platforms)} platforms")
    want_h2 = "各平台整合进度" if lang == "zh" else "Consolidation progress by platform"
    check(want_h2 in dom["h2"], f"no heading {want_h2!r} in {dom['h2']}")
    shown = {}
    for m in dom["metrics"]:
        key = dom_key(m)
        if key is None:
            continue
        value = m["value"] if key[-1] == "percent" or m["metric"] == "percent-consolidated" \
            else m["text"].strip()
        shown.setdefault(key, value)
    missing = [k for k in expected if k not in shown]
    check(not missing, f"numbers not in the page: {missing}")
    wrong = {k: (shown[k], v) for k, v in expected.items() if shown[k] != v}
    check(not wrong, "page ≠ database (shown, expected): " + json.dumps(
        {" ".join(k): v for k, v in wrong.items()}, ensure_ascii=False))
    articles = {f["id"]: f["state"] for f in dom["findings"]}
    check(articles == violations, f"findings in the page {articles} ≠ findings --json {violations}")
    for f in dom["findings"]:
        check(f["admin"] == (admins[f["id"]] or ""), f"{f['id']}: administrator {f['admin']!r}")
    return len(expected)


def png_size(data):
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# ---- The test.


def self_check(browser, work):
    """A page with a console error, an uncaught exception and a fetch must be caught."""
    broken = os.path.join(work, "broken.html")
    with open(broken, "w") as f:
        f.write('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>broken'
                '</title></head><body><p>deliberately broken</p>'
                '<script>console.error("deliberate console error"); no_such_function();</script>'
                # Port 9 (discard) on loopback: refused at once, nothing leaves the machine.
                '<img src="http://127.0.0.1:9/deliberate.png" alt=""></body></html>')
    page = Page(browser, 800, 600)
    problems, requests = page.load("file://" + broken)
    text = "\n".join(problems)
    check("deliberate console error" in text, f"console.error not detected: {problems}")
    check("no_such_function" in text, f"uncaught exception not detected: {problems}")
    check(any(u.startswith("http://127.0.0.1:9/") for u in requests),
          f"the fetch was not detected: {requests}")
    return problems


def check_report(browser, ctl, db, out, lang, expected, violations, admins, platforms):
    html = os.path.join(out, f"audit-{lang}.html")
    run([ctl, "--db", db, "audit", "--format", "html", "--lang", lang, "--out", html])
    url = "file://" + urllib.parse.quote(os.path.abspath(html))
    page = Page(browser, 1100, 1400)
    problems, requests = page.load(url)
    check(not problems, f"{lang}: the page reported problems: {problems}")
    others = [u for u in requests if u != url]
    check(not others, f"{lang}: requests other than the file itself: {others}")
    check(url in requests, f"{lang}: the request log missed the page itself: {requests}")
    dom = json.loads(page.evaluate(DOM_NUMBERS))
    n = check_numbers(dom, expected, violations, admins, platforms, lang)

    # A blank page of the same size is the yardstick for "not blank": the report's screenshot
    # must be many times larger (compressed PNG size grows with what is drawn).
    png = page.screenshot(os.path.join(out, f"audit-{lang}.png"))
    width, height = png_size(png)
    check(width >= 1000 and height >= 1400, f"{lang}: screenshot {width}×{height}")
    blank = Page(browser, width, min(height, 16000))
    blank.load("about:blank")
    blank_png = blank.screenshot(os.path.join(out, "blank.png"))
    check(len(png) > 10 * len(blank_png) and len(png) > 30000,
          f"{lang}: screenshot looks blank ({len(png)} bytes; blank {len(blank_png)})")

    # Print: A4 pages, and at the A4 text width (210 mm − 2 × 12 mm margins) nothing sticks
    # out sideways.
    pdf = page.pdf(os.path.join(out, f"audit-{lang}.pdf"))
    check(pdf.startswith(b"%PDF-"), f"{lang}: not a PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    check(pages >= 3, f"{lang}: {pages} PDF pages")
    check(boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2
                        for w, h in boxes), f"{lang}: pages are not A4: {boxes[:3]}")
    page.send("Emulation.setEmulatedMedia", {"media": "print"})
    a4 = round(186 / 25.4 * 96)
    page.send("Emulation.setDeviceMetricsOverride",
              {"width": a4, "height": 1123, "deviceScaleFactor": 1, "mobile": False})
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    check(overflow <= 1, f"{lang}: printed, the page is {overflow}px wider than A4")
    return (f"{lang}: {n} numbers match, {len(violations)} findings, no console problems, "
            f"1 request; screenshot {width}×{height} {len(png) // 1024} KiB (blank "
            f"{len(blank_png) // 1024} KiB); PDF {pages} A4 pages")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trinetctl", required=True)
    ap.add_argument("--source", required=True, help="the trinet source folder")
    ap.add_argument("--out", required=True, help="folder for the report, screenshots, PDF")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()

    if not (os.path.isfile(args.chromium) and os.access(args.chromium, os.X_OK)):
        print(f"FAIL: no Chromium at {args.chromium}: the browser check needs Debian's "
              "`chromium` (tools/setup installs it; or: apt-get install chromium)",
              file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="trinet-audit-browser-") as work:
        browser = None
        try:
            db = make_database(args.trinetctl, args.source, work)
            shutil.copy(db, os.path.join(args.out, "audit.db"))
            expected, violations, admins, platforms = expected_numbers(db, args.trinetctl)
            check(len(violations) == 4, f"fixture findings changed: {violations}")
            browser = Chromium(args.chromium, os.path.join(work, "profile"),
                               os.path.join(args.out, "chromium.log"))
            version = browser.send("Browser.getVersion")["product"]
            caught = self_check(browser, work)
            print(f"{version}; self-check: the broken page was caught ({len(caught)} problems)")
            for lang in ("zh", "en"):
                print(check_report(browser, args.trinetctl, db, args.out, lang, expected,
                                   violations, admins, platforms))
        except Failure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
        finally:
            if browser:
                browser.close()
    print(f"ok in {time.monotonic() - started:.1f} s; files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
