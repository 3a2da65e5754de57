#include "sqlite.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace trinet::sql {
namespace {

[[noreturn]] void Fail(sqlite3* db, int code, std::string_view context) {
  throw Error(code, std::string(context) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(code)));
}

}  // namespace

Statement::Statement(Database& db, std::string_view sql) : db_(db.handle()) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) Fail(db_, rc, "preparing SQL");
}

Statement& Statement::Bind(int index, std::string_view value) {
  int rc = sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) Fail(db_, rc, "binding a parameter");
  return *this;
}

Statement& Statement::Bind(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}

Statement& Statement::Bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) Fail(db_, rc, "binding a parameter");
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_.get(), index, value);
  if (rc != SQLITE_OK) Fail(db_, rc, "binding a parameter");
  return *this;
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) Fail(db_, rc, "binding a parameter");
  return *this;
}

bool Statement::Step() {
  int rc = sqlite3_step(stmt_.get());
  switch (rc) {
    case SQLITE_ROW:
      return true;
    case SQLITE_DONE:
      return false;
    default:
      Fail(db_, rc, std::string("running ") + sqlite3_sql(stmt_.get()));
  }
}

void Statement::Run() {
  while (Step()) {
  }
  Reset();
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::Text(int column) const {
  const auto* p = sqlite3_column_text(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column)))
           : std::string();
}

std::optional<std::string> Statement::OptText(int column) const {
  if (sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL) return std::nullopt;
  return Text(column);
}

std::int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

std::optional<std::int64_t> Statement::OptInt(int column) const {
  if (sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL) return std::nullopt;
  return Int(column);
}

double Statement::Real(int column) const { return sqlite3_column_double(stmt_.get(), column); }

Statement& Statement::Bind(int index, const std::optional<std::int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

Database Database::OpenRaw(const std::filesystem::path& path) {
  // Create the file owner-only before SQLite sees it: it may hold SNMP secrets, and SQLite
  // gives its -wal and -shm files the permissions of the database file.
  // An existing file readable by others (copied, restored from backup) is tightened too.
  //
  // Never open() and close() a database file that may already be open in this process:
  // close() drops every POSIX lock the process holds on the file, including the SHARED lock
  // of its other SQLite connections. Another process closing its connection then believes
  // it is the last one, checkpoints and resets the WAL under our feet, and from then on the
  // two processes write different WALs (lost updates, a corrupt database). So an fd is opened
  // only to create a file that did not exist (O_EXCL: nobody can have it open), and an
  // existing file is tightened by path.
  if (path != ":memory:") {
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    } else if (errno != EEXIST) {
      throw Error(SQLITE_CANTOPEN,
                  "cannot open database " + path.string() + ": " + std::strerror(errno));
    } else {
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        ::chmod(path.c_str(), st.st_mode & 0700);
      }
    }
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) Fail(raw, rc, "opening database " + path.string());
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  db.Exec("PRAGMA journal_mode = WAL");
  db.Exec("PRAGMA synchronous = NORMAL");
  db.Exec("PRAGMA foreign_keys = ON");
  return db;
}

Database Database::Open(const std::filesystem::path& path) {
  Database db = OpenRaw(path);
  Migrate(db);
  return db;
}

void Database::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw Error(rc, "running SQL: " + text);
  }
}

std::int64_t Database::UserVersion() {
  Statement s(*this, "PRAGMA user_version");
  s.Step();
  return s.Int(0);
}

Transaction::Transaction(Database& db) : db_(db) { db_.Exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  db_.Exec("COMMIT");
  done_ = true;
}

void MigrateTo(Database& db, int version) {
  const auto current = db.UserVersion();
  const auto& all = Migrations();
  if (!all.empty() && current > all.back().version) {
    throw Error(SQLITE_ERROR, "the database has schema version " + std::to_string(current) +
                                  ", newer than this trinet knows (" +
                                  std::to_string(all.back().version) + "); upgrade trinet");
  }
  for (const auto& m : all) {
    if (m.version <= current || m.version > version) continue;
    Transaction tx(db);
    // Another process (a second trinetd instance starting at the same time) may have applied
    // it while this one waited for the write lock.
    if (db.UserVersion() >= m.version) continue;
    try {
      db.Exec(m.sql);
    } catch (const Error& e) {
      throw Error(e.code(), std::string("migration ") + m.name + ": " + e.what());
    }
    // PRAGMA takes no bound parameters; the value is our own integer.
    db.Exec("PRAGMA user_version = " + std::to_string(m.version));
    tx.Commit();
  }
}

void Migrate(Database& db) {
  MigrateTo(db, Migrations().empty() ? 0 : Migrations().back().version);
}

}  // namespace trinet::sql
