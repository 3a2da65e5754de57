"""What the scale benchmarks share (tools/bench/poll, scale, floor): machine facts, /proc
figures, the scale lab served by trinet-lab-agent, and trinetd --once runs.

Every address used is on 127.0.0.0/8 (tools/bench/scale_lab.py): nothing leaves the machine.
"""

import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale_lab  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TICKS = os.sysconf("SC_CLK_TCK")


def build_dir():
    b = os.environ.get("TRINET_BUILD_DIR", "build")
    return b if os.path.isabs(b) else os.path.join(ROOT, b)


def binary(relative):
    path = os.path.join(build_dir(), relative)
    if not os.access(path, os.X_OK):
        sys.exit(f"{path}: not built; run tools/test (or set TRINET_BUILD_DIR)")
    return path


def trinetd():
    return binary("daemon/trinetd")


def trinetctl():
    return binary("tools/trinetctl/trinetctl")


def lab_agent():
    return binary("tools/lab/agent/trinet-lab-agent")


def machine():
    """One line of machine facts, printed at the top of every benchmark."""
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) / 1048576
    distro = "Linux"
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores ({model}), {mem:.0f} GiB, "
            f"{distro}, kernel {platform.release()}, load {load:.2f}")


def cpu_seconds(pid):
    """utime + stime of a process (all its threads) from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_peak_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


class Lab:
    """The scale lab of N devices in a temporary directory, served by trinet-lab-agent."""

    def __init__(self, devices, port=16161, max_varbinds=None, workdir=None):
        self.devices = devices
        self.dir = tempfile.mkdtemp(prefix=f"trinet-bench-{devices}-", dir=workdir)
        self.varbinds_per_recording = scale_lab.write(self.dir, devices, port)
        self.targets = [scale_lab.endpoint(i, port) for i in range(devices)]
        self.max_varbinds = max_varbinds
        self.agent = None

    def start(self):
        ready = os.path.join(self.dir, "ready")
        cmd = [lab_agent(), "--devices", os.path.join(self.dir, "devices.txt"),
               "--ready-file", ready]
        if self.max_varbinds:
            cmd += ["--max-varbinds", str(self.max_varbinds)]
        self.agent_log = open(os.path.join(self.dir, "agent.log"), "w")
        self.agent = subprocess.Popen(cmd, stdout=self.agent_log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        try:
            wait_for(lambda: os.path.exists(ready) or self.agent.poll() is not None, 120,
                     "trinet-lab-agent to bind its endpoints")
        except RuntimeError:
            self.stop()
            raise
        if self.agent.poll() is not None:
            raise RuntimeError("trinet-lab-agent failed:\n" + open(self.agent_log.name).read())
        return self

    def agent_cpu(self):
        return cpu_seconds(self.agent.pid)

    def stop(self):
        if self.agent and self.agent.poll() is None:
            self.agent.terminate()
            try:
                self.agent.wait(10)
            except subprocess.TimeoutExpired:
                self.agent.kill()
                self.agent.wait()
        self.agent = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class OnceRun:
    """What trinetd --once printed: per cycle its wall time, CPU and answers; peak RSS."""

    CYCLE = re.compile(r"^\s*(discovery|poll): (\d+) devices, (\d+) up, (\d+) down.* in "
                       r"([0-9.e+-]+) s; requests (\d+) \(ok (\d+), timeout (\d+).*"
                       r"; cpu ([0-9.e+-]+) s")

    def __init__(self, output, wall):
        self.output = output
        self.wall = wall
        self.cycles = {}
        for line in output.splitlines():
            m = self.CYCLE.match(line)
            if m:
                self.cycles[m.group(1)] = {
                    "devices": int(m.group(2)), "up": int(m.group(3)), "down": int(m.group(4)),
                    "seconds": float(m.group(5)), "requests": int(m.group(6)),
                    "ok": int(m.group(7)), "timeouts": int(m.group(8)),
                    "cpu": float(m.group(9)),
                }
        m = re.search(r"peak resident memory (\d+) MiB", output)
        self.peak_rss_mib = int(m.group(1)) if m else None
        m = re.search(r"evaluated in ([0-9.e+-]+) s", output)
        self.findings_seconds = float(m.group(1)) if m else None
        if set(self.cycles) != {"discovery", "poll"}:
            raise RuntimeError("trinetd --once did not report both cycles:\n" + output[-3000:])


def run_trinetd_once(lab, concurrency, max_repetitions=25, extra=()):
    """Applies the lab's register to a fresh database and runs trinetd --once over it."""
    db = os.path.join(lab.dir, "trinet.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    subprocess.run([trinetctl(), "--db", db, "inventory", "apply",
                    os.path.join(lab.dir, "register.yaml")], check=True,
                   stdout=subprocess.DEVNULL)
    cmd = [trinetd(), "--db", db, "--once", "--timeout", "5", "--retries", "2",
           "--max-devices-in-flight", str(concurrency), "--max-repetitions",
           str(max_repetitions), "--log-level", "warning", *extra]
    started = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = p.communicate()
    wall = time.monotonic() - started
    if p.returncode != 0:
        raise RuntimeError(f"trinetd --once exited {p.returncode}:\n{out[-3000:]}")
    return OnceRun(out, wall)


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def stop_process(p):
    if p and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
