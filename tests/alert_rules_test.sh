#!/usr/bin/env bash
# Checks the Prometheus alerting rules and runs their unit tests (issue 5):
#   promtool check rules dashboards/alerts/trinet.rules.yml
#   promtool test rules  dashboards/alerts/trinet.rules.test.yml
# Exits non-zero when promtool is missing or either step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

PROMTOOL="${PROMTOOL:-promtool}"
if ! command -v "$PROMTOOL" >/dev/null 2>&1; then
  echo "alert_rules_test: promtool not found (install prometheus or set PROMTOOL)" >&2
  exit 2
fi

"$PROMTOOL" check rules dashboards/alerts/trinet.rules.yml
"$PROMTOOL" test rules dashboards/alerts/trinet.rules.test.yml
