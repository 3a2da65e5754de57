#include "snmp/catalogue.h"

namespace trinet::snmp {

namespace {

Oid Instance0(const Oid& object) { return object.Append({0}); }

}  // namespace

// The lists are function-local statics built on first use, not globals: a global copying the
// inline Oid constants could be constructed before them (dynamic initialisation across
// translation units is unordered).

const std::vector<Oid>& PollScalars() {
  static const std::vector<Oid> scalars = {Instance0(kSysUpTime)};
  return scalars;
}

const std::vector<TableWalk>& PollTables() {
  static const std::vector<TableWalk> tables = {
      {"ifTable",
       {kIfDescr, kIfType, kIfSpeed, kIfPhysAddress, kIfAdminStatus, kIfOperStatus, kIfInOctets,
        kIfInDiscards, kIfInErrors, kIfOutOctets, kIfOutDiscards, kIfOutErrors},
       ""},
      {"ifXTable", {kIfName, kIfHCInOctets, kIfHCOutOctets, kIfHighSpeed, kIfAlias}, ""},
  };
  return tables;
}

const std::vector<Oid>& DiscoveryScalars() {
  static const std::vector<Oid> scalars = {
      Instance0(kSysDescr),
      Instance0(kSysObjectId),
      Instance0(kSysUpTime),
      Instance0(kSysContact),
      Instance0(kSysName),
      Instance0(kSysLocation),
      Instance0(kLldpLocChassisIdSubtype),
      Instance0(kLldpLocChassisId),
  };
  return scalars;
}

const std::vector<TableWalk>& DiscoveryTables() {
  static const std::vector<TableWalk> tables = {
      {"entPhysicalTable",
       {kEntPhysicalDescr, kEntPhysicalClass, kEntPhysicalName, kEntPhysicalSerialNum,
        kEntPhysicalModelName},
       ""},
      // The address itself is in the index of both address tables; ipAddressType lets the
      // decoder drop broadcast entries, ipAddressPrefix carries the prefix length.
      {"ipAddressTable", {kIpAddressIfIndex, kIpAddressType, kIpAddressPrefix}, ""},
      // Walked always, not as a fallback: agents such as Net-SNMP fill ipAddressPrefix with
      // garbage, and ipAddrTable's netmask is then the only prefix length.
      {"ipAddrTable", {kIpAdEntIfIndex, kIpAdEntNetMask}, ""},
      // Destination, prefix and next hop are in the index of both CIDR route tables.
      {"inetCidrRouteTable", {kInetCidrRouteIfIndex, kInetCidrRouteType, kInetCidrRouteProto}, ""},
      {"ipCidrRouteTable",
       {kIpCidrRouteIfIndex, kIpCidrRouteType, kIpCidrRouteProto},
       "inetCidrRouteTable"},
      {"ipRouteTable",
       {kIpRouteIfIndex, kIpRouteNextHop, kIpRouteType, kIpRouteProto, kIpRouteMask},
       "ipCidrRouteTable"},
      {"ipNetToPhysicalTable", {kIpNetToPhysicalPhysAddress, kIpNetToPhysicalType}, ""},
      {"ipNetToMediaTable", {kIpNetToMediaPhysAddress, kIpNetToMediaType}, "ipNetToPhysicalTable"},
      {"lldpLocPortTable", {kLldpLocPortIdSubtype, kLldpLocPortId, kLldpLocPortDesc}, ""},
      {"lldpRemTable",
       {kLldpRemChassisIdSubtype, kLldpRemChassisId, kLldpRemPortIdSubtype, kLldpRemPortId,
        kLldpRemPortDesc, kLldpRemSysName, kLldpRemSysDesc},
       ""},
      // Every column of this table is keyed by the management address in its index; one
      // column is enough to learn the addresses, the second names the interface numbering.
      {"lldpRemManAddrTable", {kLldpRemManAddrIfSubtype, kLldpRemManAddrIfId}, ""},
      {"dot1dBasePortTable", {kDot1dBasePortIfIndex}, ""},
      {"dot1qTpFdbTable", {kDot1qTpFdbPort, kDot1qTpFdbStatus}, ""},
      {"dot1qVlanCurrentTable", {kDot1qVlanFdbId}, ""},
      {"dot1dTpFdbTable", {kDot1dTpFdbPort, kDot1dTpFdbStatus}, "dot1qTpFdbTable"},
      {"tcpConnectionTable", {kTcpConnectionState}, ""},
      {"tcpConnTable", {kTcpConnState}, "tcpConnectionTable"},
  };
  return tables;
}

const std::vector<Oid>& HealthScalars() {
  static const std::vector<Oid> scalars = {
      Instance0(kUpsOutputSource),
      Instance0(kUpsBatteryStatus),
      Instance0(kUpsSecondsOnBattery),
      Instance0(kUpsEstimatedMinutesRemaining),
      Instance0(kUpsEstimatedChargeRemaining),
      kUpsInputVoltage.Append({1}),
      kUpsOutputPercentLoad.Append({1}),
  };
  return scalars;
}

const std::vector<TableWalk>& HealthTables() {
  static const std::vector<TableWalk> tables = {
      {"entPhySensorTable",
       {kEntPhySensorType, kEntPhySensorScale, kEntPhySensorPrecision, kEntPhySensorValue,
        kEntPhySensorOperStatus},
       ""},
  };
  return tables;
}

}  // namespace trinet::snmp
