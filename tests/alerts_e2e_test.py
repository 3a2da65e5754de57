#!/usr/bin/env python3
"""Alerts end to end (issue 5), with the real Prometheus and Alertmanager from Debian.

The demo lab on 127.5.x.y, trinetd polling it, Prometheus scraping trinetd with
dashboards/alerts/trinet.rules.yml and sending to an Alertmanager that runs the example
dashboards/alertmanager/alertmanager.yml, with only its addresses and group timings rewritten:
the webhooks point at a receiver in this test, the SMTP relay at a sink in this test.

Checks, each within a bounded time:
  1. the planted rogue exit of Wugong reaches the city duty desk's webhook and Wugong's desk
     webhook, firing, with severity/network/platform/room/unit/id labels and the unit's
     administrator and phone in the description; the duty desk's e-mail arrives too;
  2. `trinetctl findings ack` of that finding resolves the alert: Prometheus drops it and the
     webhook gets it as resolved, while the other planted rogue exit keeps firing;
  3. the example's inhibition works in the real Alertmanager: a central room's switch down
     suppresses that room's device-down alert but not another room's.

    tests/alerts_e2e_test.py --build BUILD_DIR
Every socket is on 127.0.0.1 (the lab on 127.5.0.0/16); nothing leaves the machine.
"""

import argparse
import http.server
import json
import os
import re
import socketserver
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "live"))
from stack import SOURCE_DIR, Stack, StackError, free_port, http_get  # noqa: E402

ROGUE = "rogue-exit:device:wg-rsj-int-srv1"        # planted in the lab (docs/lab.md)
OTHER_ROGUE = "rogue-exit:device:xy-wjw-ext-sw1"  # planted too; stays open
DELIVERY_BOUND = 90    # seconds from the first scrape with findings to the webhook
RESOLVE_BOUND = 90     # seconds from the acknowledgement to the resolved notification


class WebhookReceiver:
    """Records Alertmanager's webhook POSTs, by path (one path per receiver)."""

    def __init__(self):
        self.posts = []  # (time, path, payload)
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.posts.append((time.monotonic(), self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, path):
        """(status, alert) for every alert in every POST to path."""
        with self.lock:
            return [(a["status"], a) for _, p, payload in self.posts if p == path
                    for a in payload["alerts"]]

    def find(self, path, status, finding_id):
        for s, a in self.alerts(path):
            if s == status and a["labels"].get("id") == finding_id:
                return a
        return None

    def close(self):
        self.server.shutdown()


class SmtpSink:
    """Just enough SMTP to take Alertmanager's e-mails and keep them."""

    def __init__(self):
        self.messages = []  # (recipients, data)
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                recipients, lines, in_data = [], [], False
                self.wfile.write(b"220 sink ESMTP\r\n")
                for raw in self.rfile:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if in_data:
                        if line == ".":
                            outer.messages.append((recipients, "\n".join(lines)))
                            recipients, lines, in_data = [], [], False
                            self.wfile.write(b"250 queued\r\n")
                        else:
                            lines.append(line[1:] if line.startswith("..") else line)
                        continue
                    verb = line.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip(" <>"))
                        self.wfile.write(b"250 ok\r\n")
                    elif verb == "DATA":
                        in_data = True
                        self.wfile.write(b"354 go on\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # HELO, MAIL, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def rewrite_alertmanager_config(text, webhook_port, smtp_port):
    """The example with addresses pointed at this test and timings shortened; raises if the
    example's shape changed so that a rewrite no longer applies."""
    out, n = re.subn(r"http://127\.0\.0\.1:9099/", "http://127.0.0.1:%d/" % webhook_port, text)
    if n < 2:
        raise AssertionError("expected webhook URLs on 127.0.0.1:9099 in the example")
    out, n = re.subn(r'smtp_smarthost: "[^"]*"', 'smtp_smarthost: "127.0.0.1:%d"' % smtp_port,
                     out)
    if n != 1:
        raise AssertionError("expected one smtp_smarthost in the example")
    # Group timings of minutes would make a slow test; routing, grouping keys, receivers and
    # inhibition stay as they are.
    out, n1 = re.subn(r"group_wait: \S+", "group_wait: 1s", out)
    out, n2 = re.subn(r"group_interval: \S+", "group_interval: 3s", out)
    if not n1 or not n2:
        raise AssertionError("expected group_wait and group_interval in the example")
    return out


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True, help="the CMake build folder")
    parser.add_argument("--keep", action="store_true", help="keep the stack's files")
    args = parser.parse_args()

    webhook, smtp = WebhookReceiver(), SmtpSink()
    try:
        with Stack("alerts", args.build, lab_net=5, keep=args.keep) as stack:
            run(stack, webhook, smtp)
    finally:
        webhook.close()
        smtp.close()
    print("alerts_e2e_test: ok")


def run(stack, webhook, smtp):
    with open(os.path.join(SOURCE_DIR, "dashboards/alertmanager/alertmanager.yml"),
              encoding="utf-8") as f:
        config = rewrite_alertmanager_config(f.read(), webhook.port, smtp.port)
    config_path = os.path.join(stack.dir, "alertmanager.yml")
    with open(config_path, "w", encoding="utf-8") as f:
        f.write(config)

    t0 = time.monotonic()
    stack.start_lab()
    stack.start_trinetd(poll_interval=5)
    stack.start_alertmanager(config_path)
    stack.start_prometheus(rule_files=[os.path.join(SOURCE_DIR,
                                                    "dashboards/alerts/trinet.rules.yml")])
    stack.wait_for(lambda: stack.query('trinet_finding_open{id="%s"}' % ROGUE),
                   "Prometheus to scrape the planted rogue exit", timeout=180, interval=1)
    scraped = time.monotonic()
    print("first scrape with the planted findings after %.1f s" % (scraped - t0))

    # 1. Delivery to the duty desk and the county's desk, with labels and who to call.
    duty = stack.wait_for(lambda: webhook.find("/alerts/city-duty-desk", "firing", ROGUE),
                          "the rogue-exit alert at the duty desk's webhook",
                          timeout=DELIVERY_BOUND)
    delivered = time.monotonic()
    print("rogue exit delivered to the duty desk %.1f s after the scrape" % (delivered - scraped))
    labels = duty["labels"]
    expected = {"alertname": "TrinetRogueExit", "severity": "critical", "rule": "rogue-exit",
                "network": "internal", "platform": "wugong", "room": "wg-rsj-room",
                "unit": "wg-rsj", "subject": "wg-rsj-int-srv1", "id": ROGUE}
    for key, value in expected.items():
        check(labels.get(key) == value,
              "label %s: want %r, got %r in %s" % (key, value, labels.get(key), labels))
    finding = json.loads(stack.ctl("findings", "show", ROGUE, "--json"))
    admin = finding["admin"]
    description = duty["annotations"]["description"]
    check(admin["name"] and admin["name"] in description and admin["phone"] in description,
          "the description names %s and %s: %s" % (admin["name"], admin["phone"], description))
    check(ROGUE in description and "trinetctl findings ack" in description,
          "the description gives the finding id and the ack command: " + description)
    check(duty["annotations"]["summary"].startswith("Rogue Internet exit on wg-rsj-int-srv1"),
          "summary: " + duty["annotations"]["summary"])
    stack.wait_for(lambda: webhook.find("/alerts/wugong-desk", "firing", ROGUE),
                   "the rogue-exit alert at Wugong's desk", timeout=30)
    check(not webhook.find("/alerts/xingping-desk", "firing", ROGUE),
          "another county's desk got Wugong's alert")
    subject = "Subject: [FIRING] TrinetRogueExit wugong wg-rsj-room"
    stack.wait_for(
        lambda: [m for m in smtp.messages if "duty-desk@example.gov.cn" in m[0]
                 and subject in m[1]],
        "the duty desk's e-mail with %r" % subject, timeout=30)
    print("e-mail to the duty desk: ok; Wugong's desk webhook: ok")

    # 2. Acknowledging the finding resolves the alert; the other rogue exit keeps firing.
    stack.wait_for(lambda: webhook.find("/alerts/city-duty-desk", "firing", OTHER_ROGUE),
                   "the second planted rogue exit at the duty desk", timeout=30)
    stack.ctl("findings", "ack", ROGUE, "--by", "duty officer", "--note",
              "alerts e2e: link cut by the unit")
    acked = time.monotonic()
    stack.wait_for(lambda: not stack.query('trinet_finding_open{id="%s"}' % ROGUE),
                   "trinet_finding_open of the acknowledged finding to go", timeout=60)
    resolved = stack.wait_for(
        lambda: webhook.find("/alerts/city-duty-desk", "resolved", ROGUE),
        "the resolved notification at the duty desk", timeout=RESOLVE_BOUND)
    print("resolved at the duty desk %.1f s after the ack" % (time.monotonic() - acked))
    check(resolved["labels"]["id"] == ROGUE, "resolved the wrong alert")
    firing = {a["labels"].get("id") for a in stack.alerts() if a["state"] == "firing"}
    check(ROGUE not in firing, "Prometheus still fires the acknowledged finding")
    check(OTHER_ROGUE in firing, "the other rogue exit must keep firing: %s" % sorted(firing))
    check(not webhook.find("/alerts/city-duty-desk", "resolved", OTHER_ROGUE),
          "the other rogue exit was resolved too")

    # 3. Inhibition in the real Alertmanager, with alerts as the rules would raise them.
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def alert(name, room, device):
        return {"labels": {"alertname": name, "severity": "critical", "platform": "xianyang",
                           "room": room, "device": device, "network": "internal"},
                "annotations": {"summary": "e2e inhibition check"}, "startsAt": now}
    synthetic = [alert("TrinetCentralRoomSwitchDown", "e2e-dc", "e2e-core1"),
                 alert("TrinetCentralRoomDeviceDown", "e2e-dc", "e2e-srv1"),
                 alert("TrinetCentralRoomDeviceDown", "e2e-other-dc", "e2e-srv2")]
    request = urllib.request.Request(stack.alertmanager_url + "/api/v2/alerts",
                                     data=json.dumps(synthetic).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()

    def states():
        got = json.loads(http_get(stack.alertmanager_url + "/api/v2/alerts"))
        by_device = {a["labels"].get("device"): a["status"] for a in got
                     if a["labels"].get("device", "").startswith("e2e-")}
        return by_device if len(by_device) == 3 and all(
            s["state"] != "unprocessed" for s in by_device.values()) else None
    by_device = stack.wait_for(states, "Alertmanager to process the inhibition check", timeout=30)
    check(by_device["e2e-srv1"]["state"] == "suppressed" and by_device["e2e-srv1"]["inhibitedBy"],
          "a device down behind its room's switch must be inhibited: %s" % by_device)
    check(by_device["e2e-srv2"]["state"] == "active",
          "a device down in another room must not be inhibited: %s" % by_device)
    check(by_device["e2e-core1"]["state"] == "active",
          "the switch's own alert stays active: %s" % by_device)
    print("inhibition (switch down holds back its room's device-down): ok")


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, StackError) as e:
        print("alerts_e2e_test: FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
