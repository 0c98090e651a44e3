#include "store/journal.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

namespace sluice::store {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sluice-journal-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/journal.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(JournalTest, CommittedBatchesSurviveReopen) {
  {
    auto j = Journal::Open(path_);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    JournalBatch b;
    b.job_upserts = {{1, "one"}, {2, std::string("t\0o", 3)}};
    b.node_upserts = {{"n1", "node-one"}};
    b.next_job_id = 3;
    ASSERT_TRUE((*j)->Commit(b).ok());
    JournalBatch b2;
    b2.job_upserts = {{1, "one-v2"}};
    b2.job_deletes = {2};
    ASSERT_TRUE((*j)->Commit(b2).ok());
  }
  auto j = Journal::Open(path_);
  ASSERT_TRUE(j.ok());
  auto contents = (*j)->Load();
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->jobs, std::vector<std::string>{"one-v2"});
  EXPECT_EQ(contents->nodes, std::vector<std::string>{"node-one"});
  EXPECT_EQ(contents->next_job_id, 3u);
}

TEST_F(JournalTest, EmptyJournalLoadsEmpty) {
  auto j = Journal::Open(path_);
  ASSERT_TRUE(j.ok());
  auto contents = (*j)->Load();
  ASSERT_TRUE(contents.ok());
  EXPECT_TRUE(contents->jobs.empty());
  EXPECT_EQ(contents->next_job_id, 0u);
}

TEST_F(JournalTest, NotAJournalIsAnError) {
  FILE* f = fopen(path_.c_str(), "w");
  fputs("this is not a database, just text that is long enough to fill a header page......", f);
  fclose(f);
  auto j = Journal::Open(path_);
  EXPECT_FALSE(j.ok());
}

TEST_F(JournalTest, UsesWriteAheadLog) {
  auto j = Journal::Open(path_);
  ASSERT_TRUE(j.ok());
  JournalBatch b;
  b.job_upserts = {{7, "x"}};
  ASSERT_TRUE((*j)->Commit(b).ok());
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

}  // namespace
}  // namespace sluice::store

namespace sluice::store {
namespace {

TEST(JournalUsageTest, FairShareUsageReservationsAndPartitionsSurviveReopen) {
  char tmpl[] = "/tmp/sluice-journal-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    auto j = Journal::Open(dir + "/j.db");
    ASSERT_TRUE(j.ok());
    JournalBatch b;
    b.usage_upserts = {{"physics", "alice", 3600.5, 1000}, {"chem", "bob", 7.0, 1000}};
    b.reservation_upserts = {{"maint", "r1"}, {"other", "r2"}};
    b.partition_upserts = {{"debug", "p1"}};
    ASSERT_TRUE((*j)->Commit(b).ok());
    JournalBatch b2;
    b2.usage_upserts = {{"physics", "alice", 7200.0, 2000}};
    b2.reservation_deletes = {"other"};
    b2.partition_upserts = {{"debug", "p2"}, {"batch", "p3"}};  // the later record wins
    ASSERT_TRUE((*j)->Commit(b2).ok());
  }
  auto j = Journal::Open(dir + "/j.db");
  ASSERT_TRUE(j.ok());
  auto c = (*j)->Load();
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->usage.size(), 2u);
  for (const auto& u : c->usage) {
    if (u.user == "alice") {
      EXPECT_EQ(u.usage, 7200.0);
      EXPECT_EQ(u.at, 2000);
    }
  }
  EXPECT_EQ(c->reservations, std::vector<std::string>{"r1"});
  EXPECT_EQ(c->partitions, (std::vector<std::string>{"p3", "p2"}));  // by name
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice::store
