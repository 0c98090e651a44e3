#include "compat/slurm/sprio_format.h"

#include <algorithm>
#include <cstdio>

#include "compat/slurm/format_width.h"

namespace sluice::compat::slurm {

namespace {

using core::cluster::PriorityConfig;

struct Field {
  char type = 0;
  int width = 0;
  bool right = false;
  std::string suffix;
};

struct Format {
  std::string prefix;
  std::vector<Field> fields;
};

constexpr std::string_view kTypes = "iruNYySAFJPQafjpqBbTt";

// sprio's parse_format: strtok on '%' (so empty tokens, e.g. from "%%", vanish), then
// "[.][digits]type" and the rest of the token as the suffix.
Result<Format> Parse(std::string_view format) {
  Format out;
  size_t pos = format.find('%');
  out.prefix = std::string(format.substr(0, pos));
  while (pos != std::string_view::npos) {
    size_t next = format.find('%', pos + 1);
    std::string_view token = format.substr(
        pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    pos = next;
    if (token.empty()) continue;
    Field f;
    size_t i = 0;
    if (token[i] == '.') {
      f.right = true;
      ++i;
    }
    // A wider column than the widest is taken as the widest (the digits once overflowed an
    // int, and "%2000000000i" padded every row to two gigabytes).
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') {
      f.width = std::min(f.width * 10 + (token[i++] - '0'), kMaxFieldWidth);
    }
    f.type = i < token.size() ? token[i++] : '\0';
    if (f.type == '\0' || kTypes.find(f.type) == std::string_view::npos) {
      return InvalidArgument(std::string("Invalid job format specification: ") +
                             (f.type ? std::string(1, f.type) : std::string()));
    }
    f.suffix = std::string(token.substr(i));
    out.fields.push_back(std::move(f));
  }
  return out;
}

// sprio's _print_str: right-justified "%Ns" or left "%.Ns" padded; cut to the width.
void Put(std::string* out, const std::string& s, const Field& f) {
  if (f.width == 0) {
    *out += s;
    return;
  }
  size_t w = static_cast<size_t>(f.width);
  std::string v = s.size() > w ? s.substr(0, w) : s;
  if (f.right) out->append(w - v.size(), ' ');
  *out += v;
  if (!f.right) out->append(w - v.size(), ' ');
}

std::string Int(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

std::string Norm(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.7f", v);
  return buf;
}

const char* Header(char type) {
  switch (type) {
    case 'i':
      return "JOBID";
    case 'r':
      return "PARTITION";
    case 'u':
      return "USER";
    case 'N':
      return "NICE";
    case 'Y':
    case 'y':
      return "PRIORITY";
    case 'S':
      return "SITE";
    case 'A':
    case 'a':
      return "AGE";
    case 'F':
    case 'f':
      return "FAIRSHARE";
    case 'J':
    case 'j':
      return "JOBSIZE";
    case 'P':
    case 'p':
      return "PARTITION";
    case 'Q':
    case 'q':
      return "QOS";
    case 'B':
    case 'b':
      return "ASSOC";
    default:
      return "TRES";
  }
}

// The factor and weight a factor column shows; false for other columns.
bool Factor(char type, const PriorityConfig& w, const core::policy::PriorityFactors& f,
            double* factor, uint32_t* weight) {
  switch (type) {
    case 'A':
    case 'a':
      *factor = f.age, *weight = w.weight_age;
      return true;
    case 'F':
    case 'f':
      *factor = f.fairshare, *weight = w.weight_fairshare;
      return true;
    case 'J':
    case 'j':
      *factor = f.job_size, *weight = w.weight_job_size;
      return true;
    case 'P':
    case 'p':
      *factor = f.partition, *weight = w.weight_partition;
      return true;
    case 'Q':
    case 'q':
      *factor = f.qos, *weight = w.weight_qos;
      return true;
    case 'B':
    case 'b':
      *factor = 0, *weight = 0;  // PriorityWeightAssoc: not configurable in Sluice
      return true;
    default:
      return false;
  }
}

bool IsNormalized(char type) { return type >= 'a' && type <= 'z'; }

std::string Value(const Field& f, const SprioRow& row, const PriorityConfig& w) {
  double factor = 0;
  uint32_t weight = 0;
  if (Factor(f.type, w, row.factors, &factor, &weight)) {
    if (IsNormalized(f.type)) return Norm(weight ? factor : 0.0);
    return Int(factor * weight);
  }
  switch (f.type) {
    case 'i':
      return std::to_string(row.job_id);
    case 'r':
      return row.partition;
    case 'u':
      return row.user;
    case 'N':
      return Int(row.factors.nice);
    case 'Y':
      return std::to_string(row.factors.priority);
    case 'y': {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%16.14f", row.factors.priority / 4294967295.0);
      return buf;
    }
    case 'S':
      return "0";
    default:  // T, t
      return "";
  }
}

std::string WeightValue(const Field& f, const PriorityConfig& w) {
  double factor = 0;
  uint32_t weight = 0;
  core::policy::PriorityFactors none;
  if (Factor(f.type, w, none, &factor, &weight)) return Int(weight);
  switch (f.type) {
    case 'i':
      return "Weights";
    case 'S':
      return "1";
    case 'T':
      return "(null)";
    default:
      return "";
  }
}

template <typename ValueFn>
void Line(std::string* out, const Format& fmt, ValueFn value) {
  *out += fmt.prefix;
  for (const auto& f : fmt.fields) {
    Put(out, value(f), f);
    *out += f.suffix;
  }
  *out += '\n';
}

}  // namespace

std::string SprioDefaultFormat(const PriorityConfig& weights, bool long_format, bool normalized,
                               bool users_given) {
  if (long_format) {
    return normalized ? "%.15i %9r %.8u %10y %10a %10b %10f %10j %10p %10q %20t"
                      : "%.15i %9r %.8u %.10Y %.10S %.10A %.10B %.10F %.10J %.10P %.10Q %.11N "
                        "%.20T";
  }
  std::string f = "%.15i %9r";
  if (users_given) f += " %.8u";
  f += normalized ? " %10y" : " %.10Y %.10S";
  const char* col = normalized ? " %10" : " %.10";
  auto add = [&](uint32_t weight, char type) {
    if (weight) f += std::string(col) + type;
  };
  add(weights.weight_age, normalized ? 'a' : 'A');
  add(weights.weight_fairshare, normalized ? 'f' : 'F');
  add(weights.weight_job_size, normalized ? 'j' : 'J');
  add(weights.weight_partition, normalized ? 'p' : 'P');
  add(weights.weight_qos, normalized ? 'q' : 'Q');
  return f;
}

Result<std::string> FormatSprio(const std::vector<SprioRow>& rows, std::string_view format,
                                const PriorityConfig& weights, bool header) {
  SLUICE_ASSIGN_OR_RETURN(Format fmt, Parse(format));
  std::string out;
  if (header) Line(&out, fmt, [](const Field& f) { return std::string(Header(f.type)); });
  for (const auto& row : rows) {
    Line(&out, fmt, [&](const Field& f) { return Value(f, row, weights); });
  }
  return out;
}

Result<std::string> FormatSprioWeights(std::string_view format, const PriorityConfig& weights,
                                       bool header) {
  SLUICE_ASSIGN_OR_RETURN(Format fmt, Parse(format));
  std::string out;
  if (header) Line(&out, fmt, [](const Field& f) { return std::string(Header(f.type)); });
  Line(&out, fmt, [&](const Field& f) { return WeightValue(f, weights); });
  return out;
}

std::string FormatSprio(const std::vector<SprioRow>& rows, const PriorityConfig& weights,
                        bool long_format, bool header) {
  // The default formats hold only known types, so this cannot fail.
  auto out =
      FormatSprio(rows, SprioDefaultFormat(weights, long_format, false, false), weights, header);
  return out.ok() ? *out : std::string();
}

}  // namespace sluice::compat::slurm
