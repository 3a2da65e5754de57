-- What the collectors observe. Written only by trinetd's writer thread, one transaction per
-- batch. No foreign keys to the register: a device removed from the register keeps its
-- history here. Times are Unix seconds (UTC).

-- Latest state of each polled device.
CREATE TABLE device_status (
  device           TEXT PRIMARY KEY,
  up               INTEGER NOT NULL,
  reason           TEXT,             -- why down; NULL when up
  last_poll_at     INTEGER NOT NULL,
  last_up_at       INTEGER,          -- last time it answered
  poll_duration    REAL,             -- seconds
  sys_name         TEXT,
  sys_descr        TEXT,
  sys_object_id    TEXT,
  sys_location     TEXT,
  sys_contact      TEXT,
  sys_uptime_ticks INTEGER,
  chassis_serial   TEXT,
  chassis_model    TEXT,
  discovered_at    INTEGER           -- last discovery that answered
) STRICT;

-- Latest state of each interface; replaced on every poll of its device.
CREATE TABLE interface_status (
  device        TEXT NOT NULL,
  ifindex       INTEGER NOT NULL,
  name          TEXT NOT NULL,
  descr         TEXT,
  alias         TEXT,
  type          INTEGER,
  phys_address  TEXT,
  admin_up      INTEGER,
  oper_up       INTEGER,
  speed_bits    REAL,
  rx_bytes      INTEGER,  -- monotonic totals (unsigned 64-bit stored as its bit pattern)
  tx_bytes      INTEGER,
  rx_errors     INTEGER,
  tx_errors     INTEGER,
  rx_discards   INTEGER,
  tx_discards   INTEGER,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (device, ifindex)
) STRICT, WITHOUT ROWID;

-- Discovery facts: addresses, routes, ARP/ND neighbours, LLDP neighbours, forwarding
-- entries, TCP connections. `key` identifies the fact within its kind on the device, `value`
-- is JSON. A fact seen again keeps first_seen and moves last_seen; one not seen again stays
-- with its old last_seen, which is the evidence's observation time.
CREATE TABLE facts (
  device     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL CHECK (json_valid(value)),
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY (device, kind, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX facts_kind_seen ON facts (kind, last_seen);

-- The last walk of each table per device and how it ended: a fact whose last_seen is older
-- than a *complete* walk of its table is gone; after an incomplete walk nothing is known.
CREATE TABLE walks (
  device       TEXT NOT NULL,
  walk         TEXT NOT NULL,
  completed_at INTEGER NOT NULL,
  end          TEXT NOT NULL,  -- complete, row cap, timeout, …
  varbinds     INTEGER NOT NULL,  -- values read
  PRIMARY KEY (device, walk)
) STRICT, WITHOUT ROWID;

-- Machine-room health readings (UPS, temperature, humidity), latest value per key.
CREATE TABLE health (
  device     TEXT NOT NULL,
  key        TEXT NOT NULL,  -- e.g. ups.on_battery, sensor.temperature.CPU
  value      REAL NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (device, key)
) STRICT, WITHOUT ROWID;
