#!/usr/bin/env python3
"""trinetd's live capture end to end, on a veth pair inside a network namespace.

The test creates a network namespace of its own with a veth pair whose BOTH ends are in it,
up, with no address and no route: nothing sent there can leave the namespace, so frames to
public addresses have nowhere to go. In the namespace it runs

    trinetd --db DB --listen 127.0.0.1:PORT --capture vethA:internal --poll-interval 2
            --capture-user nobody

(the namespace's own loopback; the capture opens as root, then trinetd drops to `nobody`),
sends Ethernet frames on vethB through a raw AF_PACKET socket (the test's own child process,
inside the namespace) and checks:

  - /metrics: trinet_capture_up, packets >= frames sent, a truncated frame counted as a
    decode error of kind truncated_ipv4, promtool check metrics clean;
  - the store: the public-traffic, foreign-resolver and rogue-dhcp observations of the
    planted suspects (gateway MAC 02:00:00:00:00:99, resolver 10.32.9.53, DHCP server
    10.32.5.1), VLAN 32 kept, nothing for the near misses;
  - the findings: an open rogue-exit finding on /metrics and in `trinetctl findings --json`
    with evidence of source pcap;
  - SIGTERM: trinetd exits 0.

Where network namespaces cannot be made (not root, no `ip netns`), it prints SKIP and exits 77.

    tests/pcap_live_test.py --build BUILD_DIR
"""

import argparse
import json
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77
PORT = 19871
GATEWAY_MAC = "02:00:00:00:00:99"
HOST_MAC = "02:00:00:00:01:10"
HOST = "10.32.1.10"
PUBLIC = "203.0.113.77"
FOREIGN_RESOLVER = "10.32.9.53"
FOREIGN_RESOLVER_MAC = "02:00:00:00:09:53"
SANCTIONED_RESOLVER = "10.32.0.53"
ROGUE_DHCP = "10.32.5.1"
ROGUE_DHCP_MAC = "02:00:00:00:05:01"

REGISTER = """\
version: 1
networks:
  - id: external
    name: external network
    prefixes: [10.64.0.0/12]
  - id: internal
    name: internal network
    prefixes: [10.32.0.0/12]
    dns_resolvers: [10.32.0.53]
    dhcp_servers: [10.32.0.67]
platforms:
  - {id: city, name: city platform, level: city}
units:
  - {id: it, name: IT office, platform: city, admin: {name: Admin}}
rooms:
  - {id: dc, name: central room, unit: it, platform: city, kind: central, status: active}
"""


# ---- frames ------------------------------------------------------------------------------

def mac(text):
    return bytes(int(b, 16) for b in text.split(":"))


def ip4(text):
    return socket.inet_aton(text)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                         ip4(src), ip4(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp_syn(sport, dport):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)


def ethernet(dst, src, ethertype, payload, vlan=None):
    head = mac(dst) + mac(src)
    if vlan is not None:
        head += struct.pack("!HH", 0x8100, vlan)
    return head + struct.pack("!H", ethertype) + payload


def dns_query(name, ident=0x1234):
    q = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def dhcp_offer(server, client_mac, offered):
    bootp = struct.pack("!BBBBIHH4s4s4s4s", 2, 1, 6, 0, 0xCAFE, 0, 0, b"\0" * 4, ip4(offered),
                        ip4(server), b"\0" * 4)
    bootp += mac(client_mac) + b"\0" * 10 + b"\0" * 64 + b"\0" * 128
    options = bytes([53, 1, 2]) + bytes([54, 4]) + ip4(server) + bytes([3, 4]) + ip4(server)
    options += bytes([6, 4]) + ip4(server) + bytes([1, 4]) + ip4("255.255.255.0") + b"\xff"
    return bootp + b"\x63\x82\x53\x63" + options


def frames():
    """(frame, what) pairs: the planted suspects, near misses and a garbage frame."""
    out = []
    for k in range(3):  # public traffic through a gateway the register does not know
        out.append((ethernet(GATEWAY_MAC, HOST_MAC, 0x0800,
                             ipv4(HOST, PUBLIC, 17, udp(40000, 443, b"quic" * 8), ident=k + 1)),
                    "udp to public"))
    for k in range(2):
        out.append((ethernet(GATEWAY_MAC, HOST_MAC, 0x0800,
                             ipv4(HOST, PUBLIC, 6, tcp_syn(40001 + k, 443), ident=10 + k)),
                    "tcp syn to public"))
    out.append((ethernet(GATEWAY_MAC, "02:00:00:00:01:12", 0x0800,
                         ipv4("10.32.1.12", "198.51.100.20", 17, udp(40002, 123, b"\0" * 48)),
                         vlan=32), "vlan 32 udp to public"))
    out.append((ethernet(FOREIGN_RESOLVER_MAC, HOST_MAC, 0x0800,
                         ipv4(HOST, FOREIGN_RESOLVER, 17, udp(53001, 53,
                                                              dns_query("example.com")))),
                "dns to a foreign resolver"))
    out.append((ethernet("ff:ff:ff:ff:ff:ff", ROGUE_DHCP_MAC, 0x0800,
                         ipv4(ROGUE_DHCP, "255.255.255.255", 17,
                              udp(67, 68, dhcp_offer(ROGUE_DHCP, HOST_MAC, "10.32.5.100")))),
                "dhcp offer from an unregistered server"))
    # Near misses: private traffic, the sanctioned resolver.
    out.append((ethernet("02:00:00:00:01:20", HOST_MAC, 0x0800,
                         ipv4(HOST, "10.32.1.20", 17, udp(40003, 8080, b"x" * 20))),
                "private traffic"))
    out.append((ethernet("02:00:00:00:00:53", HOST_MAC, 0x0800,
                         ipv4(HOST, SANCTIONED_RESOLVER, 17,
                              udp(53002, 53, dns_query("gov.example")))),
                "dns to the sanctioned resolver"))
    # Garbage: an IPv4 ethertype with 5 bytes of header.
    out.append((ethernet("02:00:00:00:01:20", HOST_MAC, 0x0800, b"\x45\x00\x00\x14\x00"),
                "truncated ipv4"))
    return out


def send_frames(interface):
    """Runs inside the namespace (ip netns exec): sends every frame on `interface`."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((interface, 0))
    n = 0
    for frame, _ in frames():
        s.send(frame)
        n += 1
    s.close()
    print(n)


# ---- the test ----------------------------------------------------------------------------

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def in_ns(ns, cmd, **kw):
    return run(["ip", "netns", "exec", ns] + cmd, **kw)


def scrape(ns):
    r = in_ns(ns, [sys.executable, "-c",
                   "import urllib.request,sys;"
                   f"sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:{PORT}/metrics',"
                   "timeout=5).read().decode())"], timeout=20)
    return r.stdout if r.returncode == 0 else ""


def value(text, name, **labels):
    """The value of the first series of `name` whose labels include `labels`, or None."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        m = re.match(r"^(\w+)(\{.*\})?\s+(\S+)$", line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


def wait_for(what, predicate, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    check(False, what + f" (waited {timeout:.0f} s)")
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", help="the CMake build folder")
    parser.add_argument("--send-frames", metavar="IFACE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send_frames:
        send_frames(args.send_frames)
        return 0
    if not args.build:
        parser.error("--build is required")

    trinetd = os.path.join(args.build, "daemon", "trinetd")
    trinetctl = os.path.join(args.build, "tools", "trinetctl", "trinetctl")
    for binary in (trinetd, trinetctl):
        if not os.access(binary, os.X_OK):
            print(f"pcap_live_test: {binary} is not built", file=sys.stderr)
            return 1

    if os.geteuid() != 0 or not shutil.which("ip"):
        print("SKIP: pcap_live_test needs root and iproute2 to create a network namespace")
        return SKIP
    ns = f"trinet-cap-{os.getpid()}"
    r = run(["ip", "netns", "add", ns])
    if r.returncode != 0:
        print(f"SKIP: network namespaces are not permitted here: {r.stderr.strip()}")
        return SKIP

    tmp = tempfile.mkdtemp(prefix="trinet-pcap-live-")
    proc = None
    log_file = None
    try:
        # Both ends inside the namespace, no address, no route: nowhere for frames to go.
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "link", "add", "vethA", "type", "veth", "peer", "name", "vethB"],
                    ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
                    ["ip", "link", "set", "vethA", "up"],
                    ["ip", "link", "set", "vethB", "up"]):
            r = in_ns(ns, cmd)
            if r.returncode != 0 and cmd[0] != "sysctl":
                check(False, f"{' '.join(cmd)}: {r.stderr.strip()}")
                return 1
        routes = in_ns(ns, ["ip", "route", "show"]).stdout.strip()
        check(routes == "", f"no route in the namespace (got {routes!r})")
        check("vethA" not in run(["ip", "-o", "link", "show"]).stdout,
              "the veth pair is not in the root namespace")

        db = os.path.join(tmp, "trinet.db")
        reg = os.path.join(tmp, "register.yaml")
        with open(reg, "w") as f:
            f.write(REGISTER)
        r = run([trinetctl, "--db", db, "inventory", "apply", reg])
        if not check(r.returncode == 0, "trinetctl inventory apply: " + r.stdout + r.stderr):
            return 1
        # trinetd opens the capture as root, then runs as nobody: the store must be its.
        nobody = pwd.getpwnam("nobody")
        for path in [tmp] + [os.path.join(tmp, n) for n in os.listdir(tmp)]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)

        log_path = os.path.join(tmp, "trinetd.log")
        log_file = open(log_path, "w")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, trinetd, "--db", db, "--listen", f"127.0.0.1:{PORT}",
             "--capture", "vethA:internal", "--poll-interval", "2", "--capture-user", "nobody",
             "--log-level", "debug"],
            stdout=log_file, stderr=subprocess.STDOUT)

        def up():
            if proc.poll() is not None:
                return "exited"
            return value(scrape(ns), "trinet_capture_up", source="vethA") == 1
        state = wait_for("trinet_capture_up{source=\"vethA\"} 1", up, timeout=20)
        if state != True:  # noqa: E712
            check(False, "trinetd is capturing; its log:\n" + open(log_path).read())
            return 1
        with open(f"/proc/{proc.pid}/status") as f:
            uids = re.search(r"^Uid:\s+(.*)$", f.read(), re.M).group(1).split()
        check(uids == [str(nobody.pw_uid)] * 4, f"trinetd runs as nobody after opening (Uid: {uids})")

        before = value(scrape(ns), "trinet_capture_packets_total", source="vethA") or 0
        r = in_ns(ns, [sys.executable, os.path.abspath(__file__), "--send-frames", "vethB"])
        if not check(r.returncode == 0, "frames sent on vethB: " + r.stdout.strip() + r.stderr):
            return 1
        sent = int(r.stdout.strip())

        def counted():
            text = scrape(ns)
            n = value(text, "trinet_capture_packets_total", source="vethA")
            return text if n is not None and n - before >= sent else None
        text = wait_for(f"trinet_capture_packets_total{{source=\"vethA\"}} grows by {sent}",
                        counted, timeout=15)
        if text:
            check(True, f"{sent} frames counted")
            check((value(text, "trinet_capture_bytes_total", source="vethA") or 0) > 0,
                  "trinet_capture_bytes_total > 0")
            check((value(text, "trinet_capture_decode_errors_total", source="vethA",
                         kind="truncated_ipv4") or 0) >= 1,
                  "the truncated frame is counted as decode error truncated_ipv4")
            check(value(text, "trinet_capture_dropped_total", source="vethA",
                        where="kernel") is not None, "trinet_capture_dropped_total{where=kernel}")
            check(value(text, "trinet_capture_flows_evicted_total", source="vethA") == 0,
                  "no flow evicted")
            if shutil.which("promtool"):
                p = subprocess.run(["promtool", "check", "metrics"], input=text,
                                   capture_output=True, text=True)
                check(p.returncode == 0 and p.stdout + p.stderr == "",
                      "promtool check metrics is clean: " + p.stdout + p.stderr)

        # The store: one row per planted suspect, none for the near misses.
        def stored():
            try:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                rows = con.execute("SELECT kind, suspect_mac, suspect_address, outer_vlan, "
                                   "packets, source FROM pcap_observations").fetchall()
                con.close()
            except sqlite3.Error:
                return None
            kinds = {r[0] for r in rows}
            return rows if {"public-traffic", "foreign-resolver", "rogue-dhcp"} <= kinds else None
        rows = wait_for("pcap_observations holds the planted suspects", stored, timeout=20)
        if rows:
            public = [r for r in rows if r[0] == "public-traffic"]
            check(all(r[1] == GATEWAY_MAC and r[5] == "vethA" for r in public),
                  f"public traffic through {GATEWAY_MAC}, source vethA: {public}")
            check(sum(r[4] for r in public if r[3] == -1) == 5,
                  f"5 untagged public packets: {public}")
            check(any(r[3] == 32 for r in public), f"the VLAN 32 frame kept its VLAN: {public}")
            check(any(r[0] == "foreign-resolver" and r[2] == FOREIGN_RESOLVER for r in rows),
                  f"foreign resolver {FOREIGN_RESOLVER}")
            check(not any(r[2] == SANCTIONED_RESOLVER for r in rows),
                  "the sanctioned resolver is not a suspect")
            check(any(r[0] == "rogue-dhcp" and r[2] == ROGUE_DHCP and r[1] == ROGUE_DHCP_MAC
                      for r in rows), f"rogue DHCP server {ROGUE_DHCP}")

        # The findings: the rules ran over the stored observations.
        def finding():
            text = scrape(ns)
            return text if value(text, "trinet_finding_open", rule="rogue-exit") == 1 else None
        text = wait_for("trinet_finding_open{rule=\"rogue-exit\"} on /metrics", finding)
        if text:
            check(GATEWAY_MAC in text or FOREIGN_RESOLVER in text or ROGUE_DHCP in text,
                  "the open rogue-exit finding names a planted suspect")
        r = run([trinetctl, "--db", db, "findings", "--json"])
        try:
            found = json.loads(r.stdout)
        except json.JSONDecodeError:
            found = []
            check(False, "trinetctl findings --json: " + r.stdout + r.stderr)
        pcap = [f for f in found if f.get("rule") == "rogue-exit" and
                any(e.get("source") == "pcap" for e in f.get("evidence", []))]
        check(bool(pcap), "trinetctl findings --json: a rogue-exit finding with pcap evidence")
        if pcap:
            evidence = json.dumps(pcap)
            check(GATEWAY_MAC in evidence, f"the evidence names the gateway {GATEWAY_MAC}")
            check("vethA" in evidence, "the evidence names the capture interface")

        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, f"trinetd exits 0 on SIGTERM (got {rc})")
        proc = None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if log_file:
            log_file.close()
            if failures:
                print("---- trinetd log ----\n" + open(os.path.join(tmp, "trinetd.log")).read())
        run(["ip", "netns", "del", ns])
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("pcap_live_test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
