#!/usr/bin/env python3
"""trinet's Grafana dashboards (issue 5), checked without Grafana.

    tests/dashboards_test.py --build BUILD_DIR [--static-only] [--keep]

1. Static: the committed JSON is what dashboards/grafana/generate writes; each dashboard is
   valid JSON of the current schema with a stable uid and the tag `trinet`; panel ids are
   unique and grid positions sane; every panel has a unit, and every panel, target and query
   variable uses the `datasource` variable ({"type": "prometheus", "uid": "${datasource}"}): no
   other datasource uid anywhere; the variables are there and chained; every `$variable` used
   is defined; dashboard links and data links point at existing dashboards and variables.
2. Parse: every query (panel targets; variable queries, i.e. the metric selector of
   label_values(...)) with its template variables substituted, once with All and once with
   one value each, goes into a temporary rules file as a recording rule; `promtool check rules`
   (Prometheus 2.42 has no promql subcommand) must accept them all. Errors are mapped back to
   dashboard, panel and target.
3. Live: the demo lab on 127.4.x.y, trinetd polling it every 5 s, the real Prometheus from
   Debian scraping trinetd (tests/live/stack.py). The variables are resolved like Grafana does
   (label_values queries, in chain order, All), the device dashboard on the city's exit
   firewall; every target must return series, except the few listed in EXPECTED_EMPTY with the
   reason. A few values are checked too (planted findings, growing exit counters). Prints a
   table: dashboard, panel, series.

Only 127.0.0.0/8 is used. Python standard library only.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.realpath(os.path.join(HERE, ".."))
GRAFANA_DIR = os.path.join(SOURCE_DIR, "dashboards", "grafana")
DASHBOARD_DIR = os.path.join(GRAFANA_DIR, "dashboards")
sys.path.insert(0, os.path.join(HERE, "live"))

DS = {"type": "prometheus", "uid": "${datasource}"}
UIDS = ["trinet-networks", "trinet-exits", "trinet-rooms", "trinet-device"]
MIN_SCHEMA = 36  # Grafana 9.4+; the generator writes 39 (Grafana 10.x/11.x)

# The variables each dashboard must have, beyond `datasource`.
REQUIRED_VARIABLES = {
    "trinet-networks": ["network", "platform", "room"],
    "trinet-exits": ["network", "platform", "egress"],
    "trinet-rooms": ["network", "platform", "room"],
    "trinet-device": ["network", "platform", "room", "device"],
}
# Chaining: each variable's query must refer to these.
CHAINED = {"platform": ["network"], "room": ["network", "platform"],
           "device": ["network", "platform", "room"], "egress": ["network", "platform"]}

# Grafana's built-in variables, as substituted here. The live Prometheus scrapes every 2 s and
# trinetd polls every 5 s, so 30 s holds several polls.
BUILTINS = {"__rate_interval": "30s", "__interval": "15s", "__interval_ms": "15000",
            "__range": "5m", "__range_s": "300", "__range_ms": "300000", "__auto": "30s"}
# Variables of URLs only (data links), not of queries.
URL_BUILTINS = {"__url_time_range", "__value", "__data", "__field", "__series",
                "__all_variables"}

# One value per variable for the second parse pass (the live run resolves its own).
SPECIFIC = {"network": "external", "platform": "xianyang", "room": "xy-dc",
            "egress": "xianyang-exit",
            "device": "xy-ext-fw1"}
# Live choices for single-valued variables (the others are All).
LIVE_DEVICE = "xy-ext-fw1"  # the city's unified exit firewall (docs/lab.md)

# Families every trinetd instance exports whole (docs/metrics.md): one copy is taken first.
SHARED_FAMILIES = re.compile(r"\btrinet_(findings|finding_open|rooms|rooms_overdue|"
                             r"unit_admin_missing|unit_info)\b")

# (dashboard uid, panel title, refId) -> why the demo lab leaves it empty.
EXPECTED_EMPTY = {
    ("trinet-networks", "Devices down now, and why 离线设备及原因", "A"):
        "no lab device is down: all 303 answer (docs/lab.md)",
    ("trinet-device", "Down reason 离线原因", "A"):
        "the device answers, so trinet_device_down_info has no series for it",
}


class Failures:
    def __init__(self):
        self.items = []

    def add(self, where, what):
        self.items.append("%s: %s" % (where, what))

    def __bool__(self):
        return bool(self.items)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def load_dashboards(fail):
    dashboards = {}
    for path in sorted(glob.glob(os.path.join(DASHBOARD_DIR, "*.json"))):
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            fail.add(os.path.relpath(path, SOURCE_DIR), "not valid JSON: %s" % e)
            continue
        if d.get("uid") in dashboards:
            fail.add(path, "duplicate uid %r" % d.get("uid"))
        dashboards[d.get("uid")] = d
    if sorted(dashboards) != sorted(UIDS):
        fail.add(DASHBOARD_DIR, "dashboards %s, expected %s" % (sorted(map(str, dashboards)),
                                                                sorted(UIDS)))
    return dashboards


def all_panels(d):
    """Every panel, rows' nested panels included."""
    out = []
    for p in d.get("panels", []):
        out.append(p)
        out.extend(p.get("panels", []) if p.get("type") == "row" else [])
    return out


def variables(d):
    return {v.get("name"): v for v in d.get("templating", {}).get("list", [])}


# ---------------------------------------------------------------------------------------------
# Static checks
# ---------------------------------------------------------------------------------------------

VAR_RE = re.compile(r"\$(\w+)|\[\[(\w+)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:}]+))?(?::([^}]+))?\}")


def referenced_variables(text):
    """Names of the template variables a string refers to (Grafana's syntax; $1 etc. of
    label_replace are not variables)."""
    names = set()
    for m in VAR_RE.finditer(text):
        name = m.group(1) or m.group(2) or m.group(4)
        if name and not name.isdigit():
            names.add(name)
    return names


def walk(node, path=""):
    """Yields (path, dict) for every dict in a JSON tree."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, "%s.%s" % (path, k) if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, "%s[%d]" % (path, i))


def check_links(uid, where, url, dashboards, source_vars, fail):
    m = re.match(r"^/d/([\w-]+)(?:/[\w-]*)?(?:\?(.*))?$", url)
    if not m:
        fail.add(where, "link %r is not a /d/<uid> link" % url)
        return
    target = m.group(1)
    if target not in dashboards:
        fail.add(where, "link to unknown dashboard uid %r" % target)
        return
    target_vars = variables(dashboards[target])
    for param in (m.group(2) or "").split("&"):
        if not param:
            continue
        if param.startswith("var-"):
            name = param[4:].split("=", 1)[0]
            if name not in target_vars:
                fail.add(where, "link sets var-%s, which %s does not have" % (name, target))
        for name in referenced_variables(param):
            if name not in source_vars and name not in URL_BUILTINS:
                fail.add(where, "link uses undefined variable $%s" % name)
            if name in source_vars and ":queryparam" in param and name not in target_vars:
                fail.add(where, "link passes $%s, which %s does not have" % (name, target))


def static_checks(dashboards, fail):
    known_tags = set()
    for d in dashboards.values():
        known_tags.update(d.get("tags", []))
    for uid, d in dashboards.items():
        title = d.get("title", "")
        where = uid
        if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < MIN_SCHEMA:
            fail.add(where, "schemaVersion %r < %d" % (d.get("schemaVersion"), MIN_SCHEMA))
        if "trinet" not in d.get("tags", []):
            fail.add(where, "no tag trinet")
        if not title or not re.search(r"[\u4e00-\u9fff]", title):
            fail.add(where, "title %r should name the Chinese term" % title)
        if d.get("id") is not None:
            fail.add(where, "id must be null in a provisioned dashboard")

        # No datasource but the variable, anywhere; no uid but the dashboard's own.
        for path, node in walk(d):
            if "datasource" in node:
                ds = node["datasource"]
                if ds != DS:
                    fail.add("%s %s" % (where, path), "datasource %r, expected %r" % (ds, DS))
            if "uid" in node and path != "" and node["uid"] != "${datasource}":
                fail.add("%s %s" % (where, path), "hard-coded uid %r" % node["uid"])
        raw = json.dumps(d)
        for other in re.findall(r'"uid": "([^"]*)"', raw):
            if other not in ("${datasource}", uid):
                fail.add(where, "hard-coded uid %r" % other)

        # Variables.
        vs = variables(d)
        dsv = vs.get("datasource")
        if not dsv or dsv.get("type") != "datasource" or dsv.get("query") != "prometheus":
            fail.add(where, "no `datasource` variable of type datasource, query prometheus")
        for name in REQUIRED_VARIABLES.get(uid, []):
            v = vs.get(name)
            if not v:
                fail.add(where, "no variable %r" % name)
                continue
            if v.get("type") != "query" or v.get("datasource") != DS:
                fail.add(where, "variable %s: not a query on ${datasource}" % name)
            if not str(v.get("query", "")).startswith("label_values("):
                fail.add(where, "variable %s: not a label_values query" % name)
            for parent in CHAINED.get(name, []):
                if parent in vs and "$" + parent not in str(v.get("query")):
                    fail.add(where, "variable %s is not filtered by $%s" % (name, parent))
        if uid == "trinet-device" and "device" in vs:
            if vs["device"].get("multi") or vs["device"].get("includeAll"):
                fail.add(where, "the device dashboard's device variable must be single-valued")
        defined = set(vs) | set(BUILTINS)

        # Panels.
        ids = set()
        occupied = {}
        for p in all_panels(d):
            pw = "%s / %s" % (uid, p.get("title"))
            pid = p.get("id")
            if not isinstance(pid, int) or pid in ids:
                fail.add(pw, "panel id %r missing or not unique" % pid)
            ids.add(pid)
            g = p.get("gridPos") or {}
            if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24 or \
                    g["w"] < 1 or g["h"] < 1:
                fail.add(pw, "bad gridPos %r" % g)
            else:
                for x in range(g["x"], g["x"] + g["w"]):
                    for y in range(g["y"], g["y"] + g["h"]):
                        if (x, y) in occupied:
                            fail.add(pw, "overlaps panel %r" % occupied[(x, y)])
                            break
                        occupied[(x, y)] = p.get("title")
                    else:
                        continue
                    break
            if p.get("type") == "row":
                continue
            if not p.get("title") or not p.get("description"):
                fail.add(pw, "needs a title and a description")
            if p.get("datasource") != DS:
                fail.add(pw, "panel datasource %r" % p.get("datasource"))
            unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
            if not isinstance(unit, str) or not unit:
                fail.add(pw, "no unit (fieldConfig.defaults.unit)")
            tgts = p.get("targets") or []
            if not tgts:
                fail.add(pw, "no targets")
            refs = [t.get("refId") for t in tgts]
            if len(set(refs)) != len(refs):
                fail.add(pw, "duplicate refIds %r" % refs)
            for t in tgts:
                if t.get("datasource") != DS:
                    fail.add(pw, "target %s datasource %r" % (t.get("refId"), t.get("datasource")))
                if not t.get("expr"):
                    fail.add(pw, "target %s has no expr" % t.get("refId"))
                if "rate(" in t.get("expr", "") and "$__rate_interval" not in t["expr"]:
                    fail.add(pw, "target %s: rate() without $__rate_interval" % t.get("refId"))
                if SHARED_FAMILIES.search(t.get("expr", "")) and \
                        "max without (instance)" not in t["expr"]:
                    fail.add(pw, "target %s: a family every instance exports, without "
                             "max without (instance)" % t.get("refId"))
            for name in referenced_variables(json.dumps(p.get("targets", []))):
                if name not in defined:
                    fail.add(pw, "uses undefined variable $%s" % name)
            # Data links: panel links, defaults and overrides.
            links = list(p.get("links", []))
            fc = p.get("fieldConfig", {})
            links += fc.get("defaults", {}).get("links", [])
            for o in fc.get("overrides", []):
                for prop in o.get("properties", []):
                    if prop.get("id") == "links":
                        links += prop.get("value", [])
            for link in links:
                check_links(uid, pw, link.get("url", ""), dashboards, vs, fail)
        for v in vs.values():
            if v.get("type") == "query":
                for name in referenced_variables(str(v.get("query"))):
                    if name not in defined:
                        fail.add(where, "variable %s uses undefined $%s" % (v["name"], name))

        # Dashboard links.
        for link in d.get("links", []):
            if link.get("type") == "dashboards":
                if not set(link.get("tags", [])) <= known_tags or not link.get("tags"):
                    fail.add(where, "dashboard link tags %r match no dashboard" % link.get("tags"))
            elif link.get("type") == "link":
                check_links(uid, where, link.get("url", ""), dashboards, vs, fail)
            else:
                fail.add(where, "dashboard link of unknown type %r" % link.get("type"))


def provisioning_checks(fail):
    """The provisioning files (YAML; no parser in the standard library: their key lines)."""
    wanted = {
        "provisioning/datasources/trinet.yml": [r"^apiVersion: 1$", r"^\s+type: prometheus$",
                                                r"^\s+url: \$\{PROMETHEUS_URL\}$",
                                                r"^\s+uid: trinet-prometheus$"],
        "provisioning/dashboards/trinet.yml": [r"^apiVersion: 1$", r"^\s+type: file$",
                                               r"^\s+path: /\S+$"],
    }
    for name, patterns in wanted.items():
        path = os.path.join(GRAFANA_DIR, name)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            fail.add(name, str(e))
            continue
        if "\t" in text:
            fail.add(name, "tabs in YAML")
        for pattern in patterns:
            if not re.search(pattern, text, re.M):
                fail.add(name, "no line matching %s" % pattern)


# ---------------------------------------------------------------------------------------------
# Queries and substitution
# ---------------------------------------------------------------------------------------------

class Query:
    def __init__(self, uid, panel, ref, expr, variable=None, label=None, table=False):
        self.uid, self.panel, self.ref, self.expr = uid, panel, ref, expr
        self.variable, self.label, self.table = variable, label, table

    def where(self):
        if self.variable:
            return "%s / variable %s" % (self.uid, self.variable)
        return "%s / %s / %s" % (self.uid, self.panel, self.ref)


LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*(\w+)\s*\)\s*$", re.S)
QUERY_RESULT = re.compile(r"^\s*query_result\((.*)\)\s*$", re.S)


def variable_query(uid, v):
    """The PromQL behind a query variable: the metric selector of label_values(metric, label)
    (its label values are what Grafana lists), or query_result's expression."""
    q = v.get("query")
    if isinstance(q, dict):
        q = q.get("query", "")
    m = LABEL_VALUES.match(q or "")
    if m:
        return Query(uid, None, None, m.group(1), variable=v["name"], label=m.group(2))
    m = QUERY_RESULT.match(q or "")
    if m:
        return Query(uid, None, None, m.group(1), variable=v["name"])
    return Query(uid, None, None, q, variable=v["name"])


def panel_queries(uid, d):
    out = []
    for p in all_panels(d):
        for t in p.get("targets", []):
            out.append(Query(uid, p.get("title"), t.get("refId"), t.get("expr", ""),
                             table=t.get("format") == "table"))
    return out


def regex_escape(value):
    """Grafana's prometheusSpecialRegexEscape of one value of a multi-value variable."""
    return re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", value)


def format_value(var, value, fmt=None):
    """What Grafana's Prometheus datasource puts in a query for a variable: value is a string,
    a list of strings, or ALL."""
    multi = var.get("multi") or var.get("includeAll")
    if value is ALL:
        if var.get("allValue"):
            return var["allValue"]
        value = var.get("_all_values", [])
    if fmt == "raw":
        return value if isinstance(value, str) else ",".join(value)
    if isinstance(value, list):
        if len(value) == 1:
            value = value[0]
        else:
            return "(" + "|".join(regex_escape(x) for x in value) + ")"
    if fmt == "regex" or multi:
        return regex_escape(value)
    return value.replace("\\", "\\\\").replace("'", "\\'")


class _All:
    def __repr__(self):
        return "All"


ALL = _All()


def substitute(expr, dash_vars, values):
    """expr with every $variable replaced; raises ValueError for an unknown one."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(4)
        fmt = m.group(3) or m.group(6)
        if name.isdigit():
            return m.group(0)
        if name in BUILTINS:
            return BUILTINS[name]
        if name not in dash_vars:
            raise ValueError("unknown variable $%s" % name)
        if name not in values:
            raise ValueError("variable $%s has no value yet (chained before it is defined?)"
                             % name)
        return format_value(dash_vars[name], values[name], fmt)
    return VAR_RE.sub(repl, expr)


def ordered_variables(d):
    return [v for v in d.get("templating", {}).get("list", []) if v.get("type") == "query"]


# ---------------------------------------------------------------------------------------------
# promtool
# ---------------------------------------------------------------------------------------------

def promtool_check(items, fail):
    """items: [(where, expr)]. Every expression as a recording rule; promtool check rules."""
    rules = [{"record": "dashboard:q%04d" % i, "expr": expr}
             for i, (_, expr) in enumerate(items, start=1)]
    with tempfile.NamedTemporaryFile("w", suffix=".rules.yml", delete=False,
                                     encoding="utf-8") as f:
        json.dump({"groups": [{"name": "dashboards", "rules": rules}]}, f, ensure_ascii=False,
                  indent=1)  # JSON is YAML
        path = f.name
    try:
        result = subprocess.run(["promtool", "check", "rules", "--lint=none", path],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=120)
    finally:
        os.unlink(path)
    if result.returncode == 0:
        return
    mapped = False
    for line in result.stdout.splitlines():
        m = re.search(r'"dashboard:q(\d+)": (.*)', line)
        if m:
            where, expr = items[int(m.group(1)) - 1]
            fail.add(where, "promtool: %s\n    %s" % (m.group(2), expr.replace("\n", " ")))
            mapped = True
    if not mapped:
        fail.add("promtool", "check rules failed:\n" + result.stdout)


def parse_checks(dashboards, fail):
    items = []
    for uid, d in dashboards.items():
        vs = variables(d)
        passes = {"All": {n: ALL for n in vs}, "one value": dict(SPECIFIC)}
        for v in vs.values():
            v.setdefault("_all_values", ["a", "b.c"])  # a stand-in list for All without allValue
        for label, values in passes.items():
            values = {n: values.get(n, ALL) for n in vs}
            if "device" in vs and not (vs["device"].get("multi")):
                values["device"] = SPECIFIC["device"]
            queries = [variable_query(uid, v) for v in ordered_variables(d)]
            queries += panel_queries(uid, d)
            for q in queries:
                try:
                    expr = substitute(q.expr, vs, values)
                except ValueError as e:
                    fail.add(q.where(), str(e))
                    continue
                items.append(("%s (%s)" % (q.where(), label), expr))
        for v in vs.values():
            v.pop("_all_values", None)
    promtool_check(items, fail)
    return len(items)


# ---------------------------------------------------------------------------------------------
# Live
# ---------------------------------------------------------------------------------------------

def value_of(series):
    return float(series["value"][1])


def resolve_variables(stack, uid, d, fail):
    """Resolves the query variables in order, like Grafana: multi ones to All, the device to
    LIVE_DEVICE. Returns the values for substitution and [(variable, count)]."""
    vs = variables(d)
    values = {}
    counts = []
    for v in ordered_variables(d):
        q = variable_query(uid, v)
        name = v["name"]
        try:
            selector = substitute(q.expr, vs, values)
            if q.label:
                result = stack.query("group by (%s) (%s)" % (q.label, selector))
                found = sorted({s["metric"].get(q.label, "") for s in result} - {""})
            else:
                result = stack.query(selector)
                found = [str(len(result))]
        except Exception as e:  # noqa: BLE001 - reported with the variable
            fail.add(q.where(), "query failed: %s" % e)
            found = []
        counts.append((name, len(found)))
        if not found:
            fail.add(q.where(), "no values in the lab")
        v["_all_values"] = found
        if v.get("multi") or v.get("includeAll"):
            values[name] = ALL
        else:
            if name == "device":
                if LIVE_DEVICE not in found:
                    fail.add(q.where(), "%s not among its values %s" % (LIVE_DEVICE, found[:10]))
                values[name] = LIVE_DEVICE
            else:
                values[name] = found[0] if found else ""
    return values, counts


def live_checks(args, dashboards, fail):
    from stack import Stack  # noqa: E402 - tests/live, read at run time

    rows = []  # (dashboard, panel, series, note)
    timings = []
    t0 = time.monotonic()
    with Stack("dashboards", args.build, lab_net=4, keep=args.keep) as stack:
        stack.start_lab()
        timings.append(("lab started", time.monotonic() - t0))
        stack.start_trinetd(poll_interval=5)
        stack.start_prometheus()
        stack.wait_for_trinet_data(polls=2)
        timings.append(("2 polls scraped", time.monotonic() - t0))
        # The lab's exit counters grow (snmpsimd's numeric module): wait until a rate shows it.
        stack.wait_for(lambda: len([s for s in stack.query(
            "rate(trinet_egress_receive_bytes_total[30s]) > 0")]) == 2,
            "both exits' receive rate above 0", timeout=60)
        timings.append(("rates above 0", time.monotonic() - t0))

        results = {}  # (uid, panel, ref) -> result list
        for uid in UIDS:
            d = dashboards.get(uid)
            if d is None:
                continue
            vs = variables(d)
            values, counts = resolve_variables(stack, uid, d, fail)
            rows.append((d["title"], "variables: " + ", ".join(
                "%s %d" % c for c in counts), sum(c for _, c in counts), ""))
            for p in all_panels(d):
                if p.get("type") == "row":
                    continue
                total, notes = 0, []
                for t in p.get("targets", []):
                    key = (uid, p["title"], t["refId"])
                    try:
                        expr = substitute(t["expr"], vs, values)
                        result = stack.query(expr)
                    except Exception as e:  # noqa: BLE001
                        fail.add("%s / %s / %s" % key, "query failed: %s" % e)
                        result = []
                    results[key] = result
                    total += len(result)
                    if key in EXPECTED_EMPTY:
                        # Not a failure when filled: a lab device that timed out under load
                        # fills the down-device panels, which is what they are for.
                        notes.append("%s empty as expected: %s" % (t["refId"], EXPECTED_EMPTY[key])
                                     if not result else "%s: expected empty (%s), has %d series"
                                     % (t["refId"], EXPECTED_EMPTY[key], len(result)))
                    elif not result:
                        fail.add("%s / %s / %s" % key, "no series, and the lab should fill it:\n"
                                 "    %s" % expr.replace("\n", " "))
                rows.append((d["title"], p["title"], total, "; ".join(notes)))
            for v in vs.values():
                v.pop("_all_values", None)
        value_checks(results, fail)
        timings.append(("queries run", time.monotonic() - t0))
        rate = lab_rate(stack, fail)
        timings.append(("lab rate measured", time.monotonic() - t0))
        rows.append(("lab", "xianyang-exit receive between two polls (41.5 MB/s served)",
                     1, "%.1f Mbit/s" % (rate * 8 / 1e6)))
    return rows, timings


def value_checks(results, fail):
    """What the lab plants must show as such."""
    def get(uid, panel, ref="A"):
        return results.get((uid, panel, ref), [])

    def expect(cond, where, what):
        if not cond:
            fail.add(where, what)

    crit = get("trinet-networks", "Open critical findings 严重问题")
    expect(crit and value_of(crit[0]) == 3, "open critical findings",
           "expected 3 (two rogue exits, one bridge), got %s" % [value_of(s) for s in crit])
    table = get("trinet-networks", "Open critical findings, who to call 严重问题及责任人")
    ids = sorted(s["metric"].get("id") for s in table)
    expect(len(ids) == 3, "critical findings table", "expected 3 rows, got %s" % ids)
    expect(all(s["metric"].get("admin") and s["metric"].get("phone") for s in table),
           "critical findings table", "every planted critical finding's unit has an "
           "administrator and phone: %s" % [s["metric"] for s in table])
    rogue = get("trinet-exits", "Rogue exits 私接互联网: every open finding")
    expect(sorted(s["metric"].get("subject") for s in rogue) ==
           ["wg-rsj-int-srv1", "xy-wjw-ext-sw1"], "rogue exits table",
           "expected the two planted rogue exits, got %s" % [s["metric"] for s in rogue])
    orphans = get("trinet-rooms", "Orphan rooms 孤立/游离机房: who to call")
    reasons = sorted(s["metric"].get("reason") for s in orphans)
    expect(reasons == ["island", "overdue", "ownerless", "unregistered"], "orphan rooms table",
           "expected island, overdue, ownerless, unregistered, got %s" % reasons)
    ownerless = [s for s in orphans if s["metric"].get("reason") == "ownerless"]
    expect(ownerless and not ownerless[0]["metric"].get("admin"), "orphan rooms table",
           "the ownerless room's unit (cw-nyj) has no administrator")
    missing = get("trinet-rooms", "Units without administrator: which 无管理员单位名单")
    expect([s["metric"].get("unit") for s in missing] == ["cw-nyj"], "units without admin",
           "expected cw-nyj, got %s" % [s["metric"] for s in missing])
    for uid, panel in [("trinet-exits", "Received from the Internet 下行"),
                       ("trinet-exits", "Sent to the Internet 上行"),
                       ("trinet-networks", "Exit throughput 出口流量"),
                       ("trinet-device", "Receive 入流量"),
                       ("trinet-exits", "Utilisation now 当前利用率")]:
        series = get(uid, panel)
        expect(any(value_of(s) > 0 for s in series), "%s / %s" % (uid, panel),
               "the lab's exit traffic should show above 0: %s" % [value_of(s) for s in series])
    exits_now = {s["metric"].get("egress"): value_of(s)
                 for s in get("trinet-exits", "Received from the Internet 下行")}
    # A 30 s rate() of a counter that moves once a poll (every 5-10 s here) is rough early on;
    # lab_rate() checks the lab's own rate exactly.
    city = exits_now.get("xianyang-exit", 0)
    expect(0.2 * 332e6 < city < 3 * 332e6, "xianyang-exit receive",
           "the lab serves ~332 Mbit/s (41.5 MB/s), got %.0f bit/s" % city)
    temps = get("trinet-rooms", "Temperature 温度")
    expect(temps and all(15 < value_of(s) < 45 for s in temps) and
           {s["metric"].get("room") for s in temps} >= {"xy-dc", "xp-dc"},
           "central-room temperature", "sensors of every central room between 15 and 45 °C: %s"
           % [(s["metric"], value_of(s)) for s in temps[:5]])
    progress = {s["metric"].get("platform"): value_of(s)
                for s in get("trinet-rooms", "Consolidation progress 整合进度")}
    expect(abs(progress.get("xianyang", -1) - 2 / 17) < 1e-9, "consolidation progress",
           "xianyang: 2 of 17 non-exempt department rooms closed, got %s" % progress)


def lab_rate(stack, fail):
    """The city exit's receive rate as the lab serves it: the counter's increase between two
    of trinetd's polls of xy-ext-fw1 over the time between them (docs/lab.md: 41.5 MB/s)."""
    def sample(at):
        c = stack.query('trinet_egress_receive_bytes_total{egress="xianyang-exit"}', at=at)
        t = stack.query('trinet_device_last_poll_timestamp_seconds{device="xy-ext-fw1"}', at=at)
        return (value_of(c[0]), value_of(t[0])) if c and t else None

    def measure():
        now = time.time()
        a, b = sample(now - 20), sample(now)
        if a and b and b[1] - a[1] > 4:
            return (b[0] - a[0]) / (b[1] - a[1])
        return None
    rate = stack.wait_for(measure, "two polls of xy-ext-fw1 20 s apart", timeout=60)
    if abs(rate - 41.5e6) > 0.03 * 41.5e6:
        fail.add("lab: xianyang-exit receive", "expected 41.5 MB/s between polls, got %.0f B/s"
                 % rate)
    return rate


def width(text):
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text, n):
    return text + " " * (n - width(text))


def print_table(rows):
    w1 = max(width(r[0]) for r in rows)
    w2 = max(width(r[1]) for r in rows)
    print("%s  %s  %6s  %s" % (pad("dashboard", w1), pad("panel", w2), "series", "note"))
    print("%s  %s  %s  %s" % ("-" * w1, "-" * w2, "-" * 6, "-" * 4))
    for dash, panel, n, note in rows:
        print("%s  %s  %6d  %s" % (pad(dash, w1), pad(panel, w2), n, note))


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the CMake build folder (trinetd, trinetctl)")
    ap.add_argument("--static-only", action="store_true",
                    help="skip the live run (no lab, trinetd or Prometheus)")
    ap.add_argument("--keep", action="store_true", help="keep the stack's temporary files")
    args = ap.parse_args()
    started = time.monotonic()
    fail = Failures()

    gen = subprocess.run([sys.executable, os.path.join(GRAFANA_DIR, "generate"), "--check"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if gen.returncode != 0:
        fail.add("dashboards/grafana/generate --check", gen.stdout.strip())

    dashboards = load_dashboards(fail)
    static_checks(dashboards, fail)
    provisioning_checks(fail)
    n = parse_checks(dashboards, fail)
    print("static checks and promtool: %d dashboards, %d panels, %d queries parsed (%.1f s)"
          % (len(dashboards), sum(1 for d in dashboards.values() for p in all_panels(d)
                                  if p.get("type") != "row"), n, time.monotonic() - started))
    if fail:
        print("FAILED before the live run:\n  " + "\n  ".join(fail.items))
        return 1
    if args.static_only:
        print("PASSED (static only)")
        return 0

    rows, timings = live_checks(args, dashboards, fail)
    print()
    print_table(rows)
    print()
    print("timings: " + ", ".join("%s at %.1f s" % t for t in timings) +
          "; total %.1f s" % (time.monotonic() - started))
    if fail:
        print("FAILED:\n  " + "\n  ".join(fail.items))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
