// trinet-lab-agent-loadgen: a raw-UDP SNMP load generator for trinet-lab-agent (docs/lab.md,
// "The lab agent"). It keeps --window table walks in flight over the endpoints of a devices
// file (or --target endpoints): each walk asks GETBULK (non-repeaters 0, --max-repetitions R)
// for --columns columns of --table, continues from the last row it got, and starts over at the
// end of the table, the way a poller walks ifTable. It reports requests and varbinds per
// second and, with --agent-pid, the agent's CPU time (utime + stime from /proc/PID/stat).
//
//   trinet-lab-agent-loadgen --devices FILE [--seconds 5] [--window 64] [--max-repetitions 25]
//                            [--columns 16] [--table 1.3.6.1.2.1.2.2.1] [--agent-pid PID]
//
// Only 127.0.0.0/8 targets are accepted. Exit 0 when some answers came back, 1 otherwise,
// 2 on bad usage.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "ber.h"
#include "config.h"
#include "server.h"

namespace trinet::lab {
namespace {

using Clock = std::chrono::steady_clock;

struct Target {
  sockaddr_in addr{};
  std::string community;
};

// One table walk with one request in flight.
struct Flow {
  std::size_t target = 0;
  std::vector<std::string> next;  // OID content per column to continue from
  std::int32_t reqid = 0;
  Clock::time_point sent;
};

double CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string Request(const Target& t, std::int32_t reqid, std::int64_t max_repetitions,
                    const std::vector<std::string>& oids) {
  std::string list;
  for (const std::string& oid : oids) {
    std::string vb;
    AppendTlv(kTagObjectId, Bytes(reinterpret_cast<const std::uint8_t*>(oid.data()), oid.size()),
              &vb);
    vb += std::string("\x05\x00", 2);
    list.push_back(static_cast<char>(kTagSequence));
    AppendLength(vb.size(), &list);
    list += vb;
  }
  std::string pdu;
  AppendSigned(kTagInteger, reqid, &pdu);
  AppendSigned(kTagInteger, 0, &pdu);
  AppendSigned(kTagInteger, max_repetitions, &pdu);
  pdu.push_back(static_cast<char>(kTagSequence));
  AppendLength(list.size(), &pdu);
  pdu += list;
  std::string body;
  AppendSigned(kTagInteger, 1, &body);
  AppendTlv(kTagOctetString,
            Bytes(reinterpret_cast<const std::uint8_t*>(t.community.data()), t.community.size()),
            &body);
  body.push_back(static_cast<char>(kTagGetBulkRequest));
  AppendLength(pdu.size(), &body);
  body += pdu;
  std::string msg(1, static_cast<char>(kTagSequence));
  AppendLength(body.size(), &msg);
  return msg + body;
}

struct Parsed {
  std::int64_t reqid = 0;
  std::int64_t error_status = 0;
  std::vector<std::pair<Bytes, std::uint8_t>> varbinds;  // OID content, value tag
};

bool Parse(Bytes msg, Parsed* p) {
  p->varbinds.clear();
  BerReader top(msg);
  BerReader m(msg);
  Bytes c;
  if (!top.Enter(kTagSequence, &m) || !m.ReadPrimitive(kTagInteger, &c) ||
      !m.ReadPrimitive(kTagOctetString, &c)) {
    return false;
  }
  BerReader pdu(msg);
  std::int64_t ignored = 0;
  if (!m.Enter(kTagResponse, &pdu) || !pdu.ReadPrimitive(kTagInteger, &c) ||
      !IntegerValue(c, &p->reqid) || !pdu.ReadPrimitive(kTagInteger, &c) ||
      !IntegerValue(c, &p->error_status) || !pdu.ReadPrimitive(kTagInteger, &c) ||
      !IntegerValue(c, &ignored)) {
    return false;
  }
  BerReader list(msg);
  if (!pdu.Enter(kTagSequence, &list)) return false;
  while (!list.AtEnd()) {
    BerReader vb(msg);
    Bytes oid;
    Bytes value;
    std::uint8_t tag = 0;
    if (!list.Enter(kTagSequence, &vb) || !vb.ReadPrimitive(kTagObjectId, &oid) ||
        !vb.PeekTag(&tag) || !vb.ReadPrimitive(tag, &value) || !list.Leave(vb)) {
      return false;
    }
    p->varbinds.emplace_back(oid, tag);
  }
  return true;
}

int Main(int argc, char** argv) {
  CLI::App app{"trinet-lab-agent-loadgen: pipelined GETBULK table walks against the lab agent",
               "trinet-lab-agent-loadgen"};
  std::string devices;
  std::vector<std::string> target_texts;
  std::string community = "public";
  double seconds = 5;
  std::size_t window = 64;
  std::int64_t max_repetitions = 25;
  std::size_t columns = 16;
  std::string table = "1.3.6.1.2.1.2.2.1";
  int agent_pid = 0;
  int timeout_ms = 1000;
  app.add_option("--devices", devices, "the agent's devices file: its endpoints and communities");
  app.add_option("--target", target_texts, "ADDRESS:PORT (with --community)");
  app.add_option("--community", community, "community for --target");
  app.add_option("--seconds", seconds, "how long to run")->check(CLI::PositiveNumber);
  app.add_option("--window", window, "walks in flight")->check(CLI::Range(1, 4096));
  app.add_option("--max-repetitions", max_repetitions, "GETBULK max-repetitions")
      ->check(CLI::Range(0, 10000));
  app.add_option("--columns", columns, "columns walked together")->check(CLI::Range(1, 64));
  app.add_option("--table", table, "the table's entry OID (columns are .1 .. .N)");
  app.add_option("--agent-pid", agent_pid, "report this process's CPU time");
  app.add_option("--timeout-ms", timeout_ms, "resend a request unanswered this long")
      ->check(CLI::Range(10, 60000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  std::vector<Target> targets;
  auto add = [&](const Endpoint& e, const std::string& c) {
    Target t;
    t.addr.sin_family = AF_INET;
    t.addr.sin_addr.s_addr = e.address;
    t.addr.sin_port = htons(e.port);
    t.community = c;
    targets.push_back(t);
  };
  if (!devices.empty()) {
    std::ifstream in(devices);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) {
      std::cerr << devices << ": cannot read\n";
      return 2;
    }
    auto parsed = ParseDevicesFile(text, devices, ".");
    for (const auto& e : parsed.errors) std::cerr << e << "\n";
    if (!parsed.errors.empty()) return 2;
    for (const auto& d : parsed.devices) add(d.endpoint, d.community);
  }
  for (const std::string& t : target_texts) {
    Endpoint e;
    std::string error;
    if (!ParseEndpoint(t, &e, &error)) {
      std::cerr << "--target: " << error << "\n";
      return 2;
    }
    add(e, community);
  }
  if (targets.empty()) {
    std::cerr << "give --devices FILE or --target ADDRESS:PORT\n";
    return 2;
  }
  for (const Target& t : targets) {
    if ((ntohl(t.addr.sin_addr.s_addr) >> 24) != 127) {
      std::cerr << "only 127.0.0.0/8 targets are allowed\n";
      return 2;
    }
  }
  auto table_oid = snmp::Oid::Parse(table);
  if (!table_oid) {
    std::cerr << "--table: bad OID\n";
    return 2;
  }
  std::vector<std::string> roots;
  std::vector<std::vector<std::uint64_t>> root_arcs;
  for (std::size_t c = 1; c <= columns; ++c) {
    std::string content;
    const snmp::Oid col = table_oid->Append({static_cast<std::uint32_t>(c)});
    if (!EncodeOidContent(col, &content)) {
      std::cerr << "--table: OID cannot be encoded\n";
      return 2;
    }
    roots.push_back(content);
    root_arcs.emplace_back(col.arcs().begin(), col.arcs().end());
  }

  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!sock.valid()) {
    std::perror("socket");
    return 1;
  }
  const int buffer = 8 << 20;
  if (setsockopt(sock.get(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer)) != 0 ||
      setsockopt(sock.get(), SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer)) != 0) {
    std::perror("setsockopt");  // smaller buffers only mean more resends
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(sock.get(), reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
    std::perror("bind");
    return 1;
  }

  std::vector<Flow> flows(window);
  std::uint64_t requests = 0;
  std::uint64_t responses = 0;
  std::uint64_t varbinds = 0;
  std::uint64_t resends = 0;
  std::uint64_t walks = 0;
  std::uint64_t errors = 0;
  std::int32_t generation = 0;
  auto send = [&](std::size_t f) {
    Flow& flow = flows[f];
    generation = (generation + 1) & 0x7fff;
    flow.reqid = static_cast<std::int32_t>(generation * 4096 + static_cast<std::int32_t>(f));
    const std::string msg = Request(targets[flow.target], flow.reqid, max_repetitions, flow.next);
    flow.sent = Clock::now();
    ++requests;
    const Target& t = targets[flow.target];
    if (sendto(sock.get(), msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&t.addr),
               sizeof(t.addr)) < 0) {
      ++errors;  // counted; the timeout resends it
    }
  };

  const double cpu_start = agent_pid > 0 ? CpuSeconds(agent_pid) : -1;
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (std::size_t f = 0; f < flows.size(); ++f) {
    flows[f].target = f % targets.size();
    flows[f].next = roots;
    send(f);
  }

  constexpr int kBatch = 64;
  std::vector<std::uint8_t> in(kBatch * 65536);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  Parsed parsed;
  auto last_check = Clock::now();
  while (Clock::now() < deadline) {
    pollfd pfd{sock.get(), POLLIN, 0};
    const int ready = poll(&pfd, 1, 10);
    if (ready < 0 && errno != EINTR) {
      std::perror("poll");
      return 1;
    }
    for (int i = 0; i < kBatch; ++i) {
      const auto k = static_cast<std::size_t>(i);
      iov[k] = {in.data() + k * 65536, 65536};
      msgs[k].msg_hdr = {};
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(sock.get(), msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      std::perror("recvmmsg");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (!Parse(Bytes(in.data() + k * 65536, msgs[k].msg_len), &parsed)) {
        ++errors;
        continue;
      }
      const auto f = static_cast<std::size_t>(parsed.reqid % 4096);
      if (parsed.reqid < 0 || f >= flows.size() || flows[f].reqid != parsed.reqid) continue;
      ++responses;
      varbinds += parsed.varbinds.size();
      Flow& flow = flows[f];
      // Continue from the last row while every column is still inside its own column.
      bool more = parsed.error_status == 0 && parsed.varbinds.size() >= columns;
      if (more) {
        const std::size_t first = parsed.varbinds.size() - columns;
        for (std::size_t c = 0; c < columns && more; ++c) {
          const auto& [oid, tag] = parsed.varbinds[first + c];
          std::vector<std::uint64_t> arcs;
          more = tag != kTagEndOfMibView && DecodeOid(oid, &arcs) &&
                 arcs.size() > root_arcs[c].size() &&
                 std::equal(root_arcs[c].begin(), root_arcs[c].end(), arcs.begin());
          if (more) flow.next[c].assign(oid.begin(), oid.end());
        }
      }
      if (!more) {
        ++walks;
        flow.next = roots;
        flow.target = (flow.target + flows.size()) % targets.size();
      }
      send(f);
    }
    const auto now = Clock::now();
    if (now - last_check > std::chrono::milliseconds(timeout_ms / 4)) {
      last_check = now;
      for (std::size_t f = 0; f < flows.size(); ++f) {
        if (now - flows[f].sent > std::chrono::milliseconds(timeout_ms)) {
          ++resends;
          send(f);
        }
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu_end = agent_pid > 0 ? CpuSeconds(agent_pid) : -1;
  std::printf(
      "%zu endpoints, window %zu, GETBULK max-repetitions %lld x %zu columns: %.1f s, "
      "%llu requests, %llu answers (%.0f/s), %llu varbinds (%.0f/s), %llu walks, %llu resends, "
      "%llu errors",
      targets.size(), window, static_cast<long long>(max_repetitions), columns, elapsed,
      static_cast<unsigned long long>(requests), static_cast<unsigned long long>(responses),
      static_cast<double>(responses) / elapsed, static_cast<unsigned long long>(varbinds),
      static_cast<double>(varbinds) / elapsed, static_cast<unsigned long long>(walks),
      static_cast<unsigned long long>(resends), static_cast<unsigned long long>(errors));
  if (cpu_start >= 0 && cpu_end >= 0) {
    const double cpu = cpu_end - cpu_start;
    std::printf("; agent CPU %.2f s (%.0f%% of one core), %.0f varbinds per agent CPU second", cpu,
                100.0 * cpu / elapsed, cpu > 0 ? static_cast<double>(varbinds) / cpu : 0.0);
  }
  std::printf("\n");
  return responses > 0 ? 0 : 1;
}

}  // namespace
}  // namespace trinet::lab

int main(int argc, char** argv) { return trinet::lab::Main(argc, argv); }
