#include "store/accounting.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>

namespace sluice::store {
namespace {

namespace m = core::model;
using m::JobState;

m::AccountingRecord Rec(m::JobId id, JobState state, UnixTime submit, UnixTime start, UnixTime end,
                        const std::string& user = "alice") {
  m::AccountingRecord r;
  r.id = id;
  r.name = "job" + std::to_string(id);
  r.user = user;
  r.uid = 1000;
  r.gid = 1000;
  r.group = "users";
  r.account = user == "alice" ? "physics" : "chem";
  r.partition = id % 2 == 0 ? "gpu" : "debug";
  r.qos = "normal";
  r.state = state;
  r.exit_code = state == JobState::kFailed ? 3 : 0;
  r.term_signal = state == JobState::kCancelled ? 15 : 0;
  r.submit_time = submit;
  r.start_time = start;
  r.end_time = end;
  r.time_limit = id == 1 ? kUnlimited : 600;
  r.req_cpus = 4;
  r.alloc_cpus = start != 0 ? 4 : 0;
  r.req_nodes = 1;
  r.alloc_nodes = start != 0 ? 1 : 0;
  r.req_mem_mb = 8192;
  r.nodelist = start != 0 ? "n[1-2]" : "";
  r.req_tres = "billing=4,cpu=4,mem=8G,node=1";
  r.alloc_tres = start != 0 ? r.req_tres : "";
  r.work_dir = "/home/" + user;
  r.reservation = "";
  r.constraints = "a100";
  r.restarts = 1;
  return r;
}

class AccountingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sluice-acct-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/accounting.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<AccountingStore> Open() {
    auto a = AccountingStore::Open(path_);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? std::move(*a) : nullptr;
  }

  // The ids `filter` selects.
  static std::vector<m::JobId> Ids(AccountingStore& a, const m::AccountingFilter& filter) {
    auto rows = a.Query(filter);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<m::JobId> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.id);
    }
    return out;
  }

  std::string dir_, path_;
};

TEST_F(AccountingStoreTest, RecordsRoundTripEveryField) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  const std::vector<m::AccountingRecord> in = {
      Rec(1, JobState::kCompleted, 100, 110, 200), Rec(2, JobState::kFailed, 100, 120, 300, "bob"),
      Rec(3, JobState::kCancelled, 150, 0, 160),  // cancelled while pending
  };
  ASSERT_TRUE(a->Record(in).ok());
  auto out = a->Query({});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, in);
}

TEST_F(AccountingStoreTest, WritingARecordAgainKeepsOneRowWithTheLatest) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->Record({Rec(7, JobState::kCompleted, 10, 20, 30)}).ok());
  m::AccountingRecord again = Rec(7, JobState::kTimeout, 10, 20, 40);
  ASSERT_TRUE(a->Record({again}).ok());
  ASSERT_TRUE(a->Record({again, again}).ok());
  auto out = a->Query({});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ(out->front(), again);
}

TEST_F(AccountingStoreTest, RecordsSurviveCloseAndReopen) {
  {
    auto a = Open();
    ASSERT_NE(a, nullptr);
    ASSERT_TRUE(a->Record({Rec(1, JobState::kCompleted, 1, 2, 3)}).ok());
    ASSERT_TRUE(a->Record({Rec(2, JobState::kNodeFail, 1, 2, 5)}).ok());
  }
  auto a = Open();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(Ids(*a, {}), (std::vector<m::JobId>{1, 2}));
  // And it takes new records after the reopen.
  ASSERT_TRUE(a->Record({Rec(3, JobState::kCompleted, 1, 2, 3)}).ok());
  EXPECT_EQ(Ids(*a, {}), (std::vector<m::JobId>{1, 2, 3}));
}

TEST_F(AccountingStoreTest, HighestJobIdIsTheLargestRecorded) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  auto none = a->HighestJobId();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0u);
  ASSERT_TRUE(a->Record({Rec(12, JobState::kCompleted, 1, 2, 3), Rec(4, JobState::kFailed, 1, 2, 3),
                         Rec(9, JobState::kTimeout, 1, 2, 3)})
                  .ok());
  auto highest = a->HighestJobId();
  ASSERT_TRUE(highest.ok()) << highest.status().ToString();
  EXPECT_EQ(*highest, 12u);
}

TEST_F(AccountingStoreTest, EmptyStoreQueriesEmpty) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(Ids(*a, {}).empty());
  EXPECT_TRUE(a->Record({}).ok());
}

TEST_F(AccountingStoreTest, NotAnAccountingStoreIsAnError) {
  FILE* f = fopen(path_.c_str(), "w");
  fputs("this is not a database, just text that is long enough to fill a header page......", f);
  fclose(f);
  EXPECT_FALSE(AccountingStore::Open(path_).ok());
}

TEST_F(AccountingStoreTest, AStoreFromANewerSluiceIsRefused) {
  { ASSERT_NE(Open(), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto a = AccountingStore::Open(path_);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("newer Sluice"), std::string::npos) << a.status().message();
}

// Jobs over a day (times in seconds): which each filter selects.
class AccountingFilterTest : public AccountingStoreTest {
 protected:
  void SetUp() override {
    AccountingStoreTest::SetUp();
    a_ = Open();
    ASSERT_NE(a_, nullptr);
    ASSERT_TRUE(a_->Record({
                               Rec(1, JobState::kCompleted, 100, 110, 200),
                               Rec(2, JobState::kFailed, 100, 300, 400, "bob"),
                               Rec(3, JobState::kCancelled, 150, 0, 160),
                               Rec(4, JobState::kTimeout, 500, 600, 700),
                               Rec(5, JobState::kCompleted, 900, 950, 1000, "bob"),
                           })
                    .ok());
  }
  std::unique_ptr<AccountingStore> a_;
};

TEST_F(AccountingFilterTest, ListsMustAllMatch) {
  struct Case {
    const char* what;
    m::AccountingFilter filter;
    std::vector<m::JobId> want;
  };
  const std::vector<Case> cases = {
      {"everything", {}, {1, 2, 3, 4, 5}},
      {"job ids", {.job_ids = {5, 2, 42}}, {2, 5}},
      {"user", {.users = {"bob"}}, {2, 5}},
      {"account", {.accounts = {"physics"}}, {1, 3, 4}},
      {"partition", {.partitions = {"gpu"}}, {2, 4}},
      {"name", {.names = {"job3", "job4"}}, {3, 4}},
      {"user and partition", {.users = {"alice"}, .partitions = {"gpu"}}, {4}},
      {"nobody", {.users = {"carol"}}, {}},
  };
  for (const auto& c : cases) EXPECT_EQ(Ids(*a_, c.filter), c.want) << c.what;
}

TEST_F(AccountingFilterTest, WindowFollowsSacctsRules) {
  using S = std::vector<JobState>;
  struct Case {
    const char* what;
    UnixTime start, end;
    S states;
    std::vector<m::JobId> want;
  };
  const std::vector<Case> cases = {
      // No states: eligible before the end and not ended before the start.
      {"whole day", 0, 0, {}, {1, 2, 3, 4, 5}},
      {"from 300", 300, 0, {}, {2, 4, 5}},
      {"until 500 (exclusive)", 0, 500, {}, {1, 2, 3}},
      {"from 200 to 600", 200, 600, {}, {1, 2, 4}},
      // A final state: ended in that state within the window.
      {"completed from 150", 150, 0, {JobState::kCompleted}, {1, 5}},
      {"completed 150..999", 150, 1000, {JobState::kCompleted}, {1}},
      {"failed or timeout", 0, 0, {JobState::kFailed, JobState::kTimeout}, {2, 4}},
      // RUNNING: ran at some time in the window, whatever it ended as.
      {"running at 350", 350, 351, {JobState::kRunning}, {2}},
      {"running 150..650", 150, 650, {JobState::kRunning}, {1, 2, 4}},
      {"every job that ran", 0, 0, {JobState::kRunning}, {1, 2, 4, 5}},
      // PENDING: waited in the window (it started, or was cancelled, after the start).
      {"pending at 155", 155, 156, {JobState::kPending}, {2, 3}},
      {"pending from 700", 700, 0, {JobState::kPending}, {5}},
  };
  for (const auto& c : cases) {
    m::AccountingFilter f;
    f.start = c.start;
    f.end = c.end;
    f.states = c.states;
    EXPECT_EQ(Ids(*a_, f), c.want) << c.what;
  }
}

TEST(AccountingFilterMatches, LiveJobsFollowTheSameRules) {
  // Records of jobs the controller still holds: end 0 (running) and start 0 (pending).
  m::AccountingRecord running = Rec(8, JobState::kRunning, 100, 200, 0);
  m::AccountingRecord pending = Rec(9, JobState::kPending, 100, 0, 0);
  m::AccountingFilter window{.start = 1000};
  EXPECT_TRUE(window.Matches(running));  // not ended: still in any later window
  EXPECT_TRUE(window.Matches(pending));
  m::AccountingFilter before{.end = 100};
  EXPECT_FALSE(before.Matches(running));  // submitted at the end: not before it
  m::AccountingFilter run{.states = {JobState::kRunning}, .start = 1000, .end = 1001};
  EXPECT_TRUE(run.Matches(running));
  EXPECT_FALSE(run.Matches(pending));
  m::AccountingFilter wait{.states = {JobState::kPending}, .start = 1000, .end = 1001};
  EXPECT_FALSE(wait.Matches(running));
  EXPECT_TRUE(wait.Matches(pending));
  m::AccountingFilter completing{.states = {JobState::kCompleting}, .start = 1000, .end = 1001};
  EXPECT_TRUE(completing.Matches(running));  // COMPLETING selects as RUNNING
}

}  // namespace
}  // namespace sluice::store
