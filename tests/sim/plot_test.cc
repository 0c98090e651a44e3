#include "sim/plot.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sluice::sim {
namespace {

// Four processors. A: 2 processors over [0, 100). B (all 4) is submitted at 0 and starts when A
// ends, over [100, 200). C (2) is submitted at 20 and starts when B ends, over [200, 300).
//  utilization: 0.5 over [0, 100), 1 over [100, 200), 0.5 over [200, 300)
//  queue:       1 (B) over [0, 20), 2 (B, C) over [20, 100), 1 (C) over [100, 200), then 0
//  waits:       0, 100, 180
SimResult Example() {
  SimResult r;
  r.machine_procs = 4;
  r.jobs = {{1, 0, 0, 100, 2}, {2, 0, 100, 200, 4}, {3, 20, 200, 300, 2}};
  return r;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Well-formed enough: every element closes in order, no stray '<' or '&' in text.
bool WellFormed(const std::string& xml, std::string* why) {
  std::vector<std::string> open;
  for (size_t i = 0; i < xml.size(); ++i) {
    if (xml[i] == '&') {
      const size_t semi = xml.find(';', i);
      if (semi == std::string::npos || semi - i > 6) {
        *why = "bare & at " + std::to_string(i);
        return false;
      }
      continue;
    }
    if (xml[i] != '<') continue;
    const size_t close = xml.find('>', i);
    if (close == std::string::npos) {
      *why = "unclosed tag at " + std::to_string(i);
      return false;
    }
    const std::string tag = xml.substr(i + 1, close - i - 1);
    i = close;
    if (tag.empty() || tag[0] == '!' || tag[0] == '?' || tag.back() == '/') continue;
    // HTML's void elements need no end tag.
    const std::string name = tag.substr(0, tag.find_first_of(" \n"));
    if (name == "meta" || name == "img") continue;
    if (name[0] != '/') {
      open.push_back(name);
    } else if (open.empty() || open.back() != name.substr(1)) {
      *why = "</" + name.substr(1) + "> closes " + (open.empty() ? "nothing" : open.back());
      return false;
    } else {
      open.pop_back();
    }
  }
  if (!open.empty()) *why = "<" + open.back() + "> never closed";
  return open.empty();
}

TEST(PlotTest, UtilizationWorkedOutByHand) {
  const SimResult r = Example();
  BinnedSeries b = UtilizationOverTime(r, 0, 300, 3);
  ASSERT_EQ(b.mean.size(), 3u);
  EXPECT_DOUBLE_EQ(b.t0, 0);
  EXPECT_DOUBLE_EQ(b.bin_s, 100);
  EXPECT_DOUBLE_EQ(b.mean[0], 0.5);
  EXPECT_DOUBLE_EQ(b.mean[1], 1.0);
  EXPECT_DOUBLE_EQ(b.mean[2], 0.5);
  // A bin across a change is the time-weighted mean: [0, 150) is 100 s at 0.5 and 50 s at 1.
  b = UtilizationOverTime(r, 0, 300, 2);
  EXPECT_DOUBLE_EQ(b.mean[0], (100 * 0.5 + 50 * 1.0) / 150);
  EXPECT_DOUBLE_EQ(b.mean[1], (50 * 1.0 + 100 * 0.5) / 150);
  // A window that starts late counts what began before it; after the last end it is idle.
  b = UtilizationOverTime(r, 250, 350, 2);
  EXPECT_DOUBLE_EQ(b.mean[0], 0.5);
  EXPECT_DOUBLE_EQ(b.mean[1], 0);
}

TEST(PlotTest, QueueLengthWorkedOutByHand) {
  const SimResult r = Example();
  BinnedSeries b = QueueLengthOverTime(r, 0, 300, 15);  // 20 s bins
  ASSERT_EQ(b.mean.size(), 15u);
  // [0, 20): B; [20, 100): B and C; [100, 200): C; then none.
  EXPECT_DOUBLE_EQ(b.mean[0], 1);
  for (int i = 1; i < 5; ++i) EXPECT_DOUBLE_EQ(b.mean[i], 2) << i;
  for (int i = 5; i < 10; ++i) EXPECT_DOUBLE_EQ(b.mean[i], 1) << i;
  for (int i = 10; i < 15; ++i) EXPECT_DOUBLE_EQ(b.mean[i], 0) << i;
  b = QueueLengthOverTime(r, 0, 300, 3);
  EXPECT_DOUBLE_EQ(b.mean[0], (20 * 1 + 80 * 2) / 100.0);
}

TEST(PlotTest, SeriesOfNothing) {
  EXPECT_TRUE(UtilizationOverTime(Example(), 0, 300, 0).mean.empty());
  EXPECT_TRUE(QueueLengthOverTime(Example(), 300, 300, 10).mean.empty());
  SimResult none;  // no processors: utilization is 0, not a division by zero
  none.jobs = {{1, 0, 0, 10, 1}};
  EXPECT_EQ(UtilizationOverTime(none, 0, 10, 2).mean, (std::vector<double>{0, 0}));
}

TEST(PlotTest, WaitCdfWorkedOutByHand) {
  const std::vector<CdfPoint> cdf = WaitCdf(Example());
  ASSERT_EQ(cdf.size(), 3u);
  EXPECT_DOUBLE_EQ(cdf[0].wait_s, 1);  // a 0 s wait, drawn at 1 s
  EXPECT_DOUBLE_EQ(cdf[0].fraction, 1.0 / 3);
  EXPECT_DOUBLE_EQ(cdf[1].wait_s, 100);
  EXPECT_DOUBLE_EQ(cdf[1].fraction, 2.0 / 3);
  EXPECT_DOUBLE_EQ(cdf[2].wait_s, 180);
  EXPECT_DOUBLE_EQ(cdf[2].fraction, 1);
  EXPECT_TRUE(WaitCdf(SimResult{}).empty());
}

TEST(PlotTest, WaitCdfIsThinnedMonotoneAndEndsAtOne) {
  SimResult r;
  r.machine_procs = 1;
  for (Seconds w = 0; w < 10000; ++w) {
    r.jobs.push_back({static_cast<uint64_t>(w), 0, w, w + 1, 1});
  }
  const std::vector<CdfPoint> cdf = WaitCdf(r, 100);
  ASSERT_GE(cdf.size(), 100u);
  EXPECT_LE(cdf.size(), 202u);
  EXPECT_DOUBLE_EQ(cdf.front().wait_s, 1);  // 0 and 1 s both
  EXPECT_DOUBLE_EQ(cdf.front().fraction, 2.0 / 10000);
  EXPECT_DOUBLE_EQ(cdf.back().wait_s, 9999);
  EXPECT_DOUBLE_EQ(cdf.back().fraction, 1);
  for (size_t i = 1; i < cdf.size(); ++i) {
    EXPECT_GT(cdf[i].wait_s, cdf[i - 1].wait_s) << i;
    EXPECT_GT(cdf[i].fraction, cdf[i - 1].fraction) << i;
  }
  EXPECT_EQ(WaitCdf(r, 20000).size(), 9999u);  // unthinned: one point a distinct wait
}

TEST(PlotTest, XmlEscape) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(XmlEscape("plain.swf"), "plain.swf");
}

struct ChartCase {
  const char* name;
  std::string (*render)(std::string_view, const std::vector<PlotRun>&);
  const char* y_title;
};

class ChartTest : public ::testing::TestWithParam<ChartCase> {};

TEST_P(ChartTest, OnePolylineASeriesWithLegendAxesAndEscapedTitle) {
  const SimResult a = Example();
  SimResult b = Example();
  b.jobs[1] = {2, 0, 150, 250, 4};
  const std::vector<PlotRun> runs = {{"easy", &a, {}}, {"fifo", &b, {}}};
  const std::string svg = GetParam().render("a<b&c.swf", runs);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg;
  EXPECT_EQ(Count(svg, "<polyline"), 2u);
  EXPECT_EQ(Count(svg, ">easy</text>"), 1u);  // the legend
  EXPECT_EQ(Count(svg, ">fifo</text>"), 1u);
  EXPECT_NE(svg.find("a&lt;b&amp;c.swf"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_NE(svg.find(GetParam().y_title), std::string::npos);
  EXPECT_NE(svg.find("stroke=\"#0072B2\""), std::string::npos);  // two distinct colors
  EXPECT_NE(svg.find("stroke=\"#D55E00\""), std::string::npos);
  std::string why;
  EXPECT_TRUE(WellFormed(svg, &why)) << why;
}

TEST_P(ChartTest, NoJobsStillDraws) {
  const SimResult none;
  const std::string svg = GetParam().render("", {{"easy", &none, {}}});
  EXPECT_EQ(Count(svg, "<polyline"), 1u);
  std::string why;
  EXPECT_TRUE(WellFormed(svg, &why)) << why;
}

INSTANTIATE_TEST_SUITE_P(
    Charts, ChartTest,
    ::testing::Values(ChartCase{"utilization", &UtilizationSvg, "busy processors / all processors"},
                      ChartCase{"queue", &QueueLengthSvg, "jobs waiting (submitted, not started)"},
                      ChartCase{"wait_cdf", &WaitCdfSvg, "waits under 1 s drawn at 1 s"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(PlotTest, TimeAxisInHoursThenDays) {
  const SimResult short_run = Example();  // 300 s
  std::string svg = UtilizationSvg("t", {{"easy", &short_run, {}}});
  EXPECT_NE(svg.find("time since trace start (hours)"), std::string::npos);
  SimResult long_run;
  long_run.machine_procs = 1;
  long_run.jobs = {{1, 0, 0, 10 * 86400, 1}};
  svg = QueueLengthSvg("t", {{"easy", &long_run, {}}});
  EXPECT_NE(svg.find("time since trace start (days)"), std::string::npos);
  EXPECT_NE(svg.find(">10</text>"), std::string::npos);  // the last day is a tick
}

TEST(PlotTest, WaitAxisSpansWholeDecadesWithReferenceLines) {
  const SimResult r = Example();  // longest wait 180 s: 1 s to 1000 s
  const std::string svg = WaitCdfSvg("t", {{"easy", &r, {}}});
  EXPECT_NE(svg.find(">1k</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">10k</text>"), std::string::npos);
  EXPECT_NE(svg.find(">1 min</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">1 h</text>"), std::string::npos);
}

TEST(PlotTest, ReportHtmlShowsTheChartsAndAMetricsRowARun) {
  const SimResult a = Example();
  Metrics m;
  m.jobs = 3;
  m.avg_wait_s = 93.26;
  const std::string html =
      ReportHtml("x&<y>.swf", {{"easy", &a, m}, {"conservative", &a, Metrics{}}});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* file : {"utilization.svg", "queue.svg", "wait_cdf.svg"}) {
    EXPECT_NE(html.find("src=\"" + std::string(file) + "\""), std::string::npos) << file;
  }
  EXPECT_NE(html.find("x&amp;&lt;y&gt;.swf"), std::string::npos);
  EXPECT_EQ(html.find("<y>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>easy</td><td>3</td><td>93.3</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<tr><td>conservative</td>"), std::string::npos);
  EXPECT_NE(html.find("<th>jobs_per_second</th>"), std::string::npos);
  std::string why;
  EXPECT_TRUE(WellFormed(html, &why)) << why;
}

TEST(PlotTest, WritePlotsWritesFourFiles) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "sluice-plot-test" / "nested";
  std::filesystem::remove_all(dir.parent_path());
  const SimResult a = Example();
  ASSERT_TRUE(WritePlots("t.swf", {{"easy", &a, {}}}, dir.string()).ok());
  for (const char* file : {"utilization.svg", "queue.svg", "wait_cdf.svg", "index.html"}) {
    std::ifstream in(dir / file);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_FALSE(text.str().empty()) << file;
  }
  std::filesystem::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace sluice::sim
