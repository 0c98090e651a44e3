// sacct end to end: finished jobs keep their record after the controller forgets them, a kill -9
// loses none, and the history replays in `sluice sim`.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "cluster_fixture.h"

namespace sluice::testing {
namespace {

// `sacct -P` output as rows of fields by header name, keyed by JobID.
std::map<std::string, std::map<std::string, std::string>> ParseParsable(const std::string& out) {
  std::map<std::string, std::map<std::string, std::string>> rows;
  std::istringstream in(out);
  std::string line;
  std::vector<std::string> header;
  const auto split = [](const std::string& l) {
    std::vector<std::string> f;
    std::stringstream ss(l);
    for (std::string x; std::getline(ss, x, '|');) f.push_back(x);
    if (!l.empty() && l.back() == '|') f.push_back("");
    return f;
  };
  while (std::getline(in, line)) {
    if (header.empty()) {
      header = split(line);
      continue;
    }
    const auto f = split(line);
    EXPECT_EQ(f.size(), header.size()) << line;
    auto& row = rows[f.empty() ? "" : f[0]];
    for (size_t i = 0; i < f.size() && i < header.size(); ++i) row[header[i]] = f[i];
  }
  return rows;
}

TEST(SacctTest, FinishedJobsShowTheirStatesAndReplayInTheSimulator) {
  LocalCluster c(2, 2);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  // Each runs over a second, so that its Elapsed counts in the replay.
  const int done = c.Submit("-o /dev/null --wrap 'sleep 1.2'");
  const int failed = c.Submit("-o /dev/null -n 2 --wrap 'sleep 1.2; exit 3'");
  const int running = c.Submit("-o /dev/null --wrap 'sleep 60'");
  const int held = c.Submit("-o /dev/null --hold --wrap true");
  ASSERT_TRUE(c.WaitForState(running, "RUNNING"));
  // Cancel it once it has run two seconds, so its Elapsed is not zero either.
  ASSERT_TRUE(WaitFor([&] {
    const std::string t = c.Run("squeue -h -o %M -j " + std::to_string(running)).out;
    return t != "0:00\n" && t != "0:01\n";
  }));
  EXPECT_EQ(c.Run("scancel " + std::to_string(running) + " " + std::to_string(held)).exit_code, 0);
  for (int id : {done, failed, running, held}) {
    ASSERT_TRUE(WaitFor([&] {
      const std::string s = c.State(id);
      return s == "COMPLETED" || s == "FAILED" || s == "CANCELLED";
    })) << "job "
        << id << " is " << c.State(id);
  }

  CommandResult r = c.Run("sacct -P --format=JobID,State,ExitCode,NCPUS,NNodes,NodeList,Start,End");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = ParseParsable(r.out);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  const auto row = [&](int id) { return rows[std::to_string(id)]; };
  EXPECT_EQ(row(done)["State"], "COMPLETED");
  EXPECT_EQ(row(done)["ExitCode"], "0:0");
  EXPECT_EQ(row(failed)["State"], "FAILED");
  EXPECT_EQ(row(failed)["ExitCode"], "3:0");
  EXPECT_EQ(row(failed)["NCPUS"], "2");
  EXPECT_EQ(row(running)["State"], "CANCELLED");
  EXPECT_EQ(row(running)["ExitCode"], "0:15");  // SIGTERM
  EXPECT_EQ(row(held)["State"], "CANCELLED");   // never started: no CPUs, no nodes
  EXPECT_EQ(row(held)["NCPUS"], "0");
  EXPECT_EQ(row(held)["NodeList"], "None assigned");
  EXPECT_EQ(row(held)["Start"], row(held)["End"]);
  for (int id : {done, failed, running}) {
    EXPECT_NE(row(id)["NodeList"].find('n'), std::string::npos) << id;
    EXPECT_LT(row(id)["Start"], row(id)["End"]) << id;
  }

  // The default layout, and filters.
  r = c.Run("sacct -n -X -s F,CA -S today -E now");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  r = c.Run("sacct -j " + std::to_string(failed));
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "JobID           JobName  Partition    Account  AllocCPUS      State ExitCode ");
  EXPECT_NE(r.out.find("\n" + std::to_string(failed) + " "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("      2     FAILED      3:0 \n"), std::string::npos) << r.out;

  // Bad input is one line and exit 1.
  for (const char* bad : {"sacct --bogus", "sacct -o nosuchfield", "sacct -S yesterdayish",
                          "sacct -s nosuchstate", "sacct 12"}) {
    r = c.Run(bad);
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
    EXPECT_EQ(r.err.rfind("sacct: error: ", 0), 0u) << bad << ": " << r.err;
  }

  // The export the simulator documents replays as it is: the three jobs that ran are replayed,
  // the one cancelled while held is counted as never started.
  r = c.Run(
      "sacct -P -X -a -o JobID,User,Account,Partition,QOS,Submit,Start,End,Elapsed,NCPUS,NNodes,"
      "Timelimit,ReqTRES,State > history.txt && sluice sim --trace history.txt --format sacct "
      "--config '" +
      c.state() + "/slurm.conf'");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("trace: sacct, 4 jobs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dropped 1 never started"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("jobs             3\n"), std::string::npos) << r.out;
}

TEST(SacctTest, RecordOutlivesTheJournalAndAKillNine) {
  // MinJobAge=1: the controller forgets a finished job a second after it ends.
  LocalCluster c(1, 2, "MinJobAge=1\n");
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  const auto sacct = [&](int id) {
    return c.Run("sacct -P -n -j " + std::to_string(id) + " -o JobID,State,ExitCode").out;
  };
  const int first = c.Submit("-o /dev/null --wrap 'exit 0'");
  ASSERT_TRUE(c.WaitForState(first, "COMPLETED"));
  // Purged from the controller and its journal, still in accounting.
  ASSERT_TRUE(WaitFor([&] { return c.State(first).empty(); })) << c.State(first);
  EXPECT_EQ(sacct(first), std::to_string(first) + "|COMPLETED|0:0\n");

  const int second = c.Submit("-o /dev/null --wrap 'exit 4'");
  ASSERT_TRUE(c.WaitForState(second, "FAILED"));
  // The moment squeue shows it finished, the controller dies without a chance to write more.
  CommandResult r = c.KillControllerAndRestart();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitFor([&] { return c.State(second).empty(); })) << c.State(second);
  EXPECT_EQ(sacct(second), std::to_string(second) + "|FAILED|4:0\n");
  EXPECT_EQ(sacct(first), std::to_string(first) + "|COMPLETED|0:0\n");
  // A clean restart reads the same history; its file sits beside the journal.
  r = c.Run("sluice down && sluice up");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(c.state() + "/accounting.db"));
  r = c.Run("sacct -P -n -o JobID,State -j " + std::to_string(first) + "," +
            std::to_string(second));
  EXPECT_EQ(r.out, std::to_string(first) + "|COMPLETED\n" + std::to_string(second) + "|FAILED\n")
      << r.err;
  // The journal lost (a new state directory but for accounting, say): job ids go on above the
  // recorded ones rather than from 1 again, which would overwrite the first job's record.
  r = c.Run("sluice down");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"/journal.db", "/journal.db-wal", "/journal.db-shm"}) {
    fs::remove(c.state() + f);
  }
  r = c.Run("sluice up");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int third = c.Submit("-o /dev/null --wrap 'exit 0'");
  EXPECT_GT(third, second);
  ASSERT_TRUE(c.WaitForState(third, "COMPLETED"));
  ASSERT_TRUE(WaitFor([&] { return !sacct(third).empty(); }));
  r = c.Run("sacct -P -n -o JobID,State -j " + std::to_string(first) + "," +
            std::to_string(second) + "," + std::to_string(third));
  EXPECT_EQ(r.out, std::to_string(first) + "|COMPLETED\n" + std::to_string(second) + "|FAILED\n" +
                       std::to_string(third) + "|COMPLETED\n")
      << r.err;
}

}  // namespace
}  // namespace sluice::testing
