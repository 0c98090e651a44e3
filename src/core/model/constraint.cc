#include "core/model/constraint.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "common/strings.h"

namespace sluice::core::model {

// A recursive-descent parser over the text. `enclosing` is the open group: 0 (the top level),
// '(' or '['.
class ConstraintParser {
 public:
  explicit ConstraintParser(std::string_view text) : text_(text) {}

  Result<Constraint> Parse() {
    Constraint c;
    if (str::Trim(text_).empty()) return c;
    SLUICE_RETURN_IF_ERROR(ParseChain(0, &c.items_, &c.ops_));
    if (pos_ < text_.size()) return Fail(std::string("unexpected '") + text_[pos_] + "'");
    c.text_ = std::string(text_);
    std::replace(c.text_.begin(), c.text_.end(), ',', '&');
    return c;
  }

 private:
  using Item = Constraint::Item;

  Status Fail(std::string_view why) const {
    return InvalidArgument("Invalid feature specification \"" + std::string(text_) +
                           "\": " + std::string(why));
  }

  static bool IsNameChar(char c) {
    static constexpr std::string_view kSpecial = "&,|()[]*!";
    return kSpecial.find(c) == std::string_view::npos &&
           !std::isspace(static_cast<unsigned char>(c)) &&
           !std::iscntrl(static_cast<unsigned char>(c));
  }

  // Operands joined by operators, up to the end of the text or a closing ')' or ']' (left for
  // the caller).
  Status ParseChain(char enclosing, std::vector<Item>* items, std::vector<char>* ops) {
    while (true) {
      Item item;
      SLUICE_RETURN_IF_ERROR(ParseOperand(enclosing, &item));
      items->push_back(std::move(item));
      if (pos_ < text_.size() && text_[pos_] == '*') {
        return Fail("node counts (*N) are not supported yet");
      }
      if (pos_ >= text_.size() || text_[pos_] == ')' || text_[pos_] == ']') return Status::Ok();
      char c = text_[pos_];
      if (c != '&' && c != ',' && c != '|') {
        return Fail(std::string("unexpected '") + c + "'");
      }
      ++pos_;
      // Slurm ignores an operator at the very end ("a&").
      if (enclosing == 0 && pos_ == text_.size()) return Status::Ok();
      ops->push_back(c == '|' ? '|' : '&');
    }
  }

  Status ParseOperand(char enclosing, Item* item) {
    if (pos_ >= text_.size()) return Fail("a feature name is missing at the end");
    char c = text_[pos_];
    if (c == '(' || c == '[') {
      if (c == '(' && enclosing == '(') return Fail("nested parentheses are not supported");
      if (c == '[' && enclosing != 0) return Fail("brackets must not be inside a group");
      if (c == '[' && seen_bracket_) return Fail("only one bracket group is allowed");
      if (c == '[') seen_bracket_ = true;
      char close = c == '(' ? ')' : ']';
      ++pos_;
      item->group = c;
      SLUICE_RETURN_IF_ERROR(ParseChain(c, &item->items, &item->ops));
      if (pos_ >= text_.size() || text_[pos_] != close) {
        return Fail(std::string("unmatched '") + c + "'");
      }
      ++pos_;
      if (c == '[' && std::find(item->ops.begin(), item->ops.end(), '&') != item->ops.end()) {
        return Fail("'&' inside [...] needs node counts (*N), which are not supported yet");
      }
      return Status::Ok();
    }
    if (c == '!') return Fail("'!' is not supported");
    size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    if (pos_ == start) {
      if (c == '*') return Fail("node counts (*N) are not supported yet");
      return Fail(std::string("a feature name is missing before '") + c + "'");
    }
    item->feature = std::string(text_.substr(start, pos_ - start));
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
  bool seen_bracket_ = false;
};

bool Constraint::Eval(const std::vector<Item>& items, const std::vector<char>& ops,
                      const std::vector<std::string>& features) {
  auto one = [&](const Item& item) {
    if (item.group != 0) return Eval(item.items, item.ops, features);
    return std::find(features.begin(), features.end(), item.feature) != features.end();
  };
  if (items.empty()) return true;
  bool result = one(items[0]);
  for (size_t i = 1; i < items.size(); ++i) {
    result = ops[i - 1] == '&' ? (result && one(items[i])) : (result || one(items[i]));
  }
  return result;
}

std::string Constraint::Render(const std::vector<Item>& items, const std::vector<char>& ops) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ops[i - 1];
    const Item& item = items[i];
    if (item.group == 0) {
      out += item.feature;
    } else {
      out += item.group;
      out += Render(item.items, item.ops);
      out += item.group == '(' ? ')' : ']';
    }
  }
  return out;
}

bool Constraint::Matches(const std::vector<std::string>& features) const {
  return Eval(items_, ops_, features);
}

bool Constraint::HasMatchingOr() const {
  return std::any_of(items_.begin(), items_.end(), [](const Item& i) { return i.group == '['; });
}

std::vector<Constraint> Constraint::MatchingOrAlternatives() const {
  auto group =
      std::find_if(items_.begin(), items_.end(), [](const Item& i) { return i.group == '['; });
  if (group == items_.end()) return {*this};
  std::vector<Constraint> out;
  for (const Item& alternative : group->items) {
    Constraint c = *this;
    c.items_[group - items_.begin()] = alternative;
    c.text_ = Render(c.items_, c.ops_);
    out.push_back(std::move(c));
  }
  return out;
}

Result<Constraint> ParseConstraint(std::string_view text) { return ConstraintParser(text).Parse(); }

}  // namespace sluice::core::model
