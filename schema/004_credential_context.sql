-- SNMPv3 context name of a credential profile (RFC 3411 contextName): agents that keep
-- several MIB views (Cisco's per-VLAN BRIDGE-MIB, snmpsimd's data files) select them by it.
ALTER TABLE credentials ADD COLUMN context TEXT;
