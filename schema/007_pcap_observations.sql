-- What the passive egress watch found (issue 6, docs/pcap.md): one row per capture source,
-- rule kind, network, VLANs and suspect, written by trinetd's capture and by
-- `trinetctl pcap analyze --record`. A repeat adds packets, bytes and flows and widens the
-- first/last seen (microseconds of capture time). recorded_at (Unix seconds, the writer's
-- clock) is what the rules' evidence window counts from. The example frame and addresses
-- are those of the row's first recording. VLANs: -1 when the frame had no such tag.
CREATE TABLE pcap_observations (
  source          TEXT NOT NULL,     -- "file:NAME" or the capture interface
  kind            TEXT NOT NULL
                  CHECK (kind IN ('public-traffic', 'gateway-bypass', 'foreign-resolver',
                                  'rogue-dhcp')),
  network         TEXT NOT NULL,
  outer_vlan      INTEGER NOT NULL,
  inner_vlan      INTEGER NOT NULL,
  suspect_mac     TEXT NOT NULL,     -- lower-case aa:bb:cc:dd:ee:ff
  suspect_address TEXT NOT NULL,     -- canonical text
  src_mac         TEXT NOT NULL,
  dst_mac         TEXT NOT NULL,
  src             TEXT NOT NULL,
  dst             TEXT NOT NULL,
  dns_names       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(dns_names)),
  routers         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(routers)),
  dns_servers     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(dns_servers)),
  packets         INTEGER NOT NULL,
  bytes           INTEGER NOT NULL,
  flows           INTEGER NOT NULL,
  first_seen_us   INTEGER NOT NULL,
  last_seen_us    INTEGER NOT NULL,
  recorded_at     INTEGER NOT NULL,
  PRIMARY KEY (source, kind, network, outer_vlan, inner_vlan, suspect_mac, suspect_address)
) STRICT;
CREATE INDEX pcap_observations_recorded ON pcap_observations (recorded_at);
CREATE INDEX pcap_observations_suspect ON pcap_observations (suspect_mac, kind);
