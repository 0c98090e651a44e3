#include "store/internal/sqlite.h"

#include <sqlite3.h>

namespace sluice::store::internal {

Result<sqlite3*> OpenSqlite(const std::string& path, std::string_view what) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status st = Internal(std::string(what) + ": cannot open " + path + ": " +
                         (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return st;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

Status ExecSql(sqlite3* db, const char* sql, std::string_view what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return Internal(std::string(what) + ": " + msg);
  }
  return Status::Ok();
}

}  // namespace sluice::store::internal
