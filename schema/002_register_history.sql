-- Every apply that changed something, and each field it changed, for the auditors
-- (`trinetctl inventory history`). Secret values are stored as '<redacted>'.

CREATE TABLE register_applies (
  id         INTEGER PRIMARY KEY,
  applied_at TEXT NOT NULL,  -- UTC, ISO 8601
  file       TEXT NOT NULL,
  sha256     TEXT NOT NULL,  -- of the register file's bytes
  applied_by TEXT
) STRICT;

CREATE TABLE register_history (
  id        INTEGER PRIMARY KEY,
  apply_id  INTEGER NOT NULL REFERENCES register_applies (id),
  op        TEXT NOT NULL CHECK (op IN ('added', 'changed', 'removed')),
  entity    TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  field     TEXT NOT NULL,
  old_value TEXT,  -- NULL: the entity or field did not exist
  new_value TEXT   -- NULL: the entity or field was removed
) STRICT;

CREATE INDEX register_history_entity ON register_history (entity, entity_id);
CREATE INDEX register_applies_at ON register_applies (applied_at);
