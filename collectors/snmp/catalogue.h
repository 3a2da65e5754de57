#pragma once
// The numeric OIDs trinet collects, named after their MIB objects, and the groups the poller
// fetches: scalars by GET, tables by walking their columns. Each constant is the object's OID
// as its MIB defines it (a column or a scalar object, without instance); scalar lists hold
// instances (".0", or ".1" for the first row of a UPS-MIB table read as a scalar).

#include <string>
#include <vector>

#include "snmp/oid.h"

namespace trinet::snmp {

// SNMPv2-MIB system group (RFC 3418).
inline const Oid kSysDescr{1, 3, 6, 1, 2, 1, 1, 1};
inline const Oid kSysObjectId{1, 3, 6, 1, 2, 1, 1, 2};
inline const Oid kSysUpTime{1, 3, 6, 1, 2, 1, 1, 3};
inline const Oid kSysContact{1, 3, 6, 1, 2, 1, 1, 4};
inline const Oid kSysName{1, 3, 6, 1, 2, 1, 1, 5};
inline const Oid kSysLocation{1, 3, 6, 1, 2, 1, 1, 6};

// IF-MIB (RFC 2863): ifTable, INDEX { ifIndex }.
inline const Oid kIfEntry{1, 3, 6, 1, 2, 1, 2, 2, 1};
inline const Oid kIfDescr{1, 3, 6, 1, 2, 1, 2, 2, 1, 2};
inline const Oid kIfType{1, 3, 6, 1, 2, 1, 2, 2, 1, 3};
inline const Oid kIfSpeed{1, 3, 6, 1, 2, 1, 2, 2, 1, 5};
inline const Oid kIfPhysAddress{1, 3, 6, 1, 2, 1, 2, 2, 1, 6};
inline const Oid kIfAdminStatus{1, 3, 6, 1, 2, 1, 2, 2, 1, 7};
inline const Oid kIfOperStatus{1, 3, 6, 1, 2, 1, 2, 2, 1, 8};
inline const Oid kIfInOctets{1, 3, 6, 1, 2, 1, 2, 2, 1, 10};
inline const Oid kIfInDiscards{1, 3, 6, 1, 2, 1, 2, 2, 1, 13};
inline const Oid kIfInErrors{1, 3, 6, 1, 2, 1, 2, 2, 1, 14};
inline const Oid kIfOutOctets{1, 3, 6, 1, 2, 1, 2, 2, 1, 16};
inline const Oid kIfOutDiscards{1, 3, 6, 1, 2, 1, 2, 2, 1, 19};
inline const Oid kIfOutErrors{1, 3, 6, 1, 2, 1, 2, 2, 1, 20};
// IF-MIB ifXTable, AUGMENTS ifEntry.
inline const Oid kIfXEntry{1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
inline const Oid kIfName{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1};
inline const Oid kIfHCInOctets{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6};
inline const Oid kIfHCOutOctets{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10};
inline const Oid kIfHighSpeed{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15};
inline const Oid kIfAlias{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18};

// ENTITY-MIB (RFC 6933): entPhysicalTable, INDEX { entPhysicalIndex }.
inline const Oid kEntPhysicalEntry{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1};
inline const Oid kEntPhysicalDescr{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 2};
inline const Oid kEntPhysicalClass{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 5};
inline const Oid kEntPhysicalName{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7};
inline const Oid kEntPhysicalSerialNum{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11};
inline const Oid kEntPhysicalModelName{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 13};

// ENTITY-SENSOR-MIB (RFC 3433): entPhySensorTable, same INDEX as entPhysicalTable.
inline const Oid kEntPhySensorEntry{1, 3, 6, 1, 2, 1, 99, 1, 1, 1};
inline const Oid kEntPhySensorType{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 1};
inline const Oid kEntPhySensorScale{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 2};
inline const Oid kEntPhySensorPrecision{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 3};
inline const Oid kEntPhySensorValue{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 4};
inline const Oid kEntPhySensorOperStatus{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 5};

// IP-MIB (RFC 4293) ipAddressTable, INDEX { ipAddressAddrType, ipAddressAddr }.
inline const Oid kIpAddressEntry{1, 3, 6, 1, 2, 1, 4, 34, 1};
inline const Oid kIpAddressIfIndex{1, 3, 6, 1, 2, 1, 4, 34, 1, 3};
inline const Oid kIpAddressType{1, 3, 6, 1, 2, 1, 4, 34, 1, 4};
inline const Oid kIpAddressPrefix{1, 3, 6, 1, 2, 1, 4, 34, 1, 5};
/// ipAddressPrefixEntry, the table ipAddressPrefix points into: INDEX { ipAddressPrefixIfIndex,
/// ipAddressPrefixType, ipAddressPrefixPrefix, ipAddressPrefixLength }.
inline const Oid kIpAddressPrefixEntry{1, 3, 6, 1, 2, 1, 4, 32, 1};
// RFC 1213 / IP-MIB ipAddrTable (IPv4 only, deprecated), INDEX { ipAdEntAddr }.
inline const Oid kIpAddrEntry{1, 3, 6, 1, 2, 1, 4, 20, 1};
inline const Oid kIpAdEntIfIndex{1, 3, 6, 1, 2, 1, 4, 20, 1, 2};
inline const Oid kIpAdEntNetMask{1, 3, 6, 1, 2, 1, 4, 20, 1, 3};
// IP-MIB ipNetToPhysicalTable, INDEX { ipNetToPhysicalIfIndex, ipNetToPhysicalNetAddressType,
// ipNetToPhysicalNetAddress }.
inline const Oid kIpNetToPhysicalEntry{1, 3, 6, 1, 2, 1, 4, 35, 1};
inline const Oid kIpNetToPhysicalPhysAddress{1, 3, 6, 1, 2, 1, 4, 35, 1, 4};
inline const Oid kIpNetToPhysicalType{1, 3, 6, 1, 2, 1, 4, 35, 1, 6};
// RFC 1213 ipNetToMediaTable, INDEX { ipNetToMediaIfIndex, ipNetToMediaNetAddress }.
inline const Oid kIpNetToMediaEntry{1, 3, 6, 1, 2, 1, 4, 22, 1};
inline const Oid kIpNetToMediaPhysAddress{1, 3, 6, 1, 2, 1, 4, 22, 1, 2};
inline const Oid kIpNetToMediaType{1, 3, 6, 1, 2, 1, 4, 22, 1, 4};

// IP-FORWARD-MIB (RFC 4292) inetCidrRouteTable, INDEX { inetCidrRouteDestType,
// inetCidrRouteDest, inetCidrRoutePfxLen, inetCidrRoutePolicy, inetCidrRouteNextHopType,
// inetCidrRouteNextHop }.
inline const Oid kInetCidrRouteEntry{1, 3, 6, 1, 2, 1, 4, 24, 7, 1};
inline const Oid kInetCidrRouteIfIndex{1, 3, 6, 1, 2, 1, 4, 24, 7, 1, 7};
inline const Oid kInetCidrRouteType{1, 3, 6, 1, 2, 1, 4, 24, 7, 1, 8};
inline const Oid kInetCidrRouteProto{1, 3, 6, 1, 2, 1, 4, 24, 7, 1, 9};
// IP-FORWARD-MIB ipCidrRouteTable (deprecated), INDEX { ipCidrRouteDest, ipCidrRouteMask,
// ipCidrRouteTos, ipCidrRouteNextHop }.
inline const Oid kIpCidrRouteEntry{1, 3, 6, 1, 2, 1, 4, 24, 4, 1};
inline const Oid kIpCidrRouteIfIndex{1, 3, 6, 1, 2, 1, 4, 24, 4, 1, 5};
inline const Oid kIpCidrRouteType{1, 3, 6, 1, 2, 1, 4, 24, 4, 1, 6};
inline const Oid kIpCidrRouteProto{1, 3, 6, 1, 2, 1, 4, 24, 4, 1, 7};
// RFC 1213 ipRouteTable, INDEX { ipRouteDest }.
inline const Oid kIpRouteEntry{1, 3, 6, 1, 2, 1, 4, 21, 1};
inline const Oid kIpRouteIfIndex{1, 3, 6, 1, 2, 1, 4, 21, 1, 2};
inline const Oid kIpRouteNextHop{1, 3, 6, 1, 2, 1, 4, 21, 1, 7};
inline const Oid kIpRouteType{1, 3, 6, 1, 2, 1, 4, 21, 1, 8};
inline const Oid kIpRouteProto{1, 3, 6, 1, 2, 1, 4, 21, 1, 9};
inline const Oid kIpRouteMask{1, 3, 6, 1, 2, 1, 4, 21, 1, 11};

// LLDP-MIB (IEEE 802.1AB-2005, lldpMIB = 1.0.8802.1.1.2).
inline const Oid kLldpLocChassisIdSubtype{1, 0, 8802, 1, 1, 2, 1, 3, 1};
inline const Oid kLldpLocChassisId{1, 0, 8802, 1, 1, 2, 1, 3, 2};
// lldpLocPortTable, INDEX { lldpLocPortNum }.
inline const Oid kLldpLocPortEntry{1, 0, 8802, 1, 1, 2, 1, 3, 7, 1};
inline const Oid kLldpLocPortIdSubtype{1, 0, 8802, 1, 1, 2, 1, 3, 7, 1, 2};
inline const Oid kLldpLocPortId{1, 0, 8802, 1, 1, 2, 1, 3, 7, 1, 3};
inline const Oid kLldpLocPortDesc{1, 0, 8802, 1, 1, 2, 1, 3, 7, 1, 4};
// lldpRemTable, INDEX { lldpRemTimeMark, lldpRemLocalPortNum, lldpRemIndex }.
inline const Oid kLldpRemEntry{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1};
inline const Oid kLldpRemChassisIdSubtype{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 4};
inline const Oid kLldpRemChassisId{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 5};
inline const Oid kLldpRemPortIdSubtype{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 6};
inline const Oid kLldpRemPortId{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 7};
inline const Oid kLldpRemPortDesc{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 8};
inline const Oid kLldpRemSysName{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 9};
inline const Oid kLldpRemSysDesc{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 10};
// lldpRemManAddrTable, INDEX { lldpRemTimeMark, lldpRemLocalPortNum, lldpRemIndex,
// lldpRemManAddrSubtype, lldpRemManAddr }.
inline const Oid kLldpRemManAddrEntry{1, 0, 8802, 1, 1, 2, 1, 4, 2, 1};
inline const Oid kLldpRemManAddrIfSubtype{1, 0, 8802, 1, 1, 2, 1, 4, 2, 1, 3};
inline const Oid kLldpRemManAddrIfId{1, 0, 8802, 1, 1, 2, 1, 4, 2, 1, 4};

// BRIDGE-MIB (RFC 4188).
inline const Oid kDot1dBasePortEntry{1, 3, 6, 1, 2, 1, 17, 1, 4, 1};
inline const Oid kDot1dBasePortIfIndex{1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2};
/// dot1dTpFdbTable, INDEX { dot1dTpFdbAddress }.
inline const Oid kDot1dTpFdbEntry{1, 3, 6, 1, 2, 1, 17, 4, 3, 1};
inline const Oid kDot1dTpFdbPort{1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 2};
inline const Oid kDot1dTpFdbStatus{1, 3, 6, 1, 2, 1, 17, 4, 3, 1, 3};
// Q-BRIDGE-MIB (RFC 4363) dot1qTpFdbTable, INDEX { dot1qFdbId, dot1qTpFdbAddress }.
inline const Oid kDot1qTpFdbEntry{1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1};
inline const Oid kDot1qTpFdbPort{1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 2};
inline const Oid kDot1qTpFdbStatus{1, 3, 6, 1, 2, 1, 17, 7, 1, 2, 2, 1, 3};
/// dot1qVlanCurrentTable, INDEX { dot1qVlanTimeMark, dot1qVlanIndex }: maps VLAN to FDB id.
inline const Oid kDot1qVlanCurrentEntry{1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 2, 1};
inline const Oid kDot1qVlanFdbId{1, 3, 6, 1, 2, 1, 17, 7, 1, 4, 2, 1, 3};

// TCP-MIB (RFC 4022) tcpConnectionTable, INDEX { tcpConnectionLocalAddressType,
// tcpConnectionLocalAddress, tcpConnectionLocalPort, tcpConnectionRemAddressType,
// tcpConnectionRemAddress, tcpConnectionRemPort }.
inline const Oid kTcpConnectionEntry{1, 3, 6, 1, 2, 1, 6, 19, 1};
inline const Oid kTcpConnectionState{1, 3, 6, 1, 2, 1, 6, 19, 1, 7};
// TCP-MIB tcpConnTable (IPv4 only, deprecated), INDEX { tcpConnLocalAddress,
// tcpConnLocalPort, tcpConnRemAddress, tcpConnRemPort }.
inline const Oid kTcpConnEntry{1, 3, 6, 1, 2, 1, 6, 13, 1};
inline const Oid kTcpConnState{1, 3, 6, 1, 2, 1, 6, 13, 1, 1};

// UPS-MIB (RFC 1628).
inline const Oid kUpsBatteryStatus{1, 3, 6, 1, 2, 1, 33, 1, 2, 1};
inline const Oid kUpsSecondsOnBattery{1, 3, 6, 1, 2, 1, 33, 1, 2, 2};
inline const Oid kUpsEstimatedMinutesRemaining{1, 3, 6, 1, 2, 1, 33, 1, 2, 3};
inline const Oid kUpsEstimatedChargeRemaining{1, 3, 6, 1, 2, 1, 33, 1, 2, 4};
/// upsInputTable column, INDEX { upsInputLineIndex }.
inline const Oid kUpsInputVoltage{1, 3, 6, 1, 2, 1, 33, 1, 3, 3, 1, 3};
inline const Oid kUpsOutputSource{1, 3, 6, 1, 2, 1, 33, 1, 4, 1};
/// upsOutputTable column, INDEX { upsOutputLineIndex }.
inline const Oid kUpsOutputPercentLoad{1, 3, 6, 1, 2, 1, 33, 1, 4, 4, 1, 5};

/// The columns of one table the poller walks.
struct TableWalk {
  std::string name;          ///< the MIB table's name, e.g. "ifTable"
  std::vector<Oid> columns;  ///< column OIDs, walked in this order
  /// Name of the table this one replaces on agents that lack it; empty for a primary table.
  /// Walk a fallback only when its primary was walked and returned no rows (fallbacks chain:
  /// ipRouteTable stands in for ipCidrRouteTable, which stands in for inetCidrRouteTable).
  std::string fallback_for;
};

/// Scalars fetched every poll cycle: sysUpTime.0, to tell counter discontinuities.
const std::vector<Oid>& PollScalars();
/// Tables walked every poll cycle: ifTable and ifXTable (state, speed, counters, names).
const std::vector<TableWalk>& PollTables();
/// Scalars fetched at discovery: the system group and the LLDP local chassis id.
const std::vector<Oid>& DiscoveryScalars();
/// Tables walked at discovery: ENTITY-MIB, addresses, routes, ARP/ND, LLDP, bridge FDB, TCP.
const std::vector<TableWalk>& DiscoveryTables();
/// Scalars fetched for health: UPS-MIB battery and output state, input line 1, output line 1.
const std::vector<Oid>& HealthScalars();
/// Tables walked for health: ENTITY-SENSOR-MIB entPhySensorTable.
const std::vector<TableWalk>& HealthTables();

}  // namespace trinet::snmp
