#include "sim/trace.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "compat/slurm/time_format.h"
#include "sim/sacct.h"
#include "sim/workload.h"

namespace sluice::sim {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// 18 whitespace-separated numbers: an SWF job line.
bool LooksLikeSwfLine(std::string_view line) {
  int fields = 0;
  bool in_field = false;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r') {
      in_field = false;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
    if (!in_field) ++fields;
    in_field = true;
  }
  return fields == 18;
}

std::string Count(uint64_t n) { return std::to_string(n); }

}  // namespace

std::string_view TraceFormatName(TraceFormat format) {
  switch (format) {
    case TraceFormat::kSwf:
      return "swf";
    case TraceFormat::kJobs:
      return "jobs";
    case TraceFormat::kSacct:
      return "sacct";
  }
  return "swf";
}

std::optional<TraceFormat> ParseTraceFormat(std::string_view name) {
  for (TraceFormat f : {TraceFormat::kSwf, TraceFormat::kJobs, TraceFormat::kSacct}) {
    if (name == TraceFormatName(f)) return f;
  }
  return std::nullopt;
}

Result<TraceFormat> DetectTraceFormat(std::string_view path, std::string_view text) {
  const std::string lower_path = str::ToLower(path);
  if (EndsWith(lower_path, ".swf")) return TraceFormat::kSwf;
  if (EndsWith(lower_path, ".jsonl") || EndsWith(lower_path, ".json")) return TraceFormat::kJobs;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = str::Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (str::ToLower(line).find("jobid|") != std::string::npos) return TraceFormat::kSacct;
    if (line.front() == '{') return TraceFormat::kJobs;
    if (line.front() == ';' || LooksLikeSwfLine(line)) return TraceFormat::kSwf;
    break;
  }
  return InvalidArgument("cannot tell the format of " + std::string(path) +
                         ": give --format swf, jobs (JSON lines) or sacct (sacct -P output)");
}

Result<LoadedTrace> LoadTrace(const std::string& path, std::optional<TraceFormat> format,
                              const core::cluster::ClusterConfig* cluster) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read trace " + path + ": check the path");
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  LoadedTrace out;
  if (format) {
    out.format = *format;
  } else {
    SLUICE_ASSIGN_OR_RETURN(out.format, DetectTraceFormat(path, text));
  }
  if (out.format != TraceFormat::kSwf && cluster == nullptr) {
    return InvalidArgument(path + ": " +
                           (out.format == TraceFormat::kJobs ? "job descriptions"
                                                             : "sacct "
                                                               "histories") +
                           " ask for partitions and GPUs: give the cluster with --config "
                           "slurm.conf");
  }
  const auto in_file = [&](const Status& st) {
    return InvalidArgument(path + ": " + st.message());
  };
  switch (out.format) {
    case TraceFormat::kSwf: {
      auto t = ParseSwf(text);
      if (!t.ok()) return in_file(t.status());
      out.machine_procs = MachineProcs(*t);
      out.jobs = std::move(t->jobs);
      out.notes = "trace: " + Count(t->records) + " records, " + Count(t->dropped) +
                  " dropped (unknown or non-positive processors or run time), " +
                  Count(t->exact_estimates) + " exact estimates (no requested time), " +
                  Count(t->capped) + " runs capped at the requested time";
      break;
    }
    case TraceFormat::kJobs: {
      auto w = ParseJobDescriptions(text);
      if (!w.ok()) return in_file(w.status());
      out.jobs = std::move(w->jobs);
      const uint64_t capped = w->capped + ResolveTimeLimits(*cluster, &out.jobs);
      out.notes = "trace: " + Count(w->records) + " job descriptions, " + Count(w->default_limits) +
                  " without -t (the partition's default limit), " + Count(capped) +
                  " runs capped at the time limit, " + Count(w->ignored_options) +
                  " with sbatch options Sluice does not model";
      break;
    }
    case TraceFormat::kSacct: {
      auto t = ParseSacct(text);
      if (!t.ok()) return in_file(t.status());
      out.jobs = std::move(t->jobs);
      const uint64_t capped = t->capped + ResolveTimeLimits(*cluster, &out.jobs);
      out.notes = "trace: sacct, " + Count(t->records) + " jobs (" + Count(t->steps) +
                  " steps skipped), dropped " + Count(t->never_started) + " never started, " +
                  Count(t->unfinished) + " unfinished, " + Count(t->dropped) +
                  " without CPUs or run time; " + Count(t->exact_estimates) +
                  " exact estimates (no Timelimit), " + Count(t->partition_limits) +
                  " Partition_Limit, " + Count(capped) +
                  " runs capped at the time limit; time 0 is " +
                  (t->records > 0 && !out.jobs.empty() ? compat::slurm::FormatIsoTime(t->origin)
                                                       : std::string("-"));
      break;
    }
  }
  return out;
}

}  // namespace sluice::sim
