#include "compat/slurm/sprio_format.h"

#include <gtest/gtest.h>

#include <string>

#include "compat/slurm/format_width.h"

namespace sluice::compat::slurm {
namespace {

using core::cluster::PriorityConfig;
using core::policy::PriorityFactors;

PriorityConfig Weights() {
  PriorityConfig c;
  c.type = "priority/multifactor";
  c.weight_age = 1000;
  c.weight_fairshare = 10000;
  c.weight_job_size = 1000;
  c.weight_partition = 5000;
  c.weight_qos = 2000;
  return c;
}

SprioRow Row1() {
  SprioRow r;
  r.job_id = 65539;
  r.partition = "debug";
  r.user = "alice";
  r.factors = PriorityFactors{.age = 0.5,
                              .fairshare = 1.0,
                              .job_size = 0.25,
                              .partition = 0.5,
                              .qos = 1.0,
                              .nice = 100,
                              .priority = 15150};
  return r;
}

// Weighted values are rounded ("%.0f", 62.5 -> 62 as glibc does); long names are cut.
SprioRow Row2() {
  SprioRow r;
  r.job_id = 7;
  r.partition = "verylongpartition";
  r.user = "bob";
  r.factors = PriorityFactors{.age = 2.0 / 3,
                              .fairshare = 2.0 / 3,
                              .job_size = 0.0625,
                              .partition = 0.25,
                              .qos = 0.1,
                              .priority = 6666};
  return r;
}

constexpr std::string_view kHeader =
    "          JOBID PARTITION   PRIORITY       SITE        AGE  FAIRSHARE    JOBSIZE  PARTITION "
    "       QOS\n";

TEST(SprioFormatTest, DefaultFormatsFollowTheWeights) {
  EXPECT_EQ(SprioDefaultFormat(Weights(), false, false, false),
            "%.15i %9r %.10Y %.10S %.10A %.10F %.10J %.10P %.10Q");
  PriorityConfig two;
  two.weight_age = 1;
  two.weight_fairshare = 1;
  EXPECT_EQ(SprioDefaultFormat(two, false, false, false), "%.15i %9r %.10Y %.10S %.10A %.10F");
  EXPECT_EQ(SprioDefaultFormat(two, false, false, true), "%.15i %9r %.8u %.10Y %.10S %.10A %.10F");
  EXPECT_EQ(SprioDefaultFormat(two, false, true, false), "%.15i %9r %10y %10a %10f");
  EXPECT_EQ(SprioDefaultFormat(two, true, false, false),
            "%.15i %9r %.8u %.10Y %.10S %.10A %.10B %.10F %.10J %.10P %.10Q %.11N %.20T");
  EXPECT_EQ(SprioDefaultFormat(two, true, true, false),
            "%.15i %9r %.8u %10y %10a %10b %10f %10j %10p %10q %20t");
}

TEST(SprioFormatTest, DefaultOutput) {
  std::string out = FormatSprio({Row1(), Row2()}, Weights(), false, true);
  EXPECT_EQ(out, std::string(kHeader) +
                     "          65539 debug          15150          0        500      10000     "
                     "   250       2500       2000\n"
                     "              7 verylongp       6666          0        667       6667     "
                     "    62       1250        200\n");
  EXPECT_EQ(FormatSprio({Row1()}, Weights(), false, false),
            "          65539 debug          15150          0        500      10000        250   "
            "    2500       2000\n");
}

TEST(SprioFormatTest, LongOutput) {
  EXPECT_EQ(FormatSprio({Row1()}, Weights(), true, true),
            "          JOBID PARTITION     USER   PRIORITY       SITE        AGE      ASSOC  "
            "FAIRSHARE    JOBSIZE  PARTITION        QOS        NICE                 TRES\n"
            "          65539 debug        alice      15150          0        500          0      "
            "10000        250       2500       2000         100                     \n");
}

TEST(SprioFormatTest, NormalizedOutput) {
  PriorityConfig two;
  two.weight_age = 1000;
  two.weight_fairshare = 10000;
  auto out = FormatSprio({Row1()}, SprioDefaultFormat(two, false, true, false), two, true);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out,
            "          JOBID PARTITION PRIORITY   AGE        FAIRSHARE \n"
            "          65539 debug     0.00000352 0.5000000  1.0000000 \n");
  // A factor whose weight is 0 shows 0, as Slurm divides the weighted value by the weight.
  auto js = FormatSprio({Row1()}, "%j|%J", two, false);
  ASSERT_TRUE(js.ok());
  EXPECT_EQ(*js, "0.0000000|0\n");
}

TEST(SprioFormatTest, WeightsLine) {
  auto out =
      FormatSprioWeights(SprioDefaultFormat(Weights(), false, false, false), Weights(), true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, std::string(kHeader) +
                      "        Weights                               1       1000      10000     "
                      "  1000       5000       2000\n");
}

TEST(SprioFormatTest, CustomFormatPrefixSuffixAndErrors) {
  auto out = FormatSprio({Row1()}, "job:%i,%u %N|%Y", Weights(), true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "job:JOBID,USER NICE|PRIORITY\njob:65539,alice 100|15150\n");
  auto bad = FormatSprio({Row1()}, "%i %Z", Weights(), true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "Invalid job format specification: Z");
}

TEST(SprioFormatTest, WidthsPastTheWidestAreTheWidest) {
  // Twenty digits overflow any int; two billion would pad each row to two gigabytes.
  for (const char* format : {"%.99999999999999999999i|", "%.2000000000i|"}) {
    auto out = FormatSprio({Row1()}, format, Weights(), false);
    ASSERT_TRUE(out.ok()) << format;
    EXPECT_EQ(*out, std::string(kMaxFieldWidth - 5, ' ') + "65539|\n") << format;
  }
  auto exact = FormatSprio({Row1()}, "%.4096i|", Weights(), false);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->size(), 4096u + 2);
}

}  // namespace
}  // namespace sluice::compat::slurm
