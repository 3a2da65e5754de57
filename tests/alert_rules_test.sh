#!/usr/bin/env bash
# Checks the Prometheus alerting rules and the example Alertmanager configuration (issue 5):
#   promtool check rules dashboards/alerts/trinet.rules.yml
#   promtool test rules  dashboards/alerts/trinet.rules.test.yml
#   promtool check config dashboards/prometheus/prometheus.yml (the sample, with the rules)
#   amtool check-config  dashboards/alertmanager/alertmanager.yml
#   amtool config routes test: who receives which alert (the routing tree of the example)
# Exits non-zero when promtool or amtool is missing or any step fails. The same files run in a
# real Prometheus and Alertmanager in tests/alerts_e2e_test.py.
set -euo pipefail
cd "$(dirname "$0")/.."

PROMTOOL="${PROMTOOL:-promtool}"
AMTOOL="${AMTOOL:-amtool}"
for tool in "$PROMTOOL" "$AMTOOL"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "alert_rules_test: $tool not found (tools/setup installs prometheus and prometheus-alertmanager)" >&2
    exit 2
  fi
done

"$PROMTOOL" check rules dashboards/alerts/trinet.rules.yml
"$PROMTOOL" test rules dashboards/alerts/trinet.rules.test.yml
"$PROMTOOL" check config dashboards/prometheus/prometheus.yml

am=dashboards/alertmanager/alertmanager.yml
"$AMTOOL" check-config "$am"

# Every alert name the rules define is one the routing below was written for.
rules=$(grep -oP '^\s*- alert: \K\S+' dashboards/alerts/trinet.rules.yml | sort)
known="TrinetCentralRoomDeviceDown TrinetCentralRoomSwitchDown TrinetCentralRoomUpsOnBattery
TrinetDaemonDown TrinetExitUtilisationHigh TrinetNetworkBridge TrinetOrphanRoom
TrinetPollCycleTooLong TrinetRogueExit TrinetRoomTemperatureHigh TrinetSanctionedExitDown
TrinetSnmpTimeoutRatioHigh"
if [ "$rules" != "$(tr ' ' '\n' <<<"$known" | grep . | sort)" ]; then
  echo "alert_rules_test: the alert names changed; update the routing cases below:" >&2
  echo "$rules" >&2
  exit 1
fi

# route LABELS... -> the receivers, in order.
route() {
  local want=$1
  shift
  if ! "$AMTOOL" config routes test --config.file="$am" --verify.receivers="$want" "$@" \
      >/dev/null 2>&1; then
    echo "alert_rules_test: $* should go to $want, goes to:" >&2
    "$AMTOOL" config routes test --config.file="$am" "$@" 2>/dev/null >&2
    exit 1
  fi
  echo "  route $* -> $want"
}
echo "Routing of $am:"
# Critical: the city duty desk, and the county's desk for a county.
route city-duty-desk,wugong-desk alertname=TrinetRogueExit severity=critical platform=wugong
route city-duty-desk alertname=TrinetRogueExit severity=critical platform=xianyang
route city-duty-desk,qindu-desk alertname=TrinetNetworkBridge severity=critical platform=qindu
route city-duty-desk,xingping-desk alertname=TrinetSanctionedExitDown severity=critical platform=xingping
# Warnings: the county's desk, or the city's engineers.
route xingping-desk alertname=TrinetExitUtilisationHigh severity=warning platform=xingping
route city-network-engineers alertname=TrinetExitUtilisationHigh severity=warning platform=xianyang
# Orphan rooms: the consolidation office, and the county's desk.
route consolidation-office,changwu-desk alertname=TrinetOrphanRoom severity=warning platform=changwu
route consolidation-office alertname=TrinetOrphanRoom severity=warning platform=xianyang
# trinet itself.
route city-duty-desk,trinet-operators alertname=TrinetDaemonDown severity=critical
route trinet-operators alertname=TrinetPollCycleTooLong severity=warning
# A platform the example does not list still reaches someone.
route city-network-engineers alertname=TrinetRoomTemperatureHigh severity=warning platform=elsewhere
echo "alert_rules_test: ok"
