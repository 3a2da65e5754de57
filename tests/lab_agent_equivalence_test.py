#!/usr/bin/env python3
"""trinet-lab-agent answers exactly as snmpsimd 0.4.5 does (docs/lab.md, "The lab agent").

Starts snmpsimd and trinet-lab-agent on different 127.0.0.0/8 ports over the same data folder
(the snmpsim examples without variation modules, the demo lab's recordings with their
`:numeric` lines removed, and synthetic recordings this test writes) and compares, for every
recording:

  * the output of Net-SNMP's tools: snmpbulkwalk -Cr1/-Cr10/-Cr25, snmpbulkget -Cn1 -Cr5,
    snmpwalk -v1, snmpget of present and missing OIDs (v1 and v2c), snmpgetnext of the last OID;
  * the response bytes to identical raw request datagrams (GET, GETNEXT, GETBULK, SET, v1 and
    v2c, present, missing and in-between OIDs), which must be equal byte for byte;
  * a battery of malformed and unusual datagrams (answered or dropped alike).

Then it checks the agent's own features: --devices with several endpoints on 127.0.0.x, the
wrong community dropped, --max-varbinds, refusals (a bad recording line names FILE:LINE and
exits 2, variation modules, non-loopback endpoints), and runs a short load smoke (not timed).

Only 127.0.0.0/8 is used. Exit 0 on success, 1 on a difference, 77 (skip) only when snmpsimd
cannot be installed.

  lab_agent_equivalence_test.py --agent BUILD/tools/lab/agent/trinet-lab-agent --source REPO
      [--loadgen BUILD/tools/lab/agent/trinet-lab-agent-loadgen] [--keep]
"""

import argparse
import gzip
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
EXAMPLES = '/usr/share/doc/snmpsim/examples/data'
NET = 91  # the demo lab goes to 127.91.P.N, clear of a running demo lab (127.2) and tests (127.3)
SNMPSIM_PORT = 27161
AGENT_PORT = 27162
DEVICES_PORT = 27163
# Walks with -Cr1 and SNMPv1 walks make one request per record: against snmpsimd (~1,000
# requests/s) they take minutes for the 51,000-record Cisco example, so recordings this large get
# the bulk walks and the raw comparisons only.
SLOW_WALK_LIMIT = 10000

failures = []


def fail(message):
    failures.append(message)
    print('FAIL: ' + message, flush=True)


# --- BER for requests (the agent's own decoder is what is under test, so this is separate) ---

def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + enc_len(len(content)) + content


def enc_int(v, tag=0x02):
    n = 1
    while True:
        try:
            return tlv(tag, v.to_bytes(n, 'big', signed=True))
        except OverflowError:
            n += 1


def enc_oid(arcs):
    if isinstance(arcs, str):
        arcs = [int(x) for x in arcs.strip('.').split('.')]
    arcs = list(arcs)
    out = bytearray()
    for a in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [a & 0x7f]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7f))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


NULL = b'\x05\x00'


def varbind(oid, value=NULL):
    return tlv(0x30, enc_oid(oid) + value)


def message(version, community, pdu_tag, reqid, a, b, varbinds):
    if isinstance(community, str):
        community = community.encode()
    pdu = tlv(pdu_tag, enc_int(reqid) + enc_int(a) + enc_int(b) + tlv(0x30, b''.join(varbinds)))
    return tlv(0x30, enc_int(version) + tlv(0x04, community) + pdu)


def request(version, community, pdu_tag, oids, reqid=None):
    reqid = fresh_id() if reqid is None else reqid
    return message(version, community, pdu_tag, reqid, 0, 0, [varbind(o) for o in oids])


def bulk(community, oids, nonrep, maxrep, reqid=None):
    reqid = fresh_id() if reqid is None else reqid
    return message(1, community, 0xa5, reqid, nonrep, maxrep, [varbind(o) for o in oids])


GET, GETNEXT, SET = 0xa0, 0xa1, 0xa3


def request_id(datagram):
    """The request-id of a well-formed message with definite lengths, else None."""
    try:
        i = 0

        def header(i):
            tag = datagram[i]
            n = datagram[i + 1]
            i += 2
            if n & 0x80:
                if n == 0x80:
                    raise ValueError
                k = n & 0x7f
                n = int.from_bytes(datagram[i:i + k], 'big')
                i += k
            return tag, n, i
        if any(b & 0x1f == 0x1f for b in (datagram[0],)):
            return None
        tag, _, i = header(0)            # message
        _, n, i = header(i)              # version
        i += n
        _, n, i = header(i)              # community
        i += n
        tag, _, i = header(i)            # PDU
        if tag & 0x1f == 0x1f or tag & 0xe0 != 0xa0:
            return None
        tag, n, i = header(i)            # request-id
        if tag != 0x02:
            return None
        return int.from_bytes(datagram[i:i + n], 'big', signed=True)
    except (IndexError, ValueError):
        return None


_next_id = [1000]


def fresh_id():
    _next_id[0] += 1
    return _next_id[0]


class Prober:
    """Sends a datagram and waits for one answer; one socket per source address."""

    def __init__(self, source='127.0.0.1'):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))

    def ask(self, addr, payload, timeout, ping=None):
        """The answer to `payload`, or None. An answer carrying another request-id (a late
        answer to an earlier request) is skipped, so answers never get mixed up. With `ping`
        (a community the endpoint answers), a GET follows the request: both agents answer one
        endpoint's datagrams in order, so the ping's answer arriving first means the request
        was dropped, without waiting for the timeout."""
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(70000)
        except BlockingIOError:
            pass
        self.sock.setblocking(True)
        wanted = request_id(payload)
        self.sock.sendto(payload, addr)
        ping_id = None
        if ping is not None:
            ping_id = fresh_id()
            self.sock.sendto(request(1, ping, GET, ['1.3.6.1.2.1.1.5.0'], ping_id), addr)
        deadline = time.time() + timeout
        result = None
        while True:
            left = deadline - time.time()
            if left <= 0:
                return result
            self.sock.settimeout(left)
            try:
                answer = self.sock.recv(70000)
            except socket.timeout:
                return result
            got = request_id(answer)
            if ping_id is not None and got == ping_id:
                # The ping is answered after the request: whatever came before is the answer.
                return result
            if result is None and (wanted is None or got in (None, wanted)):
                result = answer
                if ping_id is None:
                    return result

    def close(self):
        self.sock.close()


# --- processes ---

class Proc:
    """A process in its own process group, stopped (group and all) by stop()."""

    def __init__(self, name, argv, log_path, **kwargs):
        self.name = name
        self.log = open(log_path, 'wb')
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(10)
        self.log.close()
        return self.p.returncode


def udp_free(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# --- recordings ---

def record_lines(text):
    """(line, oid_text, tag, value) of each record line, split as snmpsim splits them."""
    out = []
    for line in text.split(b'\n'):
        if not line.strip() or line.strip().startswith(b'#'):
            continue
        parts = line.decode('iso-8859-1').strip().split('|', 2)
        if len(parts) == 3:
            out.append((line, parts[0], parts[1], parts[2]))
    return out


def oid_arcs(text):
    return tuple(int(x) for x in text.split('.') if x)


def canonical_oids(path):
    return ['.'.join(map(str, oid_arcs(r[1]))) for r in record_lines(open(path, 'rb').read())]


def variation_lines(text):
    return [r for r in record_lines(text) if ':' in r[2]]


def write_recording(path, records):
    """records: (oid tuple or text, tag, value text); written sorted by OID."""
    rows = sorted(records, key=lambda r: oid_arcs(r[0]) if isinstance(r[0], str) else r[0])
    with open(path, 'wb') as f:
        for oid, tag, value in rows:
            oid_text = oid if isinstance(oid, str) else '.'.join(map(str, oid))
            line = '%s|%s|%s\n' % (oid_text, tag, value)
            f.write(line.encode('utf-8') if isinstance(line, str) else line)


def synthetic_switch():
    """A 48-port access switch: system group, ifTable (22 columns) and ifXTable (19 columns) for
    48 Ethernet ports and 4 VLAN interfaces, Counter64 traffic counters."""
    rec = []
    system = (1, 3, 6, 1, 2, 1, 1)
    rec += [(system + (1, 0), '4', 'H3C Comware Platform Software, S5130S-52S-EI, Release 6.7'),
            (system + (2, 0), '6', '1.3.6.1.4.1.25506.1.1551'),
            (system + (3, 0), '67', '812345678'),
            (system + (4, 0), '4', 'noc@example.gov.cn'),
            (system + (5, 0), '4', 'LAB-ACC-SW48'),
            (system + (6, 0), '4', '咸阳市中心机房 三楼 A-07'),
            (system + (7, 0), '2', '6'),
            (system + (8, 0), '67', '0')]
    ifs = list(range(1, 49)) + [1001, 1010, 1020, 1030]
    rec.append(((1, 3, 6, 1, 2, 1, 2, 1, 0), '2', str(len(ifs))))
    for n, i in enumerate(ifs):
        eth = i <= 48
        base = 1_000_000_007 * (n + 1)
        mac = '70baef%06x' % (0x4c0000 + i)
        cols = {
            1: ('2', str(i)),
            2: ('4', 'GigabitEthernet1/0/%d' % i if eth else 'Vlan-interface%d' % (i - 1000)),
            3: ('2', '6' if eth else '136'),
            4: ('2', '1500'),
            5: ('66', '1000000000' if eth else '0'),
            6: ('4x', mac),
            7: ('2', '1'),
            8: ('2', '1' if n % 7 else '2'),
            9: ('67', str(1000 + n)),
            10: ('65', str(base % 2**32)),
            11: ('65', str((base // 3) % 2**32)),
            12: ('65', str(n * 11)),
            13: ('65', '0'),
            14: ('65', str(n % 3)),
            15: ('65', '0'),
            16: ('65', str((base * 5) % 2**32)),
            17: ('65', str((base // 7) % 2**32)),
            18: ('65', str(n * 13)),
            19: ('65', '0'),
            20: ('65', '0'),
            21: ('66', '0'),
            22: ('6', '0.0'),
        }
        for c, (tag, value) in cols.items():
            rec.append(((1, 3, 6, 1, 2, 1, 2, 2, 1, c, i), tag, value))
        xcols = {
            1: ('4', 'GE1/0/%d' % i if eth else 'Vlan%d' % (i - 1000)),
            2: ('65', str(n * 17)), 3: ('65', str(n * 19)), 4: ('65', str(n * 23)),
            5: ('65', str(n * 29)),
            6: ('70', str(base * 4099)), 7: ('70', str(base * 31)), 8: ('70', str(n * 17)),
            9: ('70', str(n * 19)), 10: ('70', str(2**64 - 1 - n if n < 3 else base * 8191)),
            11: ('70', str(base * 37)), 12: ('70', str(n * 23)), 13: ('70', str(n * 29)),
            14: ('2', '1'), 15: ('66', '1000' if eth else '0'), 16: ('2', '2'),
            17: ('2', '1' if eth else '2'),
            18: ('4', 'uplink to core' if i == 48 else ('' if n % 5 else 'office %d' % i)),
            19: ('67', '0'),
        }
        for c, (tag, value) in xcols.items():
            rec.append(((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, c, i), tag, value))
    return rec


def synthetic_types():
    """Every value type and encoding snmprec has, at the edges of their ranges."""
    e = (1, 3, 6, 1, 4, 1, 4294967295)
    return [
        (e + (1, 1), '2', '-128'), (e + (1, 2), '2', '-2147483648'),
        (e + (1, 3), '2', '2147483647'),
        (e + (1, 4), '2', '-32768'), (e + (1, 5), '2', '0'), (e + (1, 6), '2', '127'),
        (e + (1, 7), '2', '128'), (e + (1, 8), '2', '-129'),
        (e + (2, 1), '4', 'plain text'), (e + (2, 2), '4x', '00ff7f80'),
        (e + (2, 3), '4e', r'a\nb\x01c\"d'), (e + (2, 4), '4', ''),
        (e + (2, 5), '4', 'value|with|bars'), (e + (2, 6), '4', '  leading blanks'),
        (e + (2, 7), '4e', r'tab\there'), (e + (2, 8), '4e', r'double\\nescape'),
        (e + (2, 9), '4e', 'dangling\\'),
        (e + (3, 1), '5', ''),
        (e + (4, 1), '6', '1.3.6.1.4.1.4294967295.99'), (e + (4, 2), '6', '0.0'),
        (e + (4, 3), '6', '2.999.16384'),
        (e + (5, 1), '64', '10.1.2.3'), (e + (5, 2), '64x', '7f000001'), (e + (5, 3), '64', 'J}M}'),
        (e + (6, 1), '65', '4294967295'), (e + (6, 2), '66', '0'), (e + (6, 3), '67', '4294967295'),
        (e + (7, 1), '68x', '9f780442f60000'), (e + (7, 2), '68', 'opaque text'),
        (e + (8, 1), '70', '18446744073709551615'), (e + (8, 2), '70', '0'),
        (e + (8, 3), '70', '4294967296'),
        (e + (9, 1), '128', ''), (e + (9, 2), '129', ''), (e + (9, 3), '130', ''),
        (e + (9, 4), '4', 'after the exceptions'),
        (e + (10, 2**31), '2', '1'), (e + (10, 2**32 - 1), '2', '2'),
        ((1, 3, 6, 1, 2, 1, 1, 5, 0), '4', 'types'),
    ]


def synthetic_quirks():
    """Records snmpsimd indexes but cannot serve, which the agent must serve the same way."""
    return [
        ('1.3.6.1.2.1.1.1.0', '4', 'first'),
        ('1.3.6.1.2.1.1.2.00', '4', 'leading zero arc'),
        ('1.3.6.1.2.1.1.3.0', '4', 'after lz'),
        ('.1.3.6.1.2.1.1.4.0', '4', 'leading dot'),
        ('1.3.6.1.2.1.1.5.0', '4', 'after ld'),
        ('1.3.6.1.2.1.1.6.0', '04', 'tag 04'),
        ('1.3.6.1.2.1.1.7.0', '4', 'after 04'),
        ('1.3.6.1.2.1.1.8.0', '7', 'unknown tag'),
        ('1.3.6.1.2.1.1.9.0', '4', 'after 7'),
        ('1.3.6.1.2.1.1.10.0', '128', 'junk'),
        ('1.3.6.1.2.1.1.11.0', '4', 'after 128 junk'),
        ('1.3.6.1.2.1.1.12.0', '5', 'junk'),
        ('1.3.6.1.2.1.1.13.0', '4', 'after 5 junk'),
        ('1.3.6.1.2.1.1.14.0', '4e', r'a\\cb'),
        ('1.3.6.1.2.1.1.15.0', '4e', r'a\qb'),
        ('1.3.6.1.2.1.1.16.0', '4', 'ends with nbsp\xa0'),
        ('1.3.6.1.2.1.1.17.0', '64e', r'\x01\x02\x03'),
        ('1.3.6.1.2.1.1.18.0', '4', 'last'),
    ]


def synthetic_big():
    """Answers larger than a UDP datagram, which snmpsimd drops."""
    return [((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, i), '4', 'x' * 2000) for i in range(1, 41)]


def write_quirks(path):
    with open(path, 'wb') as f:
        for oid, tag, value in synthetic_quirks():
            f.write(('%s|%s|%s\n' % (oid, tag, value)).encode('iso-8859-1'))


def prepare_data(data, source, work):
    """Fills `data`; returns (recordings: community -> path, demo endpoints, skipped)."""
    recordings = {}
    skipped = []
    # The snmpsim examples.
    for root, _, files in os.walk(EXAMPLES):
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), EXAMPLES)
            if name.endswith('.snmprec.gz'):
                text = gzip.open(os.path.join(root, name)).read()
                rel = rel[:-3]
            elif name.endswith('.snmprec'):
                text = open(os.path.join(root, name), 'rb').read()
            else:
                continue
            modules = variation_lines(text)
            if modules:
                kinds = sorted({r[2].split(':', 1)[1] for r in modules})
                skipped.append('%s: %d records use variation modules (%s)'
                               % (rel, len(modules), ', '.join(kinds)))
                continue
            community = 'ex_' + rel[:-len('.snmprec')].replace('/', '_')
            path = os.path.join(data, community + '.snmprec')
            with open(path, 'wb') as f:
                f.write(text)
            recordings[community] = path
    # The demo lab, without the :numeric lines (values computed from the clock).
    lab = os.path.join(work, 'demo-lab')
    subprocess.run([os.path.join(source, 'tools/lab/generate'), lab], check=True,
                   stdout=subprocess.DEVNULL)
    stripped = 0
    for root, _, files in os.walk(os.path.join(lab, 'data')):
        for name in files:
            src = os.path.join(root, name)
            dst = os.path.join(data, os.path.relpath(src, os.path.join(lab, 'data')))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            lines = open(src, 'rb').read().split(b'\n')
            kept = [l for l in lines if not (b'|' in l and b':' in l.split(b'|')[1])]
            stripped += len(lines) - len(kept)
            with open(dst, 'wb') as f:
                f.write(b'\n'.join(kept))
    print('demo lab: %d :numeric lines removed (snmpsim\'s numeric variation module)' % stripped)
    endpoints = []
    for line in open(os.path.join(lab, 'endpoints.txt')):
        n, address, device, version = line.rstrip('\n').split('\t')
        host = address.split(':')[0].split('.')
        endpoints.append((int(n), '127.%d.%s.%s' % (NET, host[2], host[3]), device, version))
    # Synthetic recordings.
    for name, records in (('syn_switch48', synthetic_switch()), ('syn_types', synthetic_types()),
                          ('syn_big', synthetic_big())):
        path = os.path.join(data, name + '.snmprec')
        write_recording(path, records)
        recordings[name] = path
    write_quirks(os.path.join(data, 'syn_quirks.snmprec'))
    recordings['syn_quirks'] = os.path.join(data, 'syn_quirks.snmprec')
    return recordings, endpoints, skipped


# --- Net-SNMP comparisons ---

def run_tool(argv, addr, label):
    env = dict(os.environ, MIBS='')
    r = subprocess.run(argv, capture_output=True, env=env, timeout=600)
    out = (r.stdout + b'\n--stderr--\n' + r.stderr).decode('utf-8', 'replace')
    return '%s\nexit %d' % (out.replace(addr, 'AGENT'), r.returncode)


def compare_tools(label, community, snmpsim_addr, agent_addr, oids, size):
    base = ['-t', '5', '-r', '1', '-On', '-Oe']
    first, last = oids[0], oids[-1]
    mid = oids[len(oids) // 2]
    missing = last + '.4242'
    variants = [
        ('bulkwalk -Cr10', ['snmpbulkwalk', '-v2c', '-c', community, '-Cr10'] + base, ['.1']),
        ('bulkwalk -Cr25', ['snmpbulkwalk', '-v2c', '-c', community, '-Cr25'] + base, ['.1']),
        ('bulkget -Cn1 -Cr5', ['snmpbulkget', '-v2c', '-c', community, '-Cn1', '-Cr5'] + base,
         [first, mid, '.1.3.6.1.2.1.2.2.1.2']),
        ('get v2c', ['snmpget', '-v2c', '-c', community] + base, [first, mid, last, missing]),
        ('get v1 present', ['snmpget', '-v1', '-c', community] + base, [first, mid]),
        ('get v1 missing', ['snmpget', '-v1', '-c', community] + base, [first, missing]),
        ('getnext last', ['snmpgetnext', '-v2c', '-c', community] + base, [last]),
        ('getnext v1 last', ['snmpgetnext', '-v1', '-c', community] + base, [last]),
    ]
    if size <= SLOW_WALK_LIMIT:
        variants += [
            ('bulkwalk -Cr1', ['snmpbulkwalk', '-v2c', '-c', community, '-Cr1'] + base, ['.1']),
            ('walk v1', ['snmpwalk', '-v1', '-c', community] + base, ['.1']),
        ]
    same = 0
    for name, argv, args in variants:
        a = run_tool(argv + [snmpsim_addr] + args, snmpsim_addr, label)
        b = run_tool(argv + [agent_addr] + args, agent_addr, label)
        if a != b:
            fail('%s: %s differs\n--- snmpsimd\n%s\n--- agent\n%s'
                 % (label, name, a[:3000], b[:3000]))
        else:
            same += 1
    return same, len(variants)


# --- raw datagram comparisons ---

def raw_requests(community, oids, rng, picks=30):
    """Requests around the recording's OIDs: at, between, before and after them. SNMPv1 is
    left out for recordings over SLOW_WALK_LIMIT records: an SNMPv1 GETNEXT that lands on
    Counter64 columns makes pysnmp re-run the whole request once per Counter64 it steps over,
    which takes snmpsimd tens of seconds on the 51,000-record example (the smaller recordings
    cover that rule)."""
    arcs = [oid_arcs(o) for o in oids]
    versions = (0, 1) if len(arcs) <= SLOW_WALK_LIMIT else (1,)
    if len(arcs) > picks:
        picks = [arcs[i * (len(arcs) - 1) // (picks - 1)] for i in range(picks)]
    else:
        picks = arcs
    reqs = []
    for a in picks:
        around = [a, a[:-1] if len(a) > 2 else a, a + (0,), a[:-1] + (a[-1] + 1,)]
        for o in around:
            for v in versions:
                reqs.append(request(v, community, GET, [o]))
                reqs.append(request(v, community, GETNEXT, [o]))
    for o in [(0, 0), (1, 3), (1, 3, 6, 1, 2, 1), arcs[-1], (2, 999), (1, 3, 6, 1, 4, 1, 2**40)]:
        for v in versions:
            reqs.append(request(v, community, GETNEXT, [o]))
    for _ in range(25):
        n = rng.randint(1, 6)
        chosen = [rng.choice(picks) for _ in range(n)]
        reqs.append(bulk(community, chosen, rng.randint(0, n + 1),
                         rng.choice([0, 1, 2, 5, 10, 25, 64, 100])))
    for _ in range(10):
        n = rng.randint(2, 8)
        chosen = [rng.choice(picks) + ((4242,) if rng.random() < 0.3 else ()) for _ in range(n)]
        v = rng.choice(versions)
        reqs.append(request(v, community, rng.choice([GET, GETNEXT]), chosen))
    for v in versions:
        reqs.append(request(v, community, SET, picks[:2]))
    return reqs


def compare_raw(label, reqs, snmpsim, agent, prober, ping, timeout=60.0):
    """Sends each request to both and compares the answers' bytes. snmpsimd gets a long
    timeout: an SNMPv1 GETNEXT that lands on Counter64 columns makes pysnmp re-run the whole
    request once per Counter64 skipped, which takes seconds on the 51,000-record example."""
    differences = 0
    for payload in reqs:
        a = prober.ask(snmpsim, payload, timeout, ping)
        b = prober.ask(agent, payload, 5.0, ping)
        if a != b:
            differences += 1
            if differences <= 3:
                fail('%s: raw answers differ for request %s\n  snmpsimd %s\n  agent    %s' % (
                    label, payload.hex(), a.hex() if a else None, b.hex() if b else None))
    if differences > 3:
        fail('%s: %d raw answers differ in all' % (label, differences))
    return len(reqs) - differences, len(reqs)


def varbinds_of(datagram):
    """(OID content, value tag) of each varbind of a well-formed response with definite
    lengths."""
    def header(buf, i):
        n = buf[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(buf[i:i + k], 'big')
            i += k
        return n, i
    _, i = header(datagram, 0)
    for _ in range(2):  # version, community
        n, i = header(datagram, i)
        i += n
    _, i = header(datagram, i)  # PDU
    for _ in range(3):  # request-id, error-status, error-index
        n, i = header(datagram, i)
        i += n
    n, i = header(datagram, i)
    end = i + n
    out = []
    while i < end:
        n, j = header(datagram, i)
        i = j + n
        n, j = header(datagram, j)
        oid = datagram[j:j + n]
        out.append((oid, datagram[j + n]))
    return out


def compare_walk(label, community, snmpsim, agent, prober, max_repetitions=25):
    """Walks the whole tree with GETBULK from both, comparing every answer's bytes."""
    oid = b'\x01'  # 0.1
    steps = 0
    while steps < 20000:
        steps += 1
        payload = message(1, community, 0xa5, fresh_id(), 0, max_repetitions,
                          [tlv(0x30, tlv(0x06, oid) + NULL)])
        a = prober.ask(snmpsim, payload, 60.0, community)
        b = prober.ask(agent, payload, 5.0, community)
        if a != b:
            fail('%s: GETBULK walk differs at step %d\n  snmpsimd %s\n  agent    %s'
                 % (label, steps, a.hex() if a else None, b.hex() if b else None))
            return False
        if a is None:
            fail('%s: no answer to a GETBULK walk from either' % label)
            return False
        vbs = varbinds_of(a)
        if not vbs or any(tag == 0x82 for _, tag in vbs):
            return True
        oid = vbs[-1][0]
    return True


def hostile_battery(c):
    """Malformed and unusual datagrams. Those that make snmpsimd exit (a negative SNMPv1
    error-index, an SNMPv1 INTEGER value beyond 32 bits, an extra component before the
    end-of-contents of an indefinite length) are not sent to it; the unit tests cover them."""
    E = enc_int
    com = tlv(0x04, c.encode())
    vb = varbind('1.3.6.1.2.1.1.1.0')
    vbl = tlv(0x30, vb)
    v1, v2 = E(0), E(1)

    def msg(body):
        return tlv(0x30, body)

    def pdu(tag, rid=E(5), a=E(0), b=E(0), tail=None):
        return tlv(tag, rid + a + b + (vbl if tail is None else tail))

    def m1(p):
        return msg(v1 + com + p)

    def m2(p):
        return msg(v2 + com + p)

    def one(raw):  # a varbind list of one varbind with this content
        return tlv(0x30, tlv(0x30, raw))

    def with_value(version, value, tag=GET):
        return msg(version + com + pdu(tag, tail=one(enc_oid('1.3.6.9') + value)))

    std = pdu(GET)
    body = v2 + com + std
    twenty = b'\x06\x16\x2b' + b'\x81' * 20 + b'\x01'
    return {
        'baseline': msg(body),
        'long-form length': b'\x30\x81' + bytes([len(body)]) + body,
        'long-form length, 9 octets': b'\x30\x89' + b'\x00' * 8 + bytes([len(body)]) + body,
        'indefinite length': b'\x30\x80' + body + b'\x00\x00',
        'indefinite without end': b'\x30\x80' + body,
        'trailing bytes after the message': msg(body) + b'\x01\x02\x03',
        'extra component in the message': msg(body + NULL),
        'extra component in the PDU': m2(pdu(GET, tail=vbl + NULL)),
        'truncated': msg(body)[:-3],
        'length beyond the datagram': b'\x30\x7f' + body,
        'empty datagram': b'',
        'not a SEQUENCE': tlv(0x31, body),
        'version 2': msg(E(2) + com + std),
        'version 3': msg(E(3) + com + std),
        'version with a leading zero octet': msg(b'\x02\x02\x00\x01' + com + std),
        'version empty (0)': msg(b'\x02\x00' + com + std),
        'empty community': msg(v2 + tlv(0x04, b'') + std),
        'unknown community': msg(v2 + tlv(0x04, b'no-such-community') + std),
        'constructed community': msg(v2 + tlv(0x24, tlv(4, b'') + tlv(4, c.encode())) + std),
        'constructed community, nested chunk': msg(v2 + tlv(0x24, tlv(0x24, com)) + std),
        'high-tag-number GetRequest': m2(b'\xbf\x00' + std[1:]),
        'request-id beyond Integer32': m2(pdu(GET, E(2**31))),
        'request-id -128': m2(pdu(GET, E(-128))),
        'SNMPv1 request-id of 20 octets': m1(pdu(GET, tlv(2, b'\x80' + b'\x00' * 19))),
        'request-id with leading zero octets': m2(pdu(GET, b'\x02\x03\x00\x00\x05')),
        'error-status 19': m2(pdu(GET, a=E(19))),
        'error-index -1': m2(pdu(GET, b=E(-1))),
        'SNMPv1 error-index beyond the varbinds': m1(pdu(GET, b=E(2**40))),
        'GETBULK non-repeaters -1': m2(pdu(0xa5, a=E(-1), b=E(2))),
        'GETBULK max-repetitions 2^31': m2(pdu(0xa5, b=E(2**31))),
        'GETBULK max-repetitions 2^31-1': m2(pdu(0xa5, b=E(2**31 - 1))),
        'GETBULK in SNMPv1': m1(pdu(0xa5, b=E(3))),
        'GETBULK without varbinds': m2(pdu(0xa5, b=E(3), tail=tlv(0x30, b''))),
        'response PDU': m2(pdu(0xa2)),
        'trap PDU': m2(pdu(0xa7)),
        'inform PDU': m2(pdu(0xa6)),
        'report PDU': m2(pdu(0xa8)),
        'unknown PDU 0xa9': m2(pdu(0xa9)),
        'NULL with content': with_value(v2, b'\x05\x01\x00'),
        'INTEGER value echoed by SNMPv1': with_value(v1, b'\x02\x02\x00\x07'),
        'INTEGER -128 echoed by SNMPv1': with_value(v1, E(-128)),
        'long-form OCTET STRING echoed by SNMPv1': with_value(v1, b'\x04\x81\x02ab'),
        'constructed OCTET STRING echoed by SNMPv1':
            with_value(v1, tlv(0x24, tlv(4, b'ab') + tlv(4, b'cd'))),
        'constructed IpAddress echoed by SNMPv1':
            with_value(v1, tlv(0x60, tlv(4, b'\x01\x02') + tlv(4, b'\x03\x04'))),
        'Counter64 value in SNMPv1': with_value(v1, b'\x46\x01\x07'),
        'exception value in a v2c request': with_value(v2, b'\x80\x00'),
        'IpAddress of 3 octets': with_value(v2, b'\x40\x03\x01\x02\x03'),
        'negative Counter32': with_value(v2, b'\x41\x01\xff'),
        'INTEGER beyond Integer32': with_value(v2, E(2**31)),
        'Counter64 of 2^64': with_value(v2, b'\x46\x09\x01' + b'\x00' * 8, GETNEXT),
        'Counter64 of 2^64-1': with_value(v2, b'\x46\x09\x00' + b'\xff' * 8, GETNEXT),
        'unknown value tag': with_value(v2, b'\x47\x01\x01'),
        'BOOLEAN value': with_value(v2, b'\x01\x01\x01'),
        'OID with an 0x80 octet': m2(pdu(GET, tail=one(b'\x06\x03\x2b\x80\x01' + NULL))),
        'empty OID': m2(pdu(GET, tail=one(b'\x06\x00' + NULL))),
        'OID ending inside a sub-identifier': m2(pdu(GET, tail=one(b'\x06\x02\x2b\x81' + NULL))),
        'OID sub-identifier of 21 continuation octets':
            m2(pdu(GETNEXT, tail=one(b'\x06\x17\x2b\x81' + twenty[3:] + NULL))),
        'OID sub-identifier of 20 continuation octets': m2(pdu(GETNEXT, tail=one(twenty + NULL))),
        'OID 0.0': request(1, c, GETNEXT, [(0, 0)]),
        'OID 2.47': m2(pdu(GETNEXT, tail=one(b'\x06\x01\x7f' + NULL))),
        'varbind of 3 components': m2(pdu(GET, tail=one(enc_oid('1.3.6.9') + NULL + NULL))),
        'varbind without value': m2(pdu(GET, tail=one(enc_oid('1.3.6.9')))),
        'varbind list as SET OF': m2(pdu(GET, tail=tlv(0x31, vb))),
        'PDU without varbind list': m2(tlv(GET, E(5) + E(0) + E(0))),
        'indefinite varbind list': m2(pdu(GET, tail=b'\x30\x80' + vb + b'\x00\x00')),
        'INTEGER in constructed form': msg(b'\x22\x03\x02\x01\x01' + com + std),
        'SEQUENCE in primitive form': b'\x10' + enc_len(len(body)) + body,
        'GET of 300 varbinds': request(1, c, GETNEXT, [(1, 3)] * 300),
        'GET without varbinds': request(1, c, GET, []),
        'SET in SNMPv1': request(0, c, SET, ['1.3.6.1.2.1.1.1.0', '1.3.6.9']),
        'SET in SNMPv1 without varbinds': request(0, c, SET, []),
        'SET with a value': m2(pdu(SET, tail=one(enc_oid('1.3.6.1.2.1.1.1.0') + tlv(4, b'new')))),
        'GETBULK answer echoing request values (genErr)': m2(pdu(0xa5, tail=tlv(0x30, tlv(
            0x30, enc_oid('1.3.6.9') + b'\x02\x01\x80') + tlv(
            0x30, enc_oid('1.3.6.9') + b'\x43\x03\x00\x00\x05')))),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--agent', required=True)
    ap.add_argument('--source', required=True)
    ap.add_argument('--loadgen')
    ap.add_argument('--keep', action='store_true', help='keep the scratch folder')
    args = ap.parse_args()

    tools = ['snmpsimd', 'snmpget', 'snmpgetnext', 'snmpwalk', 'snmpbulkwalk', 'snmpbulkget']
    if not all(shutil.which(t) for t in tools):
        if os.geteuid() == 0 and shutil.which('apt-get'):
            subprocess.run(['apt-get', 'install', '-y', '-q', 'snmpsim', 'snmp'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not all(shutil.which(t) for t in tools):
            print('SKIP: snmpsimd or the Net-SNMP tools are missing and cannot be installed')
            return SKIP
    if not os.path.isdir(EXAMPLES):
        print('SKIP: the snmpsim examples (%s) are missing' % EXAMPLES)
        return SKIP

    work = tempfile.mkdtemp(prefix='lab-agent-equiv-')
    os.chmod(work, 0o755)  # snmpsimd runs as nobody and must read the data
    procs = []
    try:
        return run(args, work, procs)
    finally:
        for p in procs:
            p.stop()
        if args.keep:
            print('scratch folder kept: ' + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def start_snmpsimd(work, data, endpoints, name, extra=()):
    cache = os.path.join(work, 'cache-' + name)
    os.makedirs(cache)
    argv = ['snmpsimd', '--data-dir=' + data, '--cache-dir=' + cache, '--logging-method=null']
    argv += ['--agent-udpv4-endpoint=%s' % e for e in endpoints]
    argv += list(extra)
    if os.geteuid() == 0:
        # snmpsimd will not run as root: it drops to nobody, who must own its cache.
        shutil.chown(cache, 'nobody', 'nogroup')
        argv += ['--process-user=nobody', '--process-group=nogroup']
    return Proc(name, argv, os.path.join(work, name + '.log'))


def start_agent(args, work, name, argv):
    ready = os.path.join(work, name + '.ready')
    return Proc(name, [args.agent] + argv + ['--ready-file', ready, '--stats'],
                os.path.join(work, name + '.log')), ready


def wait_answer(proc, addr, community, oid, timeout, log):
    prober = Prober()
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not proc.alive():
                raise RuntimeError('%s exited while starting:\n%s'
                                   % (proc.name, open(log).read()[-3000:]))
            if prober.ask(addr, request(1, community, GET, [oid]), 0.5) is not None:
                return
        raise RuntimeError('%s did not answer on %s within %d s' % (proc.name, addr, timeout))
    finally:
        prober.close()


def wait_ready(proc, ready, log, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(ready):
            return open(ready).read()
        if not proc.alive():
            raise RuntimeError('%s exited while starting:\n%s'
                               % (proc.name, open(log).read()[-3000:]))
        time.sleep(0.05)
    raise RuntimeError('%s not ready within %d s' % (proc.name, timeout))


def run(args, work, procs):
    data = os.path.join(work, 'data')
    os.makedirs(data)
    recordings, demo, skipped = prepare_data(data, args.source, work)
    for root, dirs, files in os.walk(work):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    print('recordings compared: %d snmpsim examples and synthetic files, %d demo lab devices'
          % (len(recordings), len(demo)))
    print('skipped recordings (%d):' % len(skipped))
    for s in skipped:
        print('  ' + s)

    # Endpoint N of both agents is the demo lab's device N (the demo lab selects recordings by
    # endpoint index); every other recording is reached by its community on endpoint 0.
    addresses = [a for _, a, _, _ in sorted(demo)]
    for a in addresses[:3] + addresses[-3:]:
        for port in (SNMPSIM_PORT, AGENT_PORT):
            if not udp_free(a, port):
                raise RuntimeError('%s:%d is in use; is another test running?' % (a, port))
    snmpsim = start_snmpsimd(work, data, ['%s:%d' % (a, SNMPSIM_PORT) for a in addresses],
                             'snmpsimd')
    procs.append(snmpsim)
    agent, agent_ready = start_agent(args, work, 'agent', ['--data-dir', data] + sum(
        (['--endpoint', '%s:%d' % (a, AGENT_PORT)] for a in addresses), []))
    procs.append(agent)
    print('agent: ' + wait_ready(agent, agent_ready, os.path.join(work, 'agent.log')).strip())
    t0 = time.time()
    wait_answer(snmpsim, (addresses[-1], SNMPSIM_PORT), 'syn_types', '1.3.6.1.2.1.1.5.0', 300,
                os.path.join(work, 'snmpsimd.log'))
    print('snmpsimd answers (%.1f s)' % (time.time() - t0), flush=True)

    rng = random.Random(20240611)
    prober = Prober()
    s0, a0 = (addresses[0], SNMPSIM_PORT), (addresses[0], AGENT_PORT)
    s0_text, a0_text = '%s:%d' % s0, '%s:%d' % a0
    tool_same = tool_total = raw_same = raw_total = 0

    # 1. Every example and synthetic recording, by community, on endpoint 0.
    t0 = time.time()
    for community in sorted(recordings):
        started = time.time()
        text = open(recordings[community], 'rb').read()
        oids = [r[1] for r in record_lines(text)]
        canonical = ['.'.join(map(str, oid_arcs(o))) for o in oids]
        t_same, t_total = compare_tools(community, community, s0_text, a0_text, canonical,
                                        len(oids))
        r_same, r_total = compare_raw(community, raw_requests(community, canonical, rng), s0, a0,
                                      prober, community)
        tool_same += t_same
        tool_total += t_total
        raw_same += r_same
        raw_total += r_total
        print('%-45s %6d records: tools %2d/%d, raw %4d/%d identical (%.0f s)'
              % (community, len(oids), t_same, t_total, r_same, r_total, time.time() - started),
              flush=True)

    # 2. The demo lab: every device by the endpoint it is served on (snmpsimd's transport-ID
    #    rule), walked in bulk; a sample of them with every tool variant.
    print('examples and synthetic recordings: %.0f s' % (time.time() - t0), flush=True)
    t0 = time.time()
    kinds = {}
    for n, addr, device, version in sorted(demo):
        kind = device.rstrip('0123456789').split('-')[-1] + version
        kinds.setdefault(kind, (n, addr, device, version))
    sample = {v[0] for v in kinds.values()}
    demo_same = 0
    for n, addr, device, version in sorted(demo):
        community = 'public' if version == '2c' else '1.3.6.1.6.1.1.%d' % n
        s, a = '%s:%d' % (addr, SNMPSIM_PORT), '%s:%d' % (addr, AGENT_PORT)
        if n in sample:
            if version == '2c':
                path = os.path.join(data, hashlib.md5(b'public').hexdigest(),
                                    '1.3.6.1.6.1.1.%d.snmprec' % n)
            else:
                path = os.path.join(data, community + '.snmprec')
            oids = canonical_oids(path)
            same, total = compare_tools(device, community, s, a, oids, len(oids))
            same2, total2 = compare_raw(device, raw_requests(community, oids, rng),
                                        (addr, SNMPSIM_PORT), (addr, AGENT_PORT), prober, community)
            print('demo %-20s endpoint %3d: tools %d/%d, raw %d/%d identical'
                  % (device, n, same, total, same2, total2), flush=True)
            tool_same += same
            tool_total += total
            raw_same += same2
            raw_total += total2
        elif compare_walk('demo %s (endpoint %d)' % (device, n), community,
                          (addr, SNMPSIM_PORT), (addr, AGENT_PORT), prober):
            demo_same += 1
    print('demo lab: %d other devices walked with raw GETBULK, %d identical (%.0f s)'
          % (len(demo) - len(sample), demo_same, time.time() - t0), flush=True)

    # 3. The malformed and unusual datagrams.
    battery = hostile_battery('syn_switch48')
    same = 0
    answered = 0
    for label, payload in battery.items():
        a = prober.ask(s0, payload, 10.0, 'syn_types')
        b = prober.ask(a0, payload, 10.0, 'syn_types')
        if not snmpsim.alive():
            raise RuntimeError('snmpsimd exited after the datagram "%s"' % label)
        if a != b:
            fail('datagram "%s": snmpsimd %s, agent %s' % (label, a.hex() if a else 'drops it',
                                                            b.hex() if b else 'drops it'))
        else:
            same += 1
            answered += a is not None
    print('unusual datagrams: %d/%d identical (%d answered, %d dropped by both)'
          % (same, len(battery), answered, same - answered))
    # The source address is part of snmpsimd's rule too: a second source gets the same answers.
    other = Prober('127.0.0.2')
    p = request(1, 'public', GET, ['1.3.6.1.2.1.1.5.0'])
    if other.ask(s0, p, 3.0) != other.ask(a0, p, 3.0):
        fail('a request from 127.0.0.2 is answered differently')
    other.close()

    # 4. --max-varbinds: both restarted with 10 on one endpoint.
    snmpsim.stop()
    agent_stats = agent.stop()
    if agent_stats != 0:
        fail('the agent exited %s on SIGTERM (expected 0)' % agent_stats)
    log = open(os.path.join(work, 'agent.log')).read()
    if 'requests' not in log or 'varbinds' not in log:
        fail('--stats printed nothing on SIGTERM')
    else:
        print('agent stats: ' + log.strip().splitlines()[-1])
    mv_s = start_snmpsimd(work, data, ['127.0.0.1:%d' % SNMPSIM_PORT], 'snmpsimd-mv',
                          ['--max-varbinds=10'])
    procs.append(mv_s)
    mv_a, mv_ready = start_agent(args, work, 'agent-mv',
                                 ['--data-dir', data, '--endpoint', '127.0.0.1:%d' % AGENT_PORT,
                                  '--max-varbinds', '10'])
    procs.append(mv_a)
    wait_ready(mv_a, mv_ready, os.path.join(work, 'agent-mv.log'))
    wait_answer(mv_s, ('127.0.0.1', SNMPSIM_PORT), 'syn_types', '1.3.6.1.2.1.1.5.0', 300,
                os.path.join(work, 'snmpsimd-mv.log'))
    cols = ['1.3.6.1.2.1.2.2.1.%d' % c for c in range(1, 23)]
    reqs = [bulk('syn_switch48', cols[:r], n, m)
            for r in range(1, 13) for n in (0, 1, 3) for m in (1, 3, 25)]
    reqs += [bulk('syn_big', ['1.3.6.1.2.1.31.1.1.1.18'], 0, 64)]
    same, total = compare_raw('max-varbinds 10', reqs, ('127.0.0.1', SNMPSIM_PORT),
                              ('127.0.0.1', AGENT_PORT), prober, 'syn_types')
    print('--max-varbinds 10: raw %d/%d identical' % (same, total))
    mv_s.stop()
    mv_a.stop()

    # 5. --devices: several endpoints on 127.0.0.x, communities, the shared recording.
    devices = os.path.join(work, 'devices.txt')
    with open(devices, 'w') as f:
        f.write('# endpoint recording community\n\n')
        f.write('127.0.0.1:%d data/syn_switch48.snmprec syn_switch48\n' % DEVICES_PORT)
        f.write('127.0.0.2:%d data/syn_switch48.snmprec\n' % DEVICES_PORT)
        f.write('127.0.0.3:%d %s/data/syn_switch48.snmprec private\n' % (DEVICES_PORT, work))
        f.write('127.0.0.4:%d data/syn_types.snmprec syn_types\n' % DEVICES_PORT)
    dev, dev_ready = start_agent(args, work, 'agent-devices', ['--devices', devices])
    procs.append(dev)
    line = wait_ready(dev, dev_ready, os.path.join(work, 'agent-devices.log'))
    if line != 'ready 4 2\n':
        fail('--devices: ready file says %r, expected "ready 4 2"' % line)
    mv_s = start_snmpsimd(work, data, ['127.0.0.1:%d' % SNMPSIM_PORT], 'snmpsimd-dev')
    procs.append(mv_s)
    wait_answer(mv_s, ('127.0.0.1', SNMPSIM_PORT), 'syn_types', '1.3.6.1.2.1.1.5.0', 300,
                os.path.join(work, 'snmpsimd-dev.log'))
    sw_oids = canonical_oids(recordings['syn_switch48'])
    ty_oids = canonical_oids(recordings['syn_types'])
    checks = [('127.0.0.1', 'syn_switch48', sw_oids), ('127.0.0.4', 'syn_types', ty_oids)]
    for addr, community, oids in checks:
        same, total = compare_raw('--devices %s' % addr, raw_requests(community, oids, rng),
                                  ('127.0.0.1', SNMPSIM_PORT), (addr, DEVICES_PORT), prober,
                                  community)
        print('--devices %s (%s): raw %d/%d identical to snmpsimd' % (addr, community, same, total))
    for addr, community, expect in [('127.0.0.2', 'public', True), ('127.0.0.3', 'private', True),
                                    ('127.0.0.1', 'public', False), ('127.0.0.3', 'public', False),
                                    ('127.0.0.4', 'syn_switch48', False)]:
        got = prober.ask((addr, DEVICES_PORT),
                         request(1, community, GET, ['1.3.6.1.2.1.1.5.0']), 1.0)
        if (got is not None) != expect:
            fail('--devices %s community %s: %s'
                 % (addr, community, 'answered' if got else 'no answer'))
    print('--devices: right community answered, wrong community dropped')
    dev.stop()
    mv_s.stop()

    # 6. Refusals: FILE:LINE and exit 2, before anything is bound.
    bad = os.path.join(work, 'bad')
    os.makedirs(bad)
    with open(os.path.join(bad, 'bad.snmprec'), 'w') as f:
        f.write('1.3.6.1.2.1.1.1.0|4|fine\n'
                '1.3.6.1.2.1.1.2.0 no bars\n'
                '1.3.6.1.2.1.1.3.0|2:numeric|rate=5\n'
                '1.3.6.1.2.1.1.4.0|4x|abc\n')
    with open(os.path.join(bad, 'devices.txt'), 'w') as f:
        f.write('127.0.0.1:%d bad.snmprec\n' % DEVICES_PORT)
    with open(os.path.join(bad, 'remote.txt'), 'w') as f:
        f.write('10.255.255.1:161 bad.snmprec\n')
    with open(os.path.join(bad, 'dup.txt'), 'w') as f:
        f.write('127.0.0.1:%d ../data/syn_types.snmprec\n' % DEVICES_PORT)
        f.write('127.0.0.1:%d ../data/syn_types.snmprec x\n' % DEVICES_PORT)
    for label, argv, expect in [
        ('bad recording', ['--devices', os.path.join(bad, 'devices.txt')],
         ['bad.snmprec:2: expected OID|TAG|VALUE', "bad.snmprec:3: variation module 'numeric'",
          "bad.snmprec:4: bad hex value 'abc'"]),
        ('non-loopback endpoint', ['--devices', os.path.join(bad, 'remote.txt')],
         ['remote.txt:1:', 'not on loopback']),
        ('non-loopback --endpoint', ['--data-dir', data, '--endpoint', '192.0.2.1:161'],
         ['192.0.2.1:161', 'not on loopback']),
        ('repeated endpoint', ['--devices', os.path.join(bad, 'dup.txt')],
         ['dup.txt:2:', 'already served by line 1']),
        ('missing recording', ['--devices', os.path.join(bad, 'nope.txt')], ['nope.txt']),
    ]:
        r = subprocess.run([args.agent] + argv, capture_output=True, text=True, timeout=60)
        if r.returncode != 2 or not all(e in r.stderr for e in expect):
            fail('%s: exit %d, stderr %r (expected exit 2 and %r)'
                 % (label, r.returncode, r.stderr, expect))
    print('refusals: exit 2 with FILE:LINE messages')

    # 7. Load smoke (not timed): many endpoints sharing the 48-port recording.
    if args.loadgen:
        load = os.path.join(work, 'load.txt')
        with open(load, 'w') as f:
            for i in range(200):
                f.write('127.0.%d.%d:%d data/syn_switch48.snmprec\n'
                        % (1 + i // 200, 1 + i % 200, DEVICES_PORT))
        ag, ready = start_agent(args, work, 'agent-load', ['--devices', load])
        procs.append(ag)
        wait_ready(ag, ready, os.path.join(work, 'agent-load.log'))
        r = subprocess.run([args.loadgen, '--devices', load, '--seconds', '2', '--window', '64',
                            '--agent-pid', str(ag.p.pid)],
                           capture_output=True, text=True, timeout=60)
        print('load smoke: ' + (r.stdout.strip() or r.stderr.strip()))
        if r.returncode != 0:
            fail('load generator exited %d: %s' % (r.returncode, r.stderr))
        ag.stop()

    prober.close()
    print('Net-SNMP tool runs: %d/%d identical; raw datagrams: %d/%d identical'
          % (tool_same, tool_total, raw_same, raw_total))
    print('allowed differences: none (datagrams that make snmpsimd exit are only sent to the '
          'agent, in tests/lab_agent_test.cc)')
    if failures:
        print('%d FAILURES' % len(failures))
        return 1
    print('PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
