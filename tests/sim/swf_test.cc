#include "sim/swf.h"

#include <gtest/gtest.h>

namespace sluice::sim {
namespace {

// Fields: id submit wait run alloc_procs cpu mem req_procs req_time req_mem status user group
// app queue partition preceding think.
constexpr const char* kTrace =
    "; Version: 2.2\n"
    "; MaxNodes: 16\n"
    ";  MaxProcs: 64\n"
    ";\n"
    "1 0 5 100 4 -1 -1 4 200 -1 1 7 1 -1 -1 -1 -1 -1\n"
    "2 10 0 50 8 -1 -1 -1 60 -1 1 7 1 -1 -1 -1 -1 -1\n"  // requested procs unknown: allocated
    "3 20 0 -1 4 -1 -1 4 60 -1 0 7 1 -1 -1 -1 -1 -1\n"   // run time unknown: dropped
    "\n"
    "4 30 0 30 0 -1 -1 -1 60 -1 1 7 1 -1 -1 -1 -1 -1\n"      // no processors: dropped
    "5 40 0 70 2 -1 -1 2 -1 -1 1 8 1 -1 -1 -1 -1 -1\n"       // no requested time: exact estimate
    "6 50 0 300 2 -1 -1 3 200 -1 0 8 1 -1 -1 -1 -1 -1\n"     // ran past its request: capped
    "7 60 0 0 2 -1 -1 2 200 -1 5 8 1 -1 -1 -1 -1 -1\n"       // zero run time: dropped
    "8 70.0 0 12.7 1 -1 -1 1 20 -1 1 9 1 -1 -1 -1 -1 -1\n";  // fractions truncate

TEST(SwfTest, ParsesHeaderAndCleansJobs) {
  auto trace = ParseSwf(kTrace);
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  EXPECT_EQ(trace->max_nodes, 16u);
  EXPECT_EQ(trace->max_procs, 64u);
  EXPECT_EQ(MachineProcs(*trace), 64u);
  EXPECT_EQ(trace->records, 8u);
  EXPECT_EQ(trace->dropped, 3u);
  EXPECT_EQ(trace->exact_estimates, 1u);
  EXPECT_EQ(trace->capped, 1u);
  ASSERT_EQ(trace->jobs.size(), 5u);

  const SimJob& a = trace->jobs[0];
  EXPECT_EQ(a.id, 1u);
  EXPECT_EQ(a.submit, 0);
  EXPECT_EQ(a.run, 100);
  EXPECT_EQ(a.estimate, 200);
  EXPECT_EQ(a.procs, 4u);
  EXPECT_EQ(a.user, 7);

  EXPECT_EQ(trace->jobs[1].procs, 8u);  // allocated, as requested is unknown
  EXPECT_EQ(trace->jobs[1].estimate, 60);

  const SimJob& exact = trace->jobs[2];
  EXPECT_EQ(exact.id, 5u);
  EXPECT_EQ(exact.run, 70);
  EXPECT_EQ(exact.estimate, 70);

  const SimJob& capped = trace->jobs[3];
  EXPECT_EQ(capped.id, 6u);
  EXPECT_EQ(capped.procs, 3u);  // requested wins over allocated
  EXPECT_EQ(capped.run, 200);
  EXPECT_EQ(capped.estimate, 200);

  EXPECT_EQ(trace->jobs[4].submit, 70);
  EXPECT_EQ(trace->jobs[4].run, 12);
}

TEST(SwfTest, MachineSizeFallsBackToNodesThenWidestJob) {
  auto nodes_only = ParseSwf("; MaxNodes: 256\n1 0 0 10 4 -1 -1 -1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n");
  ASSERT_TRUE(nodes_only.ok());
  EXPECT_EQ(MachineProcs(*nodes_only), 256u);
  auto none = ParseSwf(
      "1 0 0 10 4 -1 -1 -1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n"
      "2 0 0 10 9 -1 -1 -1 -1 -1 1 1 1 -1 -1 -1 -1 -1\n");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->max_procs, 0u);
  EXPECT_EQ(MachineProcs(*none), 9u);
}

TEST(SwfTest, MalformedLinesNameTheLine) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"; header\n1 0 0 10 4 -1 -1 4 20 -1 1 1 1 -1 -1 -1 -1\n", "SWF line 2: 17 fields"},
      {"1 0 0 10 4 -1 -1 4 20 -1 1 1 1 -1 -1 -1 -1 -1 9\n", "SWF line 1: more than 18"},
      {"\n\n1 0 0 ten 4 -1 -1 4 20 -1 1 1 1 -1 -1 -1 -1 -1\n", "SWF line 3: field 4"},
      // Past a 64-bit integer, whose conversion was undefined (UBSan: float-cast-overflow).
      {"1 0 0 10 4 -1 -1 4 1e30 -1 1 1 1 -1 -1 -1 -1 -1\n", "SWF line 1: field 9 is out of range"},
      {"1 0 0 10 4 -1 -1 4 20 -1 1 1 1 -1 -1 -1 -1 -9223372036854775808\n",
       "SWF line 1: field 18 is out of range"},
  };
  for (const Case& c : cases) {
    auto trace = ParseSwf(c.text);
    ASSERT_FALSE(trace.ok()) << c.text;
    EXPECT_EQ(trace.status().code(), Code::kInvalidArgument);
    EXPECT_NE(trace.status().message().find(c.want), std::string::npos) << trace.status().message();
  }
}

TEST(SwfTest, EmptyTraceAndMissingFile) {
  auto empty = ParseSwf("; only a header\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->jobs.empty());
  auto missing = LoadSwf("/nonexistent/trace.swf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace sluice::sim
