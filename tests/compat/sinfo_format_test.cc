#include "compat/slurm/sinfo_format.h"

#include <gtest/gtest.h>

#include "compat/slurm/slurm_conf.h"
#include "peer_fixtures.h"

namespace sluice::compat::slurm {
namespace {

using namespace testing_peer;  // NOLINT: test fixtures
using core::model::NodePtr;
using core::model::PartitionPtr;

// Byte for byte what sinfo 22.05 printed with job 1 and 2 on n1.
TEST(FormatSinfo, DefaultMatchesSlurm) {
  std::vector<NodePtr> nodes = {PeerNode("n1", 3), PeerNode("n2", 0), PeerNode("n3", 0)};
  EXPECT_EQ(FormatSinfo({DebugPartition()}, nodes, true),
            "PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST\n"
            "debug*       up   infinite      1    mix n1\n"
            "debug*       up   infinite      2   idle n[2-3]\n");
  EXPECT_EQ(FormatSinfoNodes({DebugPartition()}, nodes, true),
            "NODELIST   NODES PARTITION STATE \n"
            "n1             1    debug* mix   \n"
            "n2             1    debug* idle  \n"
            "n3             1    debug* idle  \n");
}

// The peer after `scontrol create` of a long-named DOWN partition, a small one and an empty one,
// with n1 fully allocated and n2 partly.
class SinfoManyPartitions : public ::testing::Test {
 protected:
  void SetUp() override {
    nodes_ = {PeerNode("n3", 0), PeerNode("n1", 4), PeerNode("n2", 2)};
    auto lng = std::make_shared<core::model::Partition>();
    lng->name = "averyveryverylongpartitionname";
    lng->nodes = {"n2", "n3"};
    lng->up = false;
    lng->max_time = 86400 + 30 * 60;
    auto p2 = std::make_shared<core::model::Partition>();
    p2->name = "p2";
    p2->nodes = {"n1"};
    p2->max_time = 30 * 60;
    auto empty = std::make_shared<core::model::Partition>();
    empty->name = "empty";
    empty->max_time = 2 * 86400;
    partitions_ = {DebugPartition(), lng, p2, empty};
  }
  std::vector<NodePtr> nodes_;
  std::vector<PartitionPtr> partitions_;
};

TEST_F(SinfoManyPartitions, DefaultMatchesSlurm) {
  EXPECT_EQ(FormatSinfo(partitions_, nodes_, true),
            "PARTITION                      AVAIL  TIMELIMIT  NODES  STATE NODELIST\n"
            "debug*                            up   infinite      1    mix n2\n"
            "debug*                            up   infinite      1  alloc n1\n"
            "debug*                            up   infinite      1   idle n3\n"
            "averyveryverylongpartitionname  down 1-00:30:00      1    mix n2\n"
            "averyveryverylongpartitionname  down 1-00:30:00      1   idle n3\n"
            "p2                                up      30:00      1  alloc n1\n"
            "empty                             up 2-00:00:00      0    n/a \n");
}

TEST_F(SinfoManyPartitions, NodeViewMatchesSlurm) {
  EXPECT_EQ(FormatSinfoNodes(partitions_, nodes_, true),
            "NODELIST   NODES                      PARTITION STATE \n"
            "n1             1                         debug* alloc \n"
            "n1             1                             p2 alloc \n"
            "n2             1                         debug* mix   \n"
            "n2             1 averyveryverylongpartitionname mix   \n"
            "n3             1                         debug* idle  \n"
            "n3             1 averyveryverylongpartitionname idle  \n");
}

TEST(FormatSinfo, NotRespondingAndDownNodes) {
  auto lost = std::make_shared<core::model::Node>(*PeerNode("n1", 0));
  lost->responding = false;
  auto down = std::make_shared<core::model::Node>(*PeerNode("n2", 0));
  down->responding = false;
  down->down = true;
  auto fine = PeerNode("n3", 0);
  EXPECT_EQ(SinfoNodeState(*lost), "idle*");
  EXPECT_EQ(SinfoNodeState(*down), "down*");
  EXPECT_EQ(FormatSinfo({DebugPartition()}, {lost, down, fine}, false),
            "debug*       up   infinite      1   idle n3\n"
            "debug*       up   infinite      1  idle* n1\n"
            "debug*       up   infinite      1  down* n2\n");
}

// sinfo's AVAIL column for each partition State= (as sinfo 22.05 printed "drain" and "inact"
// after scontrol update PartitionName=debug State=DRAIN, then INACTIVE).
TEST(FormatSinfo, PartitionStates) {
  std::vector<NodePtr> nodes = {PeerNode("n1", 0), PeerNode("n2", 0)};
  auto p = std::make_shared<core::model::Partition>(*DebugPartition());
  p->nodes = {"n1", "n2"};
  p->accepts_jobs = false;
  EXPECT_EQ(FormatSinfo({p}, nodes, false), "debug*    drain   infinite      2   idle n[1-2]\n");
  p->up = false;
  EXPECT_EQ(FormatSinfo({p}, nodes, false), "debug*    inact   infinite      2   idle n[1-2]\n");
  p->accepts_jobs = true;
  EXPECT_EQ(FormatSinfo({p}, nodes, false), "debug*     down   infinite      2   idle n[1-2]\n");
}

// Byte for byte what sinfo 22.05 printed after `scontrol update NodeName=n2 State=DRAIN
// Reason="maint work"` on an idle n2 and, 3 s later, `NodeName=n1 State=DRAIN Reason=busy`
// with a job running on n1 (drained nodes sort first, "drng" while jobs run).
TEST(FormatSinfo, DrainedNodesAndTheirReasons) {
  UseUtc();
  constexpr UnixTime kMaint = 1796658205;  // 2026-12-07T15:43:25 UTC
  auto busy = std::make_shared<core::model::Node>(*PeerNode("n1", 1));
  busy->drain = true;
  busy->reason = "busy";
  busy->reason_user = "root";
  busy->reason_time = kMaint + 3;
  auto maint = std::make_shared<core::model::Node>(*PeerNode("n2", 0));
  maint->drain = true;
  maint->reason = "maint work";
  maint->reason_user = "root";
  maint->reason_time = kMaint;
  std::vector<NodePtr> nodes = {busy, maint, PeerNode("n3", 0)};
  EXPECT_EQ(SinfoNodeState(*busy), "drng");
  EXPECT_EQ(SinfoNodeState(*maint), "drain");
  EXPECT_EQ(FormatSinfo({DebugPartition()}, nodes, true),
            "PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST\n"
            "debug*       up   infinite      1   drng n1\n"
            "debug*       up   infinite      1  drain n2\n"
            "debug*       up   infinite      1   idle n3\n");
  EXPECT_EQ(FormatSinfoReasons(nodes, true),
            "REASON               USER      TIMESTAMP           NODELIST\n"
            "busy                 root      2026-12-07T15:43:28 n1\n"
            "maint work           root      2026-12-07T15:43:25 n2\n");
  // One reason given to two nodes at once is one line.
  maint->reason = busy->reason;
  maint->reason_time = busy->reason_time;
  EXPECT_EQ(FormatSinfoReasons(nodes, false),
            "busy                 root      2026-12-07T15:43:28 n[1-2]\n");
  // A drained node that stops responding, and a node down for no response (the controller's
  // reason).
  maint->responding = false;
  auto lost = std::make_shared<core::model::Node>(*PeerNode("n3", 0));
  lost->responding = false;
  lost->down = true;
  lost->reason = "Not responding";
  lost->reason_time = kMaint;
  EXPECT_EQ(SinfoNodeState(*maint), "drain*");
  EXPECT_EQ(FormatSinfoReasons({busy, maint, lost}, false),
            "busy                 root      2026-12-07T15:43:28 n[1-2]\n"
            "Not responding       root      2026-12-07T15:43:25 n3\n");
}

}  // namespace
}  // namespace sluice::compat::slurm
