// SQLite plumbing shared by the journal and the accounting store.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;

namespace sluice::store::internal {

// Opens (creating if missing) the database at `path`, with a 5 s busy timeout; the caller owns
// the handle (sqlite3_close). `what` names the store in errors: "journal: cannot open PATH: ...".
Result<sqlite3*> OpenSqlite(const std::string& path, std::string_view what);

// Runs `sql` (one or more statements). Fails with Internal "<what>: <SQLite's message>".
Status ExecSql(sqlite3* db, const char* sql, std::string_view what);

}  // namespace sluice::store::internal
