// Journal: the controller's durable state in SQLite (WAL). It stores records, not inputs: each
// batch upserts what changed, in one transaction with one fsync (group commit).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::store {

// A user association's fair-share usage as of `at` (the controller decays it from there).
struct UsageRow {
  std::string account;
  std::string user;
  double usage = 0;
  int64_t at = 0;
};

// One group commit. Records are opaque bytes (the controller stores protobuf messages).
struct JournalBatch {
  std::vector<std::pair<uint32_t, std::string>> job_upserts;
  std::vector<uint32_t> job_deletes;
  std::vector<std::pair<std::string, std::string>> node_upserts;
  std::vector<std::pair<std::string, std::string>> reservation_upserts;
  std::vector<std::string> reservation_deletes;
  std::vector<UsageRow> usage_upserts;
  std::vector<std::pair<std::string, std::string>> partition_upserts;
  std::optional<uint32_t> next_job_id;

  bool empty() const {
    return job_upserts.empty() && job_deletes.empty() && node_upserts.empty() &&
           reservation_upserts.empty() && reservation_deletes.empty() && usage_upserts.empty() &&
           partition_upserts.empty() && !next_job_id;
  }
};

struct JournalContents {
  std::vector<std::string> jobs;  // in id order
  std::vector<std::string> nodes;
  std::vector<std::string> reservations;
  std::vector<UsageRow> usage;
  std::vector<std::string> partitions;  // those an administrator changed
  uint32_t next_job_id = 0;             // 0: never written
};

class Journal {
 public:
  // Opens (creating if missing) the journal at `path`. Fails if the file is not a journal.
  static Result<std::unique_ptr<Journal>> Open(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Writes the whole batch in one transaction; durable (fsynced) when it returns OK.
  Status Commit(const JournalBatch& batch);

  // Everything stored, for a restart.
  Result<JournalContents> Load();

 private:
  explicit Journal(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Status Prepare();

  sqlite3* db_;
  sqlite3_stmt* upsert_job_ = nullptr;
  sqlite3_stmt* delete_job_ = nullptr;
  sqlite3_stmt* upsert_node_ = nullptr;
  sqlite3_stmt* upsert_meta_ = nullptr;
  sqlite3_stmt* upsert_reservation_ = nullptr;
  sqlite3_stmt* delete_reservation_ = nullptr;
  sqlite3_stmt* upsert_usage_ = nullptr;
  sqlite3_stmt* upsert_partition_ = nullptr;
};

}  // namespace sluice::store
