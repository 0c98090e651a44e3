#include "core/cluster/job_table.h"

#include <gtest/gtest.h>

namespace sluice::core::cluster {
namespace {

model::JobPtr MakeJob(model::JobId id, model::JobState state = model::JobState::kPending) {
  auto j = std::make_shared<model::Job>();
  j->id = id;
  j->state = state;
  return j;
}

TEST(JobTableTest, PutFindEraseAcrossChunks) {
  JobTable t;
  for (model::JobId id : {1u, 255u, 256u, 1000u, 70000u}) t.Put(MakeJob(id));
  EXPECT_EQ(t.size(), 5u);
  EXPECT_EQ(t.Find(256)->id, 256u);
  EXPECT_EQ(t.Find(2), nullptr);
  std::vector<model::JobId> order;
  t.ForEach([&](const model::JobPtr& j) { order.push_back(j->id); });
  EXPECT_EQ(order, (std::vector<model::JobId>{1, 255, 256, 1000, 70000}));
  t.Erase(256);
  t.Erase(256);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.Find(256), nullptr);
}

TEST(JobTableTest, CopiesAreSnapshotsThatShareUnchangedChunks) {
  JobTable t;
  for (model::JobId id = 1; id <= 600; ++id) t.Put(MakeJob(id));
  JobTable view = t;  // what a published view holds
  EXPECT_FALSE(t.Exclusive(5));
  t.Put(MakeJob(5, model::JobState::kRunning));
  t.Erase(300);
  EXPECT_EQ(view.Find(5)->state, model::JobState::kPending);
  EXPECT_NE(view.Find(300), nullptr);
  EXPECT_EQ(t.Find(5)->state, model::JobState::kRunning);
  // The chunk holding job 550 was not touched: both tables point at the same record.
  EXPECT_EQ(view.Find(550).get(), t.Find(550).get());
  // Once the view is gone the table owns its records alone again.
  view = JobTable();
  EXPECT_TRUE(t.Exclusive(550));
}

}  // namespace
}  // namespace sluice::core::cluster
