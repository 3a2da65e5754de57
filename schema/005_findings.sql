-- Findings (docs/findings.md): one row per finding id with its latest content and its place
-- in the lifecycle, and every change of state in finding_history. Written by trinetd's
-- writer after each rule evaluation and by `trinetctl findings ack|waive|evaluate`.

-- When trinet first tried a device: a device that never answered is silent since then.
ALTER TABLE device_status ADD COLUMN first_poll_at INTEGER;
UPDATE device_status SET first_poll_at = last_poll_at;

CREATE TABLE findings (
  id           TEXT PRIMARY KEY,   -- rule[:reason]:subject type:subject id, stable
  rule         TEXT NOT NULL,
  reason       TEXT NOT NULL,
  severity     TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
  state        TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'waived', 'resolved')),
  subject_type TEXT NOT NULL,
  subject_id   TEXT NOT NULL,
  subject_name TEXT NOT NULL,
  network      TEXT NOT NULL,      -- register ids, '' when not known
  platform     TEXT NOT NULL,
  room         TEXT NOT NULL,
  unit         TEXT NOT NULL,
  policy       TEXT NOT NULL,
  summary      TEXT NOT NULL,
  evidence     TEXT NOT NULL CHECK (json_valid(evidence)),  -- of the latest evaluation
  first_seen   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  resolved_at  INTEGER,
  ack_by       TEXT,
  ack_note     TEXT,
  ack_at       INTEGER,
  waived_by    TEXT,
  waive_reason TEXT,
  waived_until TEXT,               -- YYYY-MM-DD, last day waived
  waived_at    INTEGER
) STRICT;
CREATE INDEX findings_state ON findings (state, severity);

CREATE TABLE finding_history (
  seq     INTEGER PRIMARY KEY,
  finding TEXT NOT NULL REFERENCES findings (id),
  at      INTEGER NOT NULL,
  event   TEXT NOT NULL,  -- opened, reopened, resolved, acknowledged, waived, waiver-expired
  by      TEXT NOT NULL,
  note    TEXT NOT NULL
) STRICT;
CREATE INDEX finding_history_finding ON finding_history (finding, seq);
