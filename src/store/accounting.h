// AccountingStore: the job history, one row a finished job, in SQLite (WAL) beside the journal.
// The journal forgets a finished job after MinJobAge; accounting keeps it for sacct.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/model/accounting.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::store {

class AccountingStore {
 public:
  // Opens (creating if missing) the store at `path`. Fails if the file is not an accounting
  // store, or is one written by a newer Sluice (a schema this one does not know).
  static Result<std::unique_ptr<AccountingStore>> Open(const std::string& path);
  ~AccountingStore();
  AccountingStore(const AccountingStore&) = delete;
  AccountingStore& operator=(const AccountingStore&) = delete;

  // Writes `records` in one transaction, each replacing any row of the same job id (so writing a
  // record again, e.g. after a crash, leaves one row); durable (fsynced) when it returns OK.
  // Thread-safe.
  Status Record(const std::vector<core::model::AccountingRecord>& records);

  // The records `filter` selects (AccountingFilter::Matches), in job id order. Thread-safe;
  // reads run on a connection of their own, so (WAL) a long query does not hold up Record.
  Result<std::vector<core::model::AccountingRecord>> Query(
      const core::model::AccountingFilter& filter) const;

  // The highest job id recorded (0: none). A controller whose journal was lost numbers its jobs
  // above it: a record is replaced by a later one of the same id (Record), so reusing an id
  // would overwrite a finished job's history.
  Result<core::model::JobId> HighestJobId() const;

 private:
  AccountingStore(sqlite3* writer, sqlite3* reader) : writer_(writer), reader_(reader) {}

  std::mutex write_mu_;
  sqlite3* writer_;
  sqlite3_stmt* upsert_ = nullptr;
  mutable std::mutex read_mu_;
  sqlite3* reader_;
};

}  // namespace sluice::store
