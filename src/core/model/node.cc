#include "core/model/node.h"

namespace sluice::core::model {

std::string_view NodeStateName(NodeState s) {
  switch (s) {
    case NodeState::kUnknown:
      return "UNKNOWN";
    case NodeState::kIdle:
      return "IDLE";
    case NodeState::kMixed:
      return "MIXED";
    case NodeState::kAllocated:
      return "ALLOCATED";
    case NodeState::kDown:
      return "DOWN";
  }
  return "UNKNOWN";
}

std::string_view NodeStateShortLower(NodeState s) {
  switch (s) {
    case NodeState::kUnknown:
      return "unk";
    case NodeState::kIdle:
      return "idle";
    case NodeState::kMixed:
      return "mix";
    case NodeState::kAllocated:
      return "alloc";
    case NodeState::kDown:
      return "down";
  }
  return "unk";
}

NodeState Node::State() const {
  if (down) return NodeState::kDown;
  if (boot_time == 0 && last_seen == 0) return NodeState::kUnknown;
  if (alloc_cpus == 0) return NodeState::kIdle;
  if (alloc_cpus >= cpus) return NodeState::kAllocated;
  return NodeState::kMixed;
}

}  // namespace sluice::core::model
