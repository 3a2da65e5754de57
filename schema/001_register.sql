-- The register (台账): what is supposed to exist. Written only by `trinetctl inventory apply`.
-- `ord` keeps the register file's order so that an export reads like the file applied.
-- Foreign keys are deferred: apply writes a whole register in one transaction, in any order.

CREATE TABLE networks (
  id       TEXT PRIMARY KEY CHECK (id IN ('external', 'internal', 'classified')),
  name     TEXT NOT NULL,
  prefixes TEXT NOT NULL CHECK (json_valid(prefixes)),  -- JSON array of CIDR
  ord      INTEGER NOT NULL
) STRICT;

CREATE TABLE platforms (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  level        TEXT NOT NULL CHECK (level IN ('city', 'county')),
  parent       TEXT REFERENCES platforms (id) DEFERRABLE INITIALLY DEFERRED,
  frozen_since TEXT,
  ord          INTEGER NOT NULL
) STRICT;

CREATE TABLE units (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  platform    TEXT NOT NULL REFERENCES platforms (id) DEFERRABLE INITIALLY DEFERRED,
  admin_name  TEXT,
  admin_phone TEXT,
  admin_email TEXT,
  ord         INTEGER NOT NULL
) STRICT;

CREATE TABLE rooms (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  unit           TEXT REFERENCES units (id) DEFERRABLE INITIALLY DEFERRED,
  platform       TEXT NOT NULL REFERENCES platforms (id) DEFERRABLE INITIALLY DEFERRED,
  kind           TEXT NOT NULL CHECK (kind IN ('central', 'department')),
  status         TEXT NOT NULL CHECK (status IN ('active', 'consolidating', 'consolidated',
                                                 'decommissioned', 'exempt')),
  consolidate_by TEXT,
  exemption      TEXT,
  ord            INTEGER NOT NULL
) STRICT;

-- Secrets live here and nowhere else; the database file is created owner-only (0600).
CREATE TABLE credentials (
  id              TEXT PRIMARY KEY,
  version         TEXT NOT NULL CHECK (version IN ('1', '2c', '3')),
  community       TEXT,
  user            TEXT,
  auth_protocol   TEXT,
  auth_passphrase TEXT,
  priv_protocol   TEXT,
  priv_passphrase TEXT,
  ord             INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
  id          TEXT PRIMARY KEY,
  name        TEXT,
  room        TEXT NOT NULL REFERENCES rooms (id) DEFERRABLE INITIALLY DEFERRED,
  network     TEXT NOT NULL REFERENCES networks (id) DEFERRABLE INITIALLY DEFERRED,
  role        TEXT NOT NULL,
  address     TEXT NOT NULL,
  credentials TEXT NOT NULL REFERENCES credentials (id) DEFERRABLE INITIALLY DEFERRED,
  sysname     TEXT,
  installed   TEXT,
  ord         INTEGER NOT NULL
) STRICT;

CREATE TABLE egress (
  id              TEXT PRIMARY KEY,
  name            TEXT,
  platform        TEXT NOT NULL REFERENCES platforms (id) DEFERRABLE INITIALLY DEFERRED,
  network         TEXT NOT NULL REFERENCES networks (id) DEFERRABLE INITIALLY DEFERRED,
  device          TEXT NOT NULL REFERENCES devices (id) DEFERRABLE INITIALLY DEFERRED,
  interface       TEXT NOT NULL,
  public_prefixes TEXT NOT NULL CHECK (json_valid(public_prefixes)),
  gateway_macs    TEXT NOT NULL CHECK (json_valid(gateway_macs)),
  ord             INTEGER NOT NULL
) STRICT;

CREATE INDEX devices_room ON devices (room);
CREATE INDEX rooms_platform ON rooms (platform);
