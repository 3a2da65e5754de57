#pragma once
// RAII ownership of SQLite handles. Every statement is prepared with bound parameters;
// there is no way here to run SQL built from values.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trinet::sql {

/// A failure reported by SQLite, with the statement it came from.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Database;

/// A prepared statement. Bind with 1-based indexes, Step() until it returns false.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);

  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::optional<std::string>& value);
  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, const std::optional<std::int64_t>& value);
  Statement& Bind(int index, double value);
  Statement& BindNull(int index);

  /// Runs one step; true while a row is available.
  bool Step();
  /// Runs a statement that returns no rows, then resets it for reuse.
  void Run();
  void Reset();

  std::string Text(int column) const;
  std::optional<std::string> OptText(int column) const;
  std::int64_t Int(int column) const;
  std::optional<std::int64_t> OptInt(int column) const;
  double Real(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

/// A connection in WAL mode with foreign keys on and a busy timeout.
class Database {
 public:
  /// Opens (creating owner-only, mode 0600, if missing) and migrates to the newest schema.
  static Database Open(const std::filesystem::path& path);
  /// Opens without migrating: for tests that build an old schema by hand.
  static Database OpenRaw(const std::filesystem::path& path);

  sqlite3* handle() const { return db_.get(); }
  /// Runs SQL text that has no parameters (migrations, pragmas).
  void Exec(const std::string& sql);
  std::int64_t UserVersion();

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  explicit Database(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Close> db_;
};

/// BEGIN IMMEDIATE on construction; rolls back on destruction unless Commit() ran.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Database& db_;
  bool done_ = false;
};

/// A read-only snapshot: BEGIN (deferred) on construction, ended on destruction, so that
/// several SELECTs see one state of the database even while another process writes.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db) : db_(db) { db_.Exec("BEGIN"); }
  ~ReadTransaction() { sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr); }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Database& db_;
};

/// The schema's migrations, embedded from schema/NNN_*.sql at build time, in order.
struct Migration {
  int version;
  const char* name;
  const char* sql;
};
const std::vector<Migration>& Migrations();

/// Applies every migration newer than the database's user_version, each in a transaction.
void Migrate(Database& db);
/// Applies migrations up to and including `version` only.
void MigrateTo(Database& db, int version);

}  // namespace trinet::sql
