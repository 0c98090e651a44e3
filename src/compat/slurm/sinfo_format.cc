#include "compat/slurm/sinfo_format.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

#include "common/strings.h"
#include "compat/slurm/hostlist.h"
#include "compat/slurm/time_format.h"

namespace sluice::compat::slurm {
namespace {

using core::model::Node;
using core::model::NodePtr;
using core::model::NodeState;
using core::model::Partition;
using core::model::PartitionPtr;

// Slurm's sinfo sets these minimums (MIN_PART_FIELD_SIZE, MIN_NODE_FIELD_SIZE).
constexpr size_t kMinPartWidth = 9;
constexpr size_t kMinNodeWidth = 9;

void Put(std::string* out, std::string_view value, size_t width, bool right) {
  std::string_view v = value.substr(0, width);
  if (right) out->append(width - v.size(), ' ');
  out->append(v);
  if (!right) out->append(width - v.size(), ' ');
}

std::string PartitionLabel(const Partition& p) { return p.name + (p.is_default ? "*" : ""); }

size_t PartitionWidth(const std::vector<PartitionPtr>& partitions) {
  size_t w = kMinPartWidth;
  for (const auto& p : partitions) w = std::max(w, PartitionLabel(*p).size());
  return w;
}

// Slurm's node state numbers, which sinfo sorts on (descending): MIXED 5, ALLOCATED 3, IDLE 2,
// DOWN 1, UNKNOWN 0, with the DRAIN flag (0x200) added, so drained nodes come first.
int StateNumber(const Node& node) {
  const int drain = node.drain ? 0x200 : 0;
  switch (node.State()) {
    case NodeState::kUnknown:
      return drain;
    case NodeState::kDown:
      return drain + 1;
    case NodeState::kIdle:
      return drain + 2;
    case NodeState::kAllocated:
      return drain + 3;
    case NodeState::kMixed:
      return drain + 5;
  }
  return drain;
}

// Natural order of host names: prefix, then the number at the end.
bool NodeNameLess(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s) {
    size_t i = s.size();
    while (i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1])) && s.size() - i < 18) --i;
    uint64_t n = 0;
    bool has = i < s.size() && str::ParseUint(std::string_view(s).substr(i), &n);
    return std::make_tuple(s.substr(0, i), has, n, s.size());
  };
  auto ka = split(a), kb = split(b);
  if (ka != kb) return ka < kb;
  return a < b;
}

}  // namespace

std::string SinfoNodeState(const Node& node) {
  std::string s;
  if (node.drain) {
    // Draining while jobs still run on it, drained once none do (or when down).
    const NodeState base = node.State();
    s = base == NodeState::kAllocated || base == NodeState::kMixed ? "drng" : "drain";
  } else {
    s = core::model::NodeStateShortLower(node.State());
  }
  if (!node.responding) s += '*';
  return s;
}

std::string FormatSinfoReasons(const std::vector<NodePtr>& nodes, bool header) {
  std::vector<const Node*> listed;
  for (const auto& n : nodes) {
    if (n->down || n->drain) listed.push_back(n.get());
  }
  std::stable_sort(listed.begin(), listed.end(),
                   [](const Node* a, const Node* b) { return NodeNameLess(a->name, b->name); });
  struct Group {
    std::string reason, user, time;
    std::vector<std::string> names;
  };
  std::vector<Group> groups;
  for (const Node* n : listed) {
    Group g{n->reason.empty() ? "none" : n->reason,
            n->reason_user.empty() ? "root" : n->reason_user,
            n->reason_time > 0 ? FormatIsoTime(n->reason_time) : "Unknown",
            {}};
    auto same = std::find_if(groups.begin(), groups.end(), [&](const Group& x) {
      return x.reason == g.reason && x.user == g.user && x.time == g.time;
    });
    if (same == groups.end()) {
      groups.push_back(std::move(g));
      same = groups.end() - 1;
    }
    same->names.push_back(n->name);
  }
  std::string out;
  auto line = [&](std::string_view reason, std::string_view user, std::string_view time,
                  std::string_view nodelist) {
    Put(&out, reason, 20, false);
    out += ' ';
    Put(&out, user, 9, false);
    out += ' ';
    Put(&out, time, 19, false);
    out += ' ';
    out += nodelist;
    out += '\n';
  };
  if (header) line("REASON", "USER", "TIMESTAMP", "NODELIST");
  for (const Group& g : groups) line(g.reason, g.user, g.time, CompressHostlist(g.names));
  return out;
}

std::string FormatSinfo(const std::vector<PartitionPtr>& partitions,
                        const std::vector<NodePtr>& nodes, bool header) {
  std::map<std::string, const Node*, std::less<>> by_name;
  for (const auto& n : nodes) by_name[n->name] = n.get();

  struct Group {
    int state_number;
    bool responding;
    std::string state;
    std::vector<std::string> names;
  };
  struct Row {
    const Partition* partition;
    std::vector<Group> groups;
  };
  std::vector<Row> rows;
  for (const auto& p : partitions) {
    Row row{p.get(), {}};
    for (const std::string& name : p->nodes) {
      auto it = by_name.find(name);
      if (it == by_name.end()) continue;
      const Node& node = *it->second;
      std::string state = SinfoNodeState(node);
      auto g = std::find_if(row.groups.begin(), row.groups.end(),
                            [&](const Group& x) { return x.state == state; });
      if (g == row.groups.end()) {
        row.groups.push_back({StateNumber(node), node.responding, state, {}});
        g = row.groups.end() - 1;
      }
      g->names.push_back(name);
    }
    std::stable_sort(row.groups.begin(), row.groups.end(), [](const Group& a, const Group& b) {
      if (a.state_number != b.state_number) return a.state_number > b.state_number;
      return a.responding > b.responding;
    });
    rows.push_back(std::move(row));
  }

  size_t part_width = PartitionWidth(partitions);
  std::string out;
  auto line = [&](std::string_view part, std::string_view avail, std::string_view limit,
                  std::string_view count, std::string_view state, std::string_view nodelist) {
    Put(&out, part, part_width, false);
    out += ' ';
    Put(&out, avail, 5, true);
    out += ' ';
    Put(&out, limit, 10, true);
    out += ' ';
    Put(&out, count, 6, true);
    out += ' ';
    Put(&out, state, 6, true);
    out += ' ';
    out += nodelist;
    out += '\n';
  };
  if (header) line("PARTITION", "AVAIL", "TIMELIMIT", "NODES", "STATE", "NODELIST");
  for (const Row& row : rows) {
    const Partition& p = *row.partition;
    std::string label = PartitionLabel(p);
    // sinfo's AVAIL: "up", "down", "drain" or "inact".
    std::string avail = str::ToLower(core::model::PartitionStateName(p)).substr(0, 5);
    std::string limit = FormatSinfoTimeLimit(p.max_time);
    if (row.groups.empty()) {
      line(label, avail, limit, "0", "n/a", "");
      continue;
    }
    for (const Group& g : row.groups) {
      line(label, avail, limit, std::to_string(g.names.size()), g.state, CompressHostlist(g.names));
    }
  }
  return out;
}

std::string FormatSinfoNodes(const std::vector<PartitionPtr>& partitions,
                             const std::vector<NodePtr>& nodes, bool header) {
  std::vector<const Node*> sorted;
  for (const auto& n : nodes) sorted.push_back(n.get());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Node* a, const Node* b) { return NodeNameLess(a->name, b->name); });

  struct Line {
    const Node* node;
    const Partition* partition;
  };
  std::vector<Line> lines;
  size_t node_width = kMinNodeWidth;
  size_t part_width = kMinPartWidth;  // only partitions that get a line count
  for (const Node* n : sorted) {
    for (const auto& p : partitions) {
      if (std::find(p->nodes.begin(), p->nodes.end(), n->name) == p->nodes.end()) continue;
      lines.push_back({n, p.get()});
      node_width = std::max(node_width, n->name.size());
      part_width = std::max(part_width, PartitionLabel(*p).size());
    }
  }

  std::string out;
  auto line = [&](std::string_view node, std::string_view count, std::string_view part,
                  std::string_view state) {
    Put(&out, node, node_width, false);
    out += ' ';
    Put(&out, count, 6, true);
    out += ' ';
    Put(&out, part, part_width, true);
    out += ' ';
    Put(&out, state, 6, false);
    out += '\n';
  };
  if (header) line("NODELIST", "NODES", "PARTITION", "STATE");
  for (const Line& l : lines)
    line(l.node->name, "1", PartitionLabel(*l.partition), SinfoNodeState(*l.node));
  return out;
}

}  // namespace sluice::compat::slurm
