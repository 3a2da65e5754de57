#pragma once
// Pure decoders from walked varbinds to typed observations. Each takes the varbinds of a poll
// (any order; other tables' varbinds are ignored) and returns what it could decode together
// with a count of what it had to skip. A value of the wrong SNMP type, an index that does not
// fit the table's INDEX clause, an exception or an impossible value is counted and skipped:
// never a crash, never a made-up value. Octet strings returned as text are valid UTF-8
// (invalid bytes become U+FFFD, trailing NULs are dropped).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snmp/counters.h"
#include "snmp/varbind.h"

namespace trinet::snmp {

/// What a decoder skipped, by kind; each skipped varbind counts once.
struct DecodeIssues {
  int wrong_type = 0;       ///< a value of another SNMP type than the object's syntax
  int malformed_index = 0;  ///< an instance whose index does not fit the table's INDEX
  int exception_value = 0;  ///< noSuchObject, noSuchInstance or endOfMibView
  int bad_value = 0;        ///< the right type but an impossible value (range, length, enum)

  int Total() const { return wrong_type + malformed_index + exception_value + bad_value; }
  DecodeIssues& operator+=(const DecodeIssues& other);
  bool operator==(const DecodeIssues&) const = default;
};

/// A decoder's result and what it skipped on the way.
template <typename T>
struct Decoded {
  T result{};
  DecodeIssues issues;
};

// ---- system -------------------------------------------------------------------------------

/// SNMPv2-MIB system group and the LLDP local chassis id. Strings are empty when not walked.
struct SystemInfo {
  std::string descr;
  std::string object_id;                      ///< sysObjectID, numeric ("1.3.6.1.4.1.9.1.516")
  std::optional<std::uint32_t> uptime_ticks;  ///< sysUpTime, hundredths of a second
  std::string contact;
  std::string name;
  std::string location;
  /// lldpLocChassisId formatted by lldpLocChassisIdSubtype (see LldpNeighbor::chassis_id).
  std::string lldp_chassis_id;

  bool operator==(const SystemInfo&) const = default;
};

Decoded<SystemInfo> DecodeSystem(const std::vector<Varbind>& varbinds);

// ---- interfaces (IF-MIB) ------------------------------------------------------------------

/// One ifTable row joined with its ifXTable row.
struct InterfaceState {
  std::uint32_t ifindex = 0;
  std::string name;          ///< ifName, or ifDescr when the agent has no ifName
  std::string descr;         ///< ifDescr
  std::string alias;         ///< ifAlias
  std::optional<int> type;   ///< ifType (IANAifType: 6 ethernetCsmacd, 24 softwareLoopback, ...)
  std::string phys_address;  ///< "aa:bb:cc:dd:ee:ff", empty when the interface has none
  std::optional<bool> admin_up;  ///< ifAdminStatus == up(1)
  std::optional<bool> oper_up;   ///< ifOperStatus == up(1); dormant, testing... are not up
  /// ifHighSpeed * 10^6 when present and nonzero, else ifSpeed (4294967295 = "or more").
  std::optional<std::uint64_t> speed_bits;
  /// ifHCInOctets/ifHCOutOctets when present (64 bits), else ifInOctets/ifOutOctets (32).
  std::optional<CounterReading> in_octets;
  std::optional<CounterReading> out_octets;
  std::optional<CounterReading> in_errors;
  std::optional<CounterReading> out_errors;
  std::optional<CounterReading> in_discards;
  std::optional<CounterReading> out_discards;

  bool operator==(const InterfaceState&) const = default;
};

/// Interfaces by ifIndex, ascending.
Decoded<std::vector<InterfaceState>> DecodeInterfaces(const std::vector<Varbind>& varbinds);

// ---- hardware (ENTITY-MIB) ----------------------------------------------------------------

/// The device's chassis as ENTITY-MIB describes it.
struct Entity {
  std::uint32_t index = 0;            ///< entPhysicalIndex of the row used
  std::optional<int> physical_class;  ///< entPhysicalClass (3 = chassis)
  std::string serial;                 ///< entPhysicalSerialNum
  std::string model;                  ///< entPhysicalModelName
  std::string descr;                  ///< entPhysicalDescr
  std::string name;                   ///< entPhysicalName

  bool operator==(const Entity&) const = default;
};

/// The entPhysicalTable row of class chassis(3) with the lowest index; without one, the first
/// row with a serial number. nullopt when neither exists.
Decoded<std::optional<Entity>> DecodeEntity(const std::vector<Varbind>& varbinds);

// ---- IP addresses, routes, ARP/ND ---------------------------------------------------------

/// An address assigned to an interface.
struct AddressEntry {
  std::uint32_t ifindex = 0;
  int family = 4;       ///< 4 or 6
  std::string address;  ///< "192.0.2.1", "2001:db8::1", "fe80::1%5" (zone index)
  /// From ipAddressPrefix, or the IPv4 netmask of ipAddrTable; nullopt when the agent gives
  /// no consistent prefix.
  std::optional<int> prefix_length;

  bool operator==(const AddressEntry&) const = default;
};

/// Addresses from ipAddressTable; its IPv4 rows with no usable ipAddressPrefix take the
/// netmask of ipAddrTable when that was walked too. Only when ipAddressTable yields nothing,
/// from ipAddrTable alone. Broadcast entries and 0.0.0.0 are left out.
Decoded<std::vector<AddressEntry>> DecodeAddresses(const std::vector<Varbind>& varbinds);

/// One route of the forwarding table.
struct RouteEntry {
  int family = 4;           ///< 4 or 6
  std::string destination;  ///< network address, "0.0.0.0" for the default route
  int prefix_length = 0;
  std::string next_hop;                  ///< gateway address; empty for a directly connected route
  std::optional<std::uint32_t> ifindex;  ///< nullopt when absent or 0 (no interface)
  /// inetCidrRouteType/ipCidrRouteType: other(1), reject(2), local(3), remote(4),
  /// blackhole(5); ipRouteType's direct(3)/indirect(4) have the numbers of local/remote.
  std::optional<int> type;
  /// IANAipRouteProtocol: other(1), local(2), netmgmt(3) (static), icmp(4), ..., ospf(13),
  /// bgp(14); ipRouteProto uses the same numbers.
  std::optional<int> protocol;

  bool operator==(const RouteEntry&) const = default;
};

/// Routes from inetCidrRouteTable; when it yields none, ipCidrRouteTable; when that yields
/// none, ipRouteTable (invalid(2) entries left out).
Decoded<std::vector<RouteEntry>> DecodeRoutes(const std::vector<Varbind>& varbinds);

/// An ARP (IPv4) or neighbour discovery (IPv6) cache entry.
struct NeighborEntry {
  std::uint32_t ifindex = 0;
  int family = 4;
  std::string ip;
  std::string mac;  ///< "aa:bb:cc:dd:ee:ff"
  /// other(1), dynamic(3), static(4), local(5); invalid(2) entries are left out.
  std::optional<int> type;

  bool operator==(const NeighborEntry&) const = default;
};

/// Entries of ipNetToPhysicalTable; when it yields none, of ipNetToMediaTable. Entries
/// without a physical address, or with an all-zero one (incomplete resolution), are left out.
Decoded<std::vector<NeighborEntry>> DecodeNeighbors(const std::vector<Varbind>& varbinds);

// ---- LLDP ---------------------------------------------------------------------------------

/// A neighbour seen by LLDP on one local port.
struct LldpNeighbor {
  std::uint32_t local_port = 0;    ///< lldpRemLocalPortNum (lldpLocPortNum, often the ifIndex)
  std::uint32_t remote_index = 0;  ///< lldpRemIndex
  std::optional<int> chassis_id_subtype;
  /// By subtype: macAddress(4) "aa:bb:cc:dd:ee:ff", networkAddress(5) IP text, others text
  /// when printable, else hex "0a:1b:...".
  std::string chassis_id;
  std::optional<int> port_id_subtype;
  /// By subtype: macAddress(3), networkAddress(4), others text or hex, as chassis_id.
  std::string port_id;
  std::string port_desc;
  std::string sys_name;
  std::string sys_desc;
  /// From lldpRemManAddrTable: IP text for IPv4/IPv6, MAC for all802, hex otherwise.
  std::vector<std::string> management_addresses;
  /// The local port's lldpLocPortId and lldpLocPortDesc, when lldpLocPortTable was walked.
  std::string local_port_id;
  std::string local_port_desc;

  bool operator==(const LldpNeighbor&) const = default;
};

/// Neighbours from lldpRemTable, by local port then remote index.
Decoded<std::vector<LldpNeighbor>> DecodeLldpNeighbors(const std::vector<Varbind>& varbinds);

// ---- bridge forwarding database -----------------------------------------------------------

/// A MAC address the bridge learned on a port.
struct FdbEntry {
  /// VLAN id: dot1qFdbId mapped through dot1qVlanFdbId when walked, else the FDB id itself
  /// (FDB id = VLAN id on independent-learning bridges); nullopt for dot1dTpFdbTable.
  std::optional<std::uint32_t> vlan;
  std::string mac;                       ///< "aa:bb:cc:dd:ee:ff"
  std::uint32_t bridge_port = 0;         ///< dot1dBasePort; 0 = learned but port unknown
  std::optional<std::uint32_t> ifindex;  ///< via dot1dBasePortIfIndex, when walked
  /// other(1), learned(3), self(4), mgmt(5); invalid(2) entries are left out.
  std::optional<int> status;

  bool operator==(const FdbEntry&) const = default;
};

/// Entries of dot1qTpFdbTable; when it yields none, of dot1dTpFdbTable.
Decoded<std::vector<FdbEntry>> DecodeFdb(const std::vector<Varbind>& varbinds);

// ---- TCP ----------------------------------------------------------------------------------

/// One TCP connection (or listener, in tcpConnTable) of the agent's host.
struct TcpConnection {
  std::string local_address;
  std::uint32_t local_port = 0;
  std::string remote_address;
  std::uint32_t remote_port = 0;
  /// closed(1), listen(2), synSent(3), synReceived(4), established(5), finWait1(6),
  /// finWait2(7), closeWait(8), lastAck(9), closing(10), timeWait(11).
  int state = 0;

  bool operator==(const TcpConnection&) const = default;
};

/// Connections from tcpConnectionTable; when it yields none, from tcpConnTable.
Decoded<std::vector<TcpConnection>> DecodeTcpConnections(const std::vector<Varbind>& varbinds);

// ---- health: UPS-MIB, ENTITY-SENSOR-MIB ---------------------------------------------------

/// A UPS's state (RFC 1628); each field is nullopt when not read or not valid.
struct UpsState {
  std::optional<int> output_source;  ///< upsOutputSource: normal(3), bypass(4), battery(5)...
  std::optional<bool> on_battery;    ///< upsOutputSource == battery(5)
  /// upsBatteryStatus: unknown(1), batteryNormal(2), batteryLow(3), batteryDepleted(4).
  std::optional<int> battery_status;
  std::optional<std::int64_t> seconds_on_battery;  ///< 0 when on mains
  std::optional<std::int64_t> minutes_remaining;
  std::optional<double> charge_ratio;       ///< upsEstimatedChargeRemaining / 100, 0..1
  std::optional<double> input_voltage;      ///< upsInputVoltage of line 1, volts RMS
  std::optional<double> output_load_ratio;  ///< upsOutputPercentLoad of line 1 / 100, 0..2

  bool operator==(const UpsState&) const = default;
};

/// The UPS-MIB scalars; nullopt when none of them was read (the device is not a UPS).
Decoded<std::optional<UpsState>> DecodeUps(const std::vector<Varbind>& varbinds);

enum class SensorKind { kTemperature, kHumidity };

/// One ENTITY-SENSOR-MIB sensor of a kind trinet watches.
struct SensorReading {
  std::uint32_t index = 0;                     ///< entPhysicalIndex
  SensorKind kind = SensorKind::kTemperature;  ///< celsius(8) or percentRH(9)
  /// entPhySensorValue * 10^(3*(scale-9)) * 10^-precision: degrees Celsius or percent RH.
  /// nullopt when entPhySensorOperStatus is read and not ok(1), or when scale, precision or
  /// value is missing or invalid.
  std::optional<double> value;
  std::string name;  ///< entPhysicalName, when entPhysicalTable was walked with the sensors

  bool operator==(const SensorReading&) const = default;
};

/// Temperature and humidity sensors by index; sensors of other types are ignored.
Decoded<std::vector<SensorReading>> DecodeSensors(const std::vector<Varbind>& varbinds);

}  // namespace trinet::snmp
