"""A live monitoring stack on loopback for the end-to-end tests of issue 5.

The demo lab (tools/lab/demo-lab, snmpsimd on 127.N.x.y), trinetd polling it, the real
Prometheus from Debian scraping trinetd, and optionally the real Alertmanager with the
project's alert rules. Every socket is on 127.0.0.0/8; the lab answers only there.

    with Stack("dashboards", build_dir, lab_net=4) as stack:
        stack.start_lab()
        stack.start_trinetd(poll_interval=5)
        stack.start_prometheus(rule_files=[...], alertmanager=False)
        stack.wait_for(lambda: stack.query("trinet_device_up"), "first scrape")
        stack.query("sum(trinet_device_up)")

On a failure the context manager prints the tail of every process's log, then stops them all.
Python standard library only.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SOURCE_DIR = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))

# One snmpsimd plays every lab device; at trinetd's default concurrency it falls behind
# (docs/lab.md), so the lab is polled the way tools/quickstart polls it.
LAB_FLAGS = ["--max-devices-in-flight", "8", "--timeout", "5", "--retries", "2"]


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode("utf-8")


def http_post(url, body=b"", timeout=5):
    request = urllib.request.Request(url, data=body, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read().decode("utf-8")


class StackError(Exception):
    pass


class Stack:
    def __init__(self, name, build_dir, lab_net, keep=False):
        self.name = name
        self.build_dir = os.path.realpath(build_dir)
        self.lab_net = str(lab_net)
        self.keep = keep
        self.dir = tempfile.mkdtemp(prefix="trinet-%s-" % name)
        # snmpsimd, started by root, drops to nobody, who must reach the lab's files.
        os.chmod(self.dir, 0o755)
        self.lab_dir = os.path.join(self.dir, "lab")
        self.db = os.path.join(self.dir, "trinet.db")
        self.trinetd_bin = os.path.join(self.build_dir, "daemon", "trinetd")
        self.trinetctl_bin = os.path.join(self.build_dir, "tools", "trinetctl", "trinetctl")
        self.procs = {}  # name -> (Popen, log path)
        self.lab_started = False
        self.trinetd_address = None
        self.prometheus_url = None
        self.alertmanager_url = None

    # --- lifecycle ---------------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.dump_logs()
        self.stop()
        if not self.keep and exc_type is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        elif exc_type is not None:
            print("stack: files kept in %s" % self.dir, file=sys.stderr)
        return False

    def stop(self):
        for name, (proc, _) in reversed(list(self.procs.items())):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.procs.clear()
        if self.lab_started:
            self._run([os.path.join(SOURCE_DIR, "tools/lab/demo-lab"), "stop", self.lab_dir],
                      check=False)
            self.lab_started = False

    def dump_logs(self, lines=40):
        for name, (proc, log) in self.procs.items():
            try:
                with open(log, encoding="utf-8", errors="replace") as f:
                    tail = f.readlines()[-lines:]
            except OSError:
                tail = []
            state = "running" if proc.poll() is None else "exited %s" % proc.returncode
            print("---- %s (%s), last lines of %s" % (name, state, log), file=sys.stderr)
            sys.stderr.write("".join(tail))

    def _env(self):
        env = dict(os.environ)
        env["TRINET_LAB_NET"] = self.lab_net
        env["TRINET_DB"] = self.db
        return env

    def _run(self, argv, check=True, timeout=300):
        result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=self._env(), timeout=timeout, text=True)
        if check and result.returncode != 0:
            raise StackError("%s exited %d:\n%s" % (" ".join(argv), result.returncode,
                                                    result.stdout))
        return result.stdout

    def _spawn(self, name, argv):
        log = os.path.join(self.dir, name + ".log")
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=self._env(),
                                    cwd=self.dir, start_new_session=True)
        self.procs[name] = (proc, log)
        return proc

    def _check_alive(self):
        for name, (proc, _) in self.procs.items():
            if proc.poll() is not None:
                raise StackError("%s exited %s" % (name, proc.returncode))

    def wait_for(self, probe, what, timeout=120, interval=0.5):
        """Calls probe() until it returns something truthy; returns that. Raises on timeout."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                value = probe()
                if value:
                    return value
            except (OSError, urllib.error.URLError, ValueError, KeyError) as e:
                last_error = e
            time.sleep(interval)
        raise StackError("timed out after %ss waiting for %s%s" % (
            timeout, what, " (last error: %s)" % last_error if last_error else ""))

    # --- components --------------------------------------------------------------------------
    def start_lab(self):
        """Generates the demo lab, starts its snmpsimd and applies its register."""
        self._run([os.path.join(SOURCE_DIR, "tools/lab/demo-lab"), "start", self.lab_dir])
        self.lab_started = True
        self.ctl("inventory", "apply", os.path.join(self.lab_dir, "register.yaml"))

    def ctl(self, *args, check=True):
        """Runs trinetctl on the stack's database; returns its output."""
        return self._run([self.trinetctl_bin, "--db", self.db] + list(args), check=check)

    def start_trinetd(self, poll_interval=5, discovery_interval=600, extra=()):
        port = free_port()
        self.trinetd_address = "127.0.0.1:%d" % port
        self._spawn("trinetd", [self.trinetd_bin, "--db", self.db, "--listen",
                                self.trinetd_address, "--poll-interval", str(poll_interval),
                                "--discovery-interval", str(discovery_interval)] + LAB_FLAGS +
                    list(extra))
        self.wait_for(lambda: http_get("http://%s/metrics" % self.trinetd_address),
                      "trinetd's /metrics", timeout=30)

    def trinetd_metrics(self):
        return http_get("http://%s/metrics" % self.trinetd_address, timeout=30)

    def start_alertmanager(self, config_path):
        port = free_port()
        self.alertmanager_url = "http://127.0.0.1:%d" % port
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        if not binary:
            raise StackError("prometheus-alertmanager not found (tools/setup installs it)")
        # --cluster.listen-address= turns gossip off: no listener on 0.0.0.0:9094.
        self._spawn("alertmanager", [
            binary, "--config.file=" + config_path,
            "--storage.path=" + os.path.join(self.dir, "alertmanager"),
            "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=",
            "--log.level=info"])
        self.wait_for(lambda: http_get(self.alertmanager_url + "/-/ready"), "Alertmanager ready",
                      timeout=30)

    def start_prometheus(self, rule_files=(), scrape_interval="2s", evaluation_interval="2s"):
        """Prometheus scraping trinetd (and sending alerts to Alertmanager if started)."""
        port = free_port()
        self.prometheus_url = "http://127.0.0.1:%d" % port
        config = {
            "global": {"scrape_interval": scrape_interval,
                       "evaluation_interval": evaluation_interval,
                       "external_labels": {"stack": self.name}},
            "rule_files": [os.path.realpath(p) for p in rule_files],
            "scrape_configs": [{"job_name": "trinet",
                                "static_configs": [{"targets": [self.trinetd_address]}]}],
        }
        if self.alertmanager_url:
            config["alerting"] = {"alertmanagers": [{"static_configs": [
                {"targets": [self.alertmanager_url[len("http://"):]]}]}]}
        config_path = os.path.join(self.dir, "prometheus.yml")
        with open(config_path, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)  # JSON is YAML
        binary = shutil.which("prometheus")
        if not binary:
            raise StackError("prometheus not found (tools/setup installs it)")
        self._spawn("prometheus", [
            binary, "--config.file=" + config_path,
            "--storage.tsdb.path=" + os.path.join(self.dir, "prometheus"),
            "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"])
        self.wait_for(lambda: http_get(self.prometheus_url + "/-/ready"), "Prometheus ready",
                      timeout=60)

    # --- queries -----------------------------------------------------------------------------
    def query(self, expr, at=None):
        """An instant query; returns the result list (vector) or raises on a query error."""
        params = {"query": expr}
        if at is not None:
            params["time"] = str(at)
        url = self.prometheus_url + "/api/v1/query?" + urllib.parse.urlencode(params)
        try:
            body = http_get(url, timeout=30)
        except urllib.error.HTTPError as e:
            raise StackError("query %r: HTTP %d: %s" % (expr, e.code,
                                                         e.read().decode("utf-8", "replace")))
        answer = json.loads(body)
        if answer.get("status") != "success":
            raise StackError("query %r: %s" % (expr, answer))
        result = answer["data"]["result"]
        if answer["data"]["resultType"] == "scalar":
            return [{"metric": {}, "value": result}]
        return result

    def alerts(self):
        """Prometheus's active alerts (pending and firing)."""
        return json.loads(http_get(self.prometheus_url + "/api/v1/alerts"))["data"]["alerts"]

    def wait_for_trinet_data(self, polls=2, timeout=240):
        """Waits until Prometheus has scraped trinetd after `polls` complete poll cycles and a
        rule evaluation, so rate() over the lab's counters has two points."""
        def ready():
            cycles = self.query("trinet_poll_cycles_total")
            evaluated = self.query("trinet_findings_last_evaluation_timestamp_seconds")
            return (cycles and float(cycles[0]["value"][1]) >= polls and evaluated)
        return self.wait_for(ready, "%d poll cycles scraped by Prometheus" % polls,
                             timeout=timeout, interval=1)
