#include "store/journal.h"

#include <sqlite3.h>

#include "store/internal/sqlite.h"

namespace sluice::store {
namespace {
Status SqlError(sqlite3* db, const std::string& what) {
  return Internal("journal: " + what + ": " + sqlite3_errmsg(db));
}

// Resets a statement on every path out of a scope.
struct StmtReset {
  sqlite3_stmt* s;
  ~StmtReset() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};
}  // namespace

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& path) {
  SLUICE_ASSIGN_OR_RETURN(sqlite3 * db, internal::OpenSqlite(path, "journal"));
  std::unique_ptr<Journal> j(new Journal(db));
  // WAL with synchronous=FULL: a commit is on disk when it returns; one fsync per batch.
  SLUICE_RETURN_IF_ERROR(j->Exec("PRAGMA journal_mode=WAL"));
  SLUICE_RETURN_IF_ERROR(j->Exec("PRAGMA synchronous=FULL"));
  SLUICE_RETURN_IF_ERROR(j->Exec(
      "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS nodes (name TEXT PRIMARY KEY, record BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS reservations (name TEXT PRIMARY KEY, record BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS partitions (name TEXT PRIMARY KEY, record BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS fairshare (account TEXT NOT NULL, user TEXT NOT NULL, "
      "usage REAL NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (account, user));"));
  SLUICE_RETURN_IF_ERROR(j->Prepare());
  return j;
}

Journal::~Journal() {
  sqlite3_finalize(upsert_job_);
  sqlite3_finalize(delete_job_);
  sqlite3_finalize(upsert_node_);
  sqlite3_finalize(upsert_meta_);
  sqlite3_finalize(upsert_reservation_);
  sqlite3_finalize(delete_reservation_);
  sqlite3_finalize(upsert_usage_);
  sqlite3_finalize(upsert_partition_);
  sqlite3_close(db_);
}

Status Journal::Exec(const char* sql) { return internal::ExecSql(db_, sql, "journal"); }

Status Journal::Prepare() {
  struct {
    const char* sql;
    sqlite3_stmt** stmt;
  } stmts[] = {
      {"INSERT OR REPLACE INTO jobs (id, record) VALUES (?, ?)", &upsert_job_},
      {"DELETE FROM jobs WHERE id = ?", &delete_job_},
      {"INSERT OR REPLACE INTO nodes (name, record) VALUES (?, ?)", &upsert_node_},
      {"INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", &upsert_meta_},
      {"INSERT OR REPLACE INTO reservations (name, record) VALUES (?, ?)", &upsert_reservation_},
      {"DELETE FROM reservations WHERE name = ?", &delete_reservation_},
      {"INSERT OR REPLACE INTO partitions (name, record) VALUES (?, ?)", &upsert_partition_},
      {"INSERT OR REPLACE INTO fairshare (account, user, usage, at) VALUES (?, ?, ?, ?)",
       &upsert_usage_},
  };
  for (auto& s : stmts) {
    if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr) !=
        SQLITE_OK) {
      return SqlError(db_, "prepare");
    }
  }
  return Status::Ok();
}

Status Journal::Commit(const JournalBatch& batch) {
  if (batch.empty()) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto step = [&](sqlite3_stmt* s) -> Status {
    StmtReset reset{s};
    if (sqlite3_step(s) != SQLITE_DONE) return SqlError(db_, "write");
    return Status::Ok();
  };
  Status st;
  for (const auto& [id, record] : batch.job_upserts) {
    sqlite3_bind_int64(upsert_job_, 1, id);
    sqlite3_bind_blob(upsert_job_, 2, record.data(), static_cast<int>(record.size()),
                      SQLITE_STATIC);
    if (st = step(upsert_job_); !st.ok()) break;
  }
  for (uint32_t id : batch.job_deletes) {
    if (!st.ok()) break;
    sqlite3_bind_int64(delete_job_, 1, id);
    st = step(delete_job_);
  }
  // Records kept by name: nodes, reservations, partitions.
  auto upsert_named = [&](sqlite3_stmt* stmt,
                          const std::vector<std::pair<std::string, std::string>>& rows) {
    for (const auto& [name, record] : rows) {
      if (!st.ok()) break;
      sqlite3_bind_text(stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
      sqlite3_bind_blob(stmt, 2, record.data(), static_cast<int>(record.size()), SQLITE_STATIC);
      st = step(stmt);
    }
  };
  upsert_named(upsert_node_, batch.node_upserts);
  upsert_named(upsert_reservation_, batch.reservation_upserts);
  upsert_named(upsert_partition_, batch.partition_upserts);
  for (const auto& name : batch.reservation_deletes) {
    if (!st.ok()) break;
    sqlite3_bind_text(delete_reservation_, 1, name.data(), static_cast<int>(name.size()),
                      SQLITE_STATIC);
    st = step(delete_reservation_);
  }
  for (const auto& u : batch.usage_upserts) {
    if (!st.ok()) break;
    sqlite3_bind_text(upsert_usage_, 1, u.account.data(), static_cast<int>(u.account.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(upsert_usage_, 2, u.user.data(), static_cast<int>(u.user.size()),
                      SQLITE_STATIC);
    sqlite3_bind_double(upsert_usage_, 3, u.usage);
    sqlite3_bind_int64(upsert_usage_, 4, u.at);
    st = step(upsert_usage_);
  }
  if (st.ok() && batch.next_job_id) {
    sqlite3_bind_text(upsert_meta_, 1, "next_job_id", -1, SQLITE_STATIC);
    sqlite3_bind_int64(upsert_meta_, 2, *batch.next_job_id);
    st = step(upsert_meta_);
  }
  if (!st.ok()) {
    (void)Exec("ROLLBACK");
    return st;
  }
  return Exec("COMMIT");
}

Result<JournalContents> Journal::Load() {
  JournalContents out;
  auto read_blobs = [&](const char* sql, std::vector<std::string>* dest) -> Status {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
      return SqlError(db_, "prepare");
    }
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const void* data = sqlite3_column_blob(s, 0);
      int size = sqlite3_column_bytes(s, 0);
      dest->emplace_back(static_cast<const char*>(data), static_cast<size_t>(size));
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? Status::Ok() : SqlError(db_, "read");
  };
  SLUICE_RETURN_IF_ERROR(read_blobs("SELECT record FROM jobs ORDER BY id", &out.jobs));
  SLUICE_RETURN_IF_ERROR(read_blobs("SELECT record FROM nodes ORDER BY name", &out.nodes));
  SLUICE_RETURN_IF_ERROR(
      read_blobs("SELECT record FROM reservations ORDER BY name", &out.reservations));
  SLUICE_RETURN_IF_ERROR(
      read_blobs("SELECT record FROM partitions ORDER BY name", &out.partitions));
  sqlite3_stmt* u = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT account, user, usage, at FROM fairshare", -1, &u, nullptr) !=
      SQLITE_OK) {
    return SqlError(db_, "prepare");
  }
  while (sqlite3_step(u) == SQLITE_ROW) {
    UsageRow row;
    row.account = reinterpret_cast<const char*>(sqlite3_column_text(u, 0));
    row.user = reinterpret_cast<const char*>(sqlite3_column_text(u, 1));
    row.usage = sqlite3_column_double(u, 2);
    row.at = sqlite3_column_int64(u, 3);
    out.usage.push_back(std::move(row));
  }
  sqlite3_finalize(u);
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = 'next_job_id'", -1, &s,
                         nullptr) != SQLITE_OK) {
    return SqlError(db_, "prepare");
  }
  if (sqlite3_step(s) == SQLITE_ROW) out.next_job_id = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return out;
}

}  // namespace sluice::store
