// sluice sim end to end: the real binary on a small SWF trace (no daemons), --compare and the
// files --out writes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cluster_fixture.h"

namespace sluice::testing {
namespace {

// Four processors, the driver test's trace: fifo and easy schedule it differently.
constexpr const char* kTrace =
    "; MaxProcs: 4\n"
    "1 0 -1 100 3 -1 -1 3 100 -1 1 1 -1 -1 -1 -1 -1 -1\n"
    "2 0 -1 100 2 -1 -1 2 100 -1 1 1 -1 -1 -1 -1 -1 -1\n"
    "3 0 -1 100 4 -1 -1 4 100 -1 1 1 -1 -1 -1 -1 -1 -1\n"
    "4 10 -1 300 1 -1 -1 1 300 -1 1 1 -1 -1 -1 -1 -1 -1\n"
    "5 20 -1 50 1 -1 -1 1 50 -1 1 1 -1 -1 -1 -1 -1 -1\n";

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class SimCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sluice-sim-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    std::ofstream(root_ + "/trace.swf") << kTrace;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Runs `sluice sim --trace <the trace> <args>`.
  CommandResult Sim(const std::string& args) const {
    const std::string err_file = root_ + "/stderr";
    const std::string cmd = "'" + BinDir() + "/sluice' sim --trace '" + root_ + "/trace.swf' " +
                            args + " 2>'" + err_file + "'";
    FILE* p = popen(cmd.c_str(), "r");
    CommandResult r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = ReadAll(err_file);
    return r;
  }

  std::string root_;
};

TEST_F(SimCliTest, CompareWritesEachPolicyAndChartsOfAll) {
  const std::string out = root_ + "/out";
  const CommandResult r = Sim("--compare fifo,easy --json --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json.size(), 2u) << r.out;
  for (const char* policy : {"fifo", "easy"}) {
    EXPECT_EQ(json.at(policy).at("jobs"), 5) << policy;
    EXPECT_TRUE(json.at(policy).contains("avg_bsld")) << policy;
    EXPECT_NE(ReadAll(out + "/" + policy + "/jobs.csv").find("id,submit,start,end"),
              std::string::npos)
        << policy;
    EXPECT_EQ(nlohmann::json::parse(ReadAll(out + "/" + policy + "/metrics.json")), json.at(policy))
        << policy;
  }
  // EASY lets job 4 start before job 3: less waiting than fifo.
  EXPECT_LT(json["easy"]["avg_wait_s"].get<double>(), json["fifo"]["avg_wait_s"].get<double>());
  for (const char* chart : {"utilization.svg", "queue.svg", "wait_cdf.svg"}) {
    const std::string svg = ReadAll(out + "/" + chart);
    EXPECT_EQ(Count(svg, "<polyline"), 2u) << chart;
    EXPECT_NE(svg.find(">fifo</text>"), std::string::npos) << chart;
    EXPECT_NE(svg.find(">easy</text>"), std::string::npos) << chart;
  }
  const std::string html = ReadAll(out + "/index.html");
  EXPECT_NE(html.find("trace.swf"), std::string::npos);
  EXPECT_NE(html.find("<td>fifo</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>easy</td>"), std::string::npos);
  EXPECT_FALSE(fs::exists(out + "/jobs.csv"));  // a comparison's are per policy
}

TEST_F(SimCliTest, CompareTableHasAColumnAPolicy) {
  const CommandResult r = Sim("--compare easy,conservative,fifo");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("policy                     easy   conservative           fifo\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("jobs                          5              5              5\n"),
            std::string::npos)
      << r.out;
}

TEST_F(SimCliTest, SinglePolicyOutDrawsOneSeries) {
  const std::string out = root_ + "/one";
  const CommandResult r = Sim("--policy easy --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("jobs             5\n"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out + "/jobs.csv"));
  EXPECT_TRUE(fs::exists(out + "/metrics.json"));
  EXPECT_EQ(Count(ReadAll(out + "/wait_cdf.svg"), "<polyline"), 1u);
  EXPECT_NE(ReadAll(out + "/index.html").find("src=\"queue.svg\""), std::string::npos);
}

TEST_F(SimCliTest, BadComparisonsAreOneLineErrors) {
  for (const char* args : {"--compare easy,easy", "--compare easy,bogus", "--compare ''",
                           "--compare easy --policy fifo"}) {
    const CommandResult r = Sim(args);
    EXPECT_EQ(r.exit_code, 1) << args;
    EXPECT_EQ(Count(r.err, "\n"), 1u) << args << ": " << r.err;
    EXPECT_NE(r.err.find("sluice sim: error: "), std::string::npos) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

}  // namespace
}  // namespace sluice::testing
