#!/usr/bin/env python3
"""The scale lab of the benchmarks (issue 7): N access switches with 48 ports each.

    tools/bench/scale_lab.py OUTDIR DEVICES [--port 16161]

writes, always the same for the same arguments:

  OUTDIR/switch48.snmprec   one recording of a 48-port access switch (snmpsim's format):
                            system group, ifTable and ifXTable for 48 GigabitEthernet ports,
                            two 10G uplinks, Vlan1 and a management port (52 interfaces, all
                            columns), ENTITY-MIB chassis, the switch's management address,
                            a default route, LLDP (local ports, no neighbours),
                            BRIDGE-MIB port map and a forwarding table of ~100 MACs
  OUTDIR/devices.txt        trinet-lab-agent's --devices file: every device its own endpoint
                            127.16.X.Y:PORT serving switch48.snmprec to community "public"
  OUTDIR/register.yaml      a register (台账) of those devices for trinetctl inventory apply
  OUTDIR/targets.txt        the endpoints, one per line (for snmp_exporter and snmpbulkwalk)

Only 127.0.0.0/8 endpoints: the lab never sends a packet off the machine. The recording holds
10.x addresses and MACs as data only.
"""

import argparse
import os

PORTS = 48
INTERFACES = PORTS + 4  # and two uplinks, Vlan1, mgmt0
IF = "1.3.6.1.2.1.2.2.1."
IFX = "1.3.6.1.2.1.31.1.1.1."
# (name, oid, snmp_exporter type): the columns of trinetd's poll (collectors/snmp/catalogue.cc,
# PollTables) in the types snmp_exporter's generator gives them from IF-MIB.
POLL_COLUMNS = [
    ("ifDescr", IF + "2", "DisplayString"),
    ("ifType", IF + "3", "gauge"),
    ("ifSpeed", IF + "5", "gauge"),
    ("ifPhysAddress", IF + "6", "PhysAddress48"),
    ("ifAdminStatus", IF + "7", "gauge"),
    ("ifOperStatus", IF + "8", "gauge"),
    ("ifInOctets", IF + "10", "counter"),
    ("ifInDiscards", IF + "13", "counter"),
    ("ifInErrors", IF + "14", "counter"),
    ("ifOutOctets", IF + "16", "counter"),
    ("ifOutDiscards", IF + "19", "counter"),
    ("ifOutErrors", IF + "20", "counter"),
    ("ifName", IFX + "1", "DisplayString"),
    ("ifHCInOctets", IFX + "6", "counter"),
    ("ifHCOutOctets", IFX + "10", "counter"),
    ("ifHighSpeed", IFX + "15", "gauge"),
    ("ifAlias", IFX + "18", "DisplayString"),
]
# What trinetd's poll reads of each device: sysUpTime and those columns of every interface.
POLL_VARBINDS = 1 + len(POLL_COLUMNS) * INTERFACES


def endpoint(i, port):
    """Device i's endpoint: 250 per /24 of 127.16.0.0/12, never .0 or .255."""
    return f"127.{16 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}:{port}"


def oid_key(oid):
    return tuple(int(x) for x in oid.split("."))


def recording(ports=PORTS):
    """The varbinds of a switch with `ports` access ports (48: the scale lab's) as
    (oid, tag, value) tuples."""
    rows = []

    def add(oid, tag, value):
        rows.append((oid, tag, value))

    system = "1.3.6.1.2.1.1"
    add(f"{system}.1.0", "4", "trinet scale lab 48-port access switch, software 7.1")
    add(f"{system}.2.0", "6", "1.3.6.1.4.1.25506.1.1")
    add(f"{system}.3.0", "67", "123456789")
    add(f"{system}.4.0", "4", "noc@example.gov.cn")
    add(f"{system}.5.0", "4", "access-sw")
    add(f"{system}.6.0", "4", "building 3, floor 2")
    add(f"{system}.7.0", "2", "2")
    add("1.3.6.1.2.1.2.1.0", "2", str(ports + 4))

    # Interfaces: 1-48 access ports, 49-50 10G uplinks, 51 Vlan1, 52 management.
    ifaces = []
    for p in range(1, ports + 1):
        up = p % 6 != 0  # a sixth of the ports have nothing plugged in
        ifaces.append((p, f"GigabitEthernet1/0/{p}", f"Gi1/0/{p}", 6, 1000, up, p % 12 == 0))
    ifaces.append((ports + 1, "TenGigabitEthernet1/1/1", "Te1/1/1", 6, 10000, True, False))
    ifaces.append((ports + 2, "TenGigabitEthernet1/1/2", "Te1/1/2", 6, 10000, True, False))
    ifaces.append((ports + 3, "Vlan1", "Vl1", 136, 1000, True, False))
    ifaces.append((ports + 4, "mgmt0", "mgmt0", 6, 100, True, False))

    if_entry = "1.3.6.1.2.1.2.2.1"
    ifx_entry = "1.3.6.1.2.1.31.1.1.1"
    for idx, descr, name, iftype, mbps, oper, admin_down in ifaces:
        mac = f"70f96d{(0x4a + idx // 256) % 256:02x}{idx % 256:02x}{(idx * 7) % 256:02x}"
        octets_in = idx * 1_234_567_891 % 4_294_967_296
        octets_out = idx * 987_654_321 % 4_294_967_296
        up = "2" if admin_down else ("1" if oper else "2")
        col = {
            1: ("2", str(idx)),
            2: ("4", descr),
            3: ("2", str(iftype)),
            4: ("2", "9216" if mbps >= 10000 else "1500"),
            5: ("66", str(min(mbps * 1_000_000, 4_294_967_295))),
            6: ("4x", mac),
            7: ("2", "2" if admin_down else "1"),
            8: ("2", up),
            9: ("67", str(1000 + idx)),
            10: ("65", str(octets_in)),
            11: ("65", str(octets_in // 700)),
            12: ("65", str(idx * 13)),
            13: ("65", str(idx % 5)),
            14: ("65", str(idx % 3)),
            15: ("65", "0"),
            16: ("65", str(octets_out)),
            17: ("65", str(octets_out // 800)),
            18: ("65", str(idx * 11)),
            19: ("65", str(idx % 4)),
            20: ("65", str(idx % 2)),
            21: ("66", "0"),
            22: ("6", "0.0"),
        }
        for c, (tag, value) in col.items():
            add(f"{if_entry}.{c}.{idx}", tag, value)
        hc_in = idx * 91_234_567_891_234
        hc_out = idx * 71_234_567_891_234
        xcol = {
            1: ("4", name),
            2: ("65", str(idx * 17)),
            3: ("65", str(idx * 3)),
            4: ("65", str(idx * 19)),
            5: ("65", str(idx * 5)),
            6: ("70", str(hc_in)),
            7: ("70", str(hc_in // 700)),
            8: ("70", str(idx * 17)),
            9: ("70", str(idx * 3)),
            10: ("70", str(hc_out)),
            11: ("70", str(hc_out // 800)),
            12: ("70", str(idx * 19)),
            13: ("70", str(idx * 5)),
            14: ("2", "1"),
            15: ("66", str(mbps)),
            16: ("2", "2"),
            17: ("2", "1" if idx <= ports + 2 else "2"),
            18: ("4", f"uplink to distribution {idx - ports}" if idx in (ports + 1, ports + 2)
                 else (f"office {idx:02d}" if idx <= ports else "")),
            19: ("67", "0"),
        }
        for c, (tag, value) in xcol.items():
            add(f"{ifx_entry}.{c}.{idx}", tag, value)

    # ENTITY-MIB: the chassis.
    ent = "1.3.6.1.2.1.47.1.1.1.1"
    add(f"{ent}.2.1", "4", "48-port access switch chassis")
    add(f"{ent}.5.1", "2", "3")
    add(f"{ent}.7.1", "4", "chassis")
    add(f"{ent}.11.1", "4", "SN0000SCALE48")
    add(f"{ent}.13.1", "4", "S5130-52S")

    # The management address (ipAddrTable and ipAddressTable) and a default route.
    addr = "10.32.200.10"
    add(f"1.3.6.1.2.1.4.20.1.1.{addr}", "64", addr)
    add(f"1.3.6.1.2.1.4.20.1.2.{addr}", "2", "51")
    add(f"1.3.6.1.2.1.4.20.1.3.{addr}", "64", "255.255.255.0")
    ipv4 = f"1.4.{addr}"
    add(f"1.3.6.1.2.1.4.34.1.3.{ipv4}", "2", "51")
    add(f"1.3.6.1.2.1.4.34.1.4.{ipv4}", "2", "1")
    add(f"1.3.6.1.2.1.4.34.1.5.{ipv4}", "6", "1.3.6.1.2.1.4.32.1.5.51.1.4.10.32.200.0.24")
    add("1.3.6.1.2.1.4.21.1.2.0.0.0.0", "2", "51")
    add("1.3.6.1.2.1.4.21.1.7.0.0.0.0", "64", "10.32.200.1")
    add("1.3.6.1.2.1.4.21.1.8.0.0.0.0", "2", "4")
    add("1.3.6.1.2.1.4.21.1.9.0.0.0.0", "2", "3")
    add("1.3.6.1.2.1.4.21.1.11.0.0.0.0", "64", "0.0.0.0")

    # LLDP: local chassis and ports; the two uplinks' neighbours.
    lldp = "1.0.8802.1.1.2.1"
    add(f"{lldp}.3.1.0", "2", "4")
    add(f"{lldp}.3.2.0", "4x", "70f96d4a0000")
    for p in range(1, ports + 3):
        add(f"{lldp}.3.7.1.2.{p}", "2", "5")
        add(f"{lldp}.3.7.1.3.{p}", "4", ifaces[p - 1][2])
        add(f"{lldp}.3.7.1.4.{p}", "4", ifaces[p - 1][1])

    # BRIDGE-MIB: base ports 1-50 map to ifIndex 1-50; ~100 learned MACs (Q-BRIDGE, VLAN 1).
    for p in range(1, ports + 3):
        add(f"1.3.6.1.2.1.17.1.4.1.2.{p}", "2", str(p))
    for m in range(100):
        port = m % ports + 1 if m < 96 else ports + 1
        mac = [0x00, 0x1b, 0x21, 0x3c, m // 256, m % 256]
        idx = "1." + ".".join(str(b) for b in mac)
        add(f"1.3.6.1.2.1.17.7.1.2.2.1.2.{idx}", "2", str(port))
        add(f"1.3.6.1.2.1.17.7.1.2.2.1.3.{idx}", "2", "3")
    add("1.3.6.1.2.1.17.7.1.4.2.1.3.0.1", "66", "1")

    rows.sort(key=lambda r: oid_key(r[0]))
    return rows


def write_recording(path, ports=PORTS):
    rows = recording(ports)
    with open(path, "w") as f:
        for oid, tag, value in rows:
            f.write(f"{oid}|{tag}|{value}\n")
    return len(rows)


def write(out, devices, port):
    os.makedirs(out, exist_ok=True)
    n = write_recording(os.path.join(out, "switch48.snmprec"))
    with open(os.path.join(out, "devices.txt"), "w") as f, \
            open(os.path.join(out, "targets.txt"), "w") as t:
        f.write("# trinet-lab-agent --devices: ENDPOINT RECORDING COMMUNITY\n")
        for i in range(devices):
            f.write(f"{endpoint(i, port)} switch48.snmprec public\n")
            t.write(endpoint(i, port) + "\n")
    rooms = 40
    reg = [
        "# The scale lab's register (tools/bench/scale_lab.py): access switches on loopback.\n",
        "version: 1\n",
        "networks:\n",
        "  - {id: external, name: 政务外网, prefixes: [10.64.0.0/12]}\n",
        "  - {id: internal, name: 内网, prefixes: [10.32.0.0/12]}\n",
        "  - {id: classified, name: 机要保密网, prefixes: [10.16.0.0/12]}\n",
        "platforms:\n",
        "  - {id: city, name: 市级平台, level: city}\n",
        "units:\n",
        "  - {id: xxb, name: 市政务信息化办公室, platform: city,"
        " admin: {name: 张伟, phone: \"+86 29 3321 0000\"}}\n",
        "rooms:\n",
    ]
    for r in range(rooms):
        reg.append(f"  - {{id: room-{r}, name: 中心机房{r}, unit: xxb, platform: city,"
                   f" kind: central, status: active}}\n")
    reg += ["credentials:\n", "  - {id: lab-v2c, version: 2c, community: public}\n",
            "devices:\n"]
    for i in range(devices):
        reg.append(f"  - {{id: sw{i:05d}, room: room-{i % rooms}, network: internal,"
                   f" role: access, address: \"{endpoint(i, port)}\", credentials: lab-v2c}}\n")
    with open(os.path.join(out, "register.yaml"), "w") as f:
        f.write("".join(reg))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("devices", type=int)
    ap.add_argument("--port", type=int, default=16161)
    a = ap.parse_args()
    if not 1 <= a.devices <= 1_000_000:
        ap.error("DEVICES must be 1..1000000")
    n = write(a.out, a.devices, a.port)
    print(f"scale lab: {a.devices} devices, {n} varbinds per recording, in {a.out}")


if __name__ == "__main__":
    main()
