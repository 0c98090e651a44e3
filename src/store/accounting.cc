#include "store/accounting.h"

#include <sqlite3.h>

#include <string_view>

#include "store/internal/sqlite.h"

namespace sluice::store {
namespace {

namespace m = core::model;

// Bumped when the table changes shape; a newer file is refused rather than misread.
constexpr int kSchemaVersion = 1;

// The columns of `jobs`, in the order Bind() and Read() use. Times are Unix seconds (0: not
// yet); time_limit is seconds, -1 for UNLIMITED; state is Slurm's name.
constexpr std::string_view kColumns[] = {
    "id",          "name",        "user",        "uid",        "gid",       "grp",
    "account",     "partition",   "qos",         "state",      "exit_code", "term_signal",
    "submit_time", "start_time",  "end_time",    "time_limit", "req_cpus",  "alloc_cpus",
    "req_nodes",   "alloc_nodes", "req_mem_mb",  "nodelist",   "req_tres",  "alloc_tres",
    "work_dir",    "reservation", "constraints", "restarts"};

std::string ColumnList() {
  std::string out;
  for (auto c : kColumns) out += (out.empty() ? "\"" : ", \"") + std::string(c) + "\"";
  return out;
}

Status SqlError(sqlite3* db, const std::string& what) {
  return Internal("accounting: " + what + ": " + sqlite3_errmsg(db));
}

Status Exec(sqlite3* db, const char* sql) { return internal::ExecSql(db, sql, "accounting"); }

// Owns a statement for one scope.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void Bind(sqlite3_stmt* s, const m::AccountingRecord& r) {
  int i = 0;
  sqlite3_bind_int64(s, ++i, r.id);
  BindText(s, ++i, r.name);
  BindText(s, ++i, r.user);
  sqlite3_bind_int64(s, ++i, r.uid);
  sqlite3_bind_int64(s, ++i, r.gid);
  BindText(s, ++i, r.group);
  BindText(s, ++i, r.account);
  BindText(s, ++i, r.partition);
  BindText(s, ++i, r.qos);
  sqlite3_bind_text(s, ++i, m::JobStateName(r.state).data(),
                    static_cast<int>(m::JobStateName(r.state).size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, ++i, r.exit_code);
  sqlite3_bind_int64(s, ++i, r.term_signal);
  sqlite3_bind_int64(s, ++i, r.submit_time);
  sqlite3_bind_int64(s, ++i, r.start_time);
  sqlite3_bind_int64(s, ++i, r.end_time);
  sqlite3_bind_int64(s, ++i, r.time_limit == kUnlimited ? -1 : r.time_limit);
  sqlite3_bind_int64(s, ++i, r.req_cpus);
  sqlite3_bind_int64(s, ++i, r.alloc_cpus);
  sqlite3_bind_int64(s, ++i, r.req_nodes);
  sqlite3_bind_int64(s, ++i, r.alloc_nodes);
  sqlite3_bind_int64(s, ++i, static_cast<int64_t>(r.req_mem_mb));
  BindText(s, ++i, r.nodelist);
  BindText(s, ++i, r.req_tres);
  BindText(s, ++i, r.alloc_tres);
  BindText(s, ++i, r.work_dir);
  BindText(s, ++i, r.reservation);
  BindText(s, ++i, r.constraints);
  sqlite3_bind_int64(s, ++i, r.restarts);
}

Result<m::AccountingRecord> Read(sqlite3_stmt* s) {
  int i = -1;
  const auto text = [&] {
    const unsigned char* t = sqlite3_column_text(s, ++i);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  };
  const auto u32 = [&] { return static_cast<uint32_t>(sqlite3_column_int64(s, ++i)); };
  const auto i64 = [&] { return sqlite3_column_int64(s, ++i); };
  m::AccountingRecord r;
  r.id = u32();
  r.name = text();
  r.user = text();
  r.uid = u32();
  r.gid = u32();
  r.group = text();
  r.account = text();
  r.partition = text();
  r.qos = text();
  const std::string state = text();
  auto parsed = m::ParseJobState(state);
  if (!parsed) return Internal("accounting: job " + std::to_string(r.id) + " has state " + state);
  r.state = *parsed;
  r.exit_code = static_cast<int>(i64());
  r.term_signal = static_cast<int>(i64());
  r.submit_time = i64();
  r.start_time = i64();
  r.end_time = i64();
  r.time_limit = i64();
  if (r.time_limit < 0) r.time_limit = kUnlimited;
  r.req_cpus = u32();
  r.alloc_cpus = u32();
  r.req_nodes = u32();
  r.alloc_nodes = u32();
  r.req_mem_mb = static_cast<uint64_t>(i64());
  r.nodelist = text();
  r.req_tres = text();
  r.alloc_tres = text();
  r.work_dir = text();
  r.reservation = text();
  r.constraints = text();
  r.restarts = u32();
  return r;
}

// " AND "col" IN (?, ?, ...)" for a non-empty list.
template <typename T>
void InList(std::string* sql, std::string_view column, const std::vector<T>& values) {
  if (values.empty()) return;
  *sql += " AND \"" + std::string(column) + "\" IN (";
  for (size_t i = 0; i < values.size(); ++i) *sql += i == 0 ? "?" : ", ?";
  *sql += ")";
}

}  // namespace

Result<std::unique_ptr<AccountingStore>> AccountingStore::Open(const std::string& path) {
  SLUICE_ASSIGN_OR_RETURN(sqlite3 * writer, internal::OpenSqlite(path, "accounting"));
  auto reader = internal::OpenSqlite(path, "accounting");
  if (!reader.ok()) {
    sqlite3_close(writer);
    return reader.status();
  }
  std::unique_ptr<AccountingStore> a(new AccountingStore(writer, *reader));
  // WAL with synchronous=FULL, as the journal: a record is on disk when Record returns.
  SLUICE_RETURN_IF_ERROR(Exec(writer, "PRAGMA journal_mode=WAL"));
  SLUICE_RETURN_IF_ERROR(Exec(writer, "PRAGMA synchronous=FULL"));
  int version = 0;
  {
    Stmt v;
    if (sqlite3_prepare_v2(writer, "PRAGMA user_version", -1, &v.s, nullptr) != SQLITE_OK) {
      return SqlError(writer, path + " is not an accounting store");
    }
    if (sqlite3_step(v.s) == SQLITE_ROW) version = sqlite3_column_int(v.s, 0);
  }
  if (version > kSchemaVersion) {
    return FailedPrecondition(path + " was written by a newer Sluice (accounting schema " +
                              std::to_string(version) + "); upgrade sluiced to read it");
  }
  std::string create = "CREATE TABLE IF NOT EXISTS jobs (";
  for (auto c : kColumns) {
    create += "\"" + std::string(c) + "\"";
    if (c == "id") {
      create += " INTEGER PRIMARY KEY, ";
    } else {
      create += ", ";
    }
  }
  create.resize(create.size() - 2);
  create +=
      ");"
      "CREATE INDEX IF NOT EXISTS jobs_by_end ON jobs (end_time);"
      "CREATE INDEX IF NOT EXISTS jobs_by_user ON jobs (user, end_time);"
      "PRAGMA user_version = " +
      std::to_string(kSchemaVersion) + ";";
  SLUICE_RETURN_IF_ERROR(Exec(writer, create.c_str()));
  std::string insert = "INSERT OR REPLACE INTO jobs (" + ColumnList() + ") VALUES (";
  for (size_t i = 0; i < std::size(kColumns); ++i) insert += i == 0 ? "?" : ", ?";
  insert += ")";
  if (sqlite3_prepare_v3(writer, insert.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &a->upsert_,
                         nullptr) != SQLITE_OK) {
    return SqlError(writer, path + " is not an accounting store");
  }
  return a;
}

AccountingStore::~AccountingStore() {
  sqlite3_finalize(upsert_);
  sqlite3_close(writer_);
  sqlite3_close(reader_);
}

Status AccountingStore::Record(const std::vector<m::AccountingRecord>& records) {
  if (records.empty()) return Status::Ok();
  std::lock_guard lock(write_mu_);
  SLUICE_RETURN_IF_ERROR(Exec(writer_, "BEGIN IMMEDIATE"));
  Status st;
  for (const auto& r : records) {
    Bind(upsert_, r);
    const int rc = sqlite3_step(upsert_);
    sqlite3_reset(upsert_);
    sqlite3_clear_bindings(upsert_);
    if (rc != SQLITE_DONE) {
      st = SqlError(writer_, "write");
      break;
    }
  }
  if (!st.ok()) {
    (void)Exec(writer_, "ROLLBACK");
    return st;
  }
  return Exec(writer_, "COMMIT");
}

Result<std::vector<m::AccountingRecord>> AccountingStore::Query(
    const m::AccountingFilter& filter) const {
  // SQL narrows by the indexed columns and two bounds every selected record meets (no record
  // ended before the window or was submitted after it); Matches then decides exactly, so the
  // window's rules live in one place.
  std::string sql = "SELECT " + ColumnList() + " FROM jobs WHERE (end_time >= ? OR end_time = 0)";
  if (filter.end != 0) sql += " AND submit_time < ?";
  InList(&sql, "id", filter.job_ids);
  InList(&sql, "user", filter.users);
  InList(&sql, "account", filter.accounts);
  InList(&sql, "partition", filter.partitions);
  InList(&sql, "name", filter.names);
  sql += " ORDER BY id";

  std::lock_guard lock(read_mu_);
  Stmt q;
  if (sqlite3_prepare_v2(reader_, sql.c_str(), -1, &q.s, nullptr) != SQLITE_OK) {
    return SqlError(reader_, "prepare");
  }
  int i = 0;
  sqlite3_bind_int64(q.s, ++i, filter.start);
  if (filter.end != 0) sqlite3_bind_int64(q.s, ++i, filter.end);
  for (auto id : filter.job_ids) sqlite3_bind_int64(q.s, ++i, id);
  for (const auto* list : {&filter.users, &filter.accounts, &filter.partitions, &filter.names}) {
    for (const auto& v : *list) BindText(q.s, ++i, v);
  }
  std::vector<m::AccountingRecord> out;
  int rc;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
    SLUICE_ASSIGN_OR_RETURN(m::AccountingRecord r, Read(q.s));
    if (filter.Matches(r)) out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return SqlError(reader_, "read");
  return out;
}

Result<m::JobId> AccountingStore::HighestJobId() const {
  std::lock_guard lock(read_mu_);
  Stmt q;
  if (sqlite3_prepare_v2(reader_, "SELECT MAX(id) FROM jobs", -1, &q.s, nullptr) != SQLITE_OK) {
    return SqlError(reader_, "prepare");
  }
  if (sqlite3_step(q.s) != SQLITE_ROW) return SqlError(reader_, "read");
  return static_cast<m::JobId>(sqlite3_column_int64(q.s, 0));  // NULL (no rows) reads as 0
}

}  // namespace sluice::store
