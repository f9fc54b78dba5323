// The messages of the convolutional engine's range checks (layers_conv_range.hpp).
#include "layers_conv_range.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "ntk/sdk/error.hpp"

namespace ntk::sdk::layers::detail {

ValueRange value_range(Precision precision) {
  if (precision == Precision::float32)
    return {double(std::numeric_limits<float>::max()), double(std::numeric_limits<float>::min())};
  return {std::numeric_limits<double>::max(), std::numeric_limits<double>::min()};
}

std::string step_label(const ConvPlan& plan, std::size_t step) {
  if (step == 0) return "the input kernel";
  if (step > plan.rules.size()) return "the spatial readout (the sum over pixel pairs)";
  const ImageRule& r = plan.rules[step - 1];
  if (!r.label.empty()) return r.label;
  return "image rule " + std::to_string(step) + " (" + r.name() + ")";
}

bool keeps_positive(const ImageRule& rule) {
  return (rule.kind == ImageRule::Kind::conv && rule.w_std != 0) ||
         rule.kind == ImageRule::Kind::relu || rule.kind == ImageRule::Kind::erf;
}

namespace {

bool is_float32(const ConvPlan& plan) { return plan.precision == Precision::float32; }

// "pixel (row 2, column 5)", 1-based on the input's grid.
std::string pixel(long long h, long long w) {
  return "pixel (row " + std::to_string(h + 1) + ", column " + std::to_string(w + 1) + ")";
}

// What to do about a value that left the range of the plan's precision (`input`: already
// the input kernel did, so the layers' scales are not the cause).
std::string advice(const ConvPlan& plan, bool too_large, bool input = false) {
  std::ostringstream out;
  const std::string scales = std::string(too_large ? "smaller" : "larger") +
                             " weight scales (w_std), fewer layers, or rescale the inputs";
  if (is_float32(plan)) {
    const ValueRange r = value_range(Precision::float32);
    out << "; float32 holds " << r.smallest_normal << " to " << r.largest
        << ": use precision = \"float64\" (about 1e-308 to 1e308), " << (input ? "or rescale the inputs" : scales);
  } else {
    out << ": " << (input ? "rescale the inputs" : "use " + scales);
  }
  return out.str();
}

const char* precision_name(const ConvPlan& plan) {
  return is_float32(plan) ? "float32" : "double precision";
}

}  // namespace

void throw_variance_fault(const ConvPlan& plan, const VarianceFault& f, const char* which) {
  const bool overflow = f.trouble == Trouble::overflow;
  std::ostringstream out;
  const std::string set = which[0] == '\0' ? "" : std::string(which) + " ";
  const std::string where = pixel(f.h, f.w) + " of " + set + "example " + std::to_string(f.example + 1);
  if (f.step == 0) {
    out << plan.caller << ": " << where << " has the mean square x·x/C = " << f.after
        << " although its values reach " << f.before << " in magnitude: the inputs "
        << (overflow ? "overflow " : "underflow ") << precision_name(plan)
        << advice(plan, overflow, /*input=*/true);
    throw Error(out.str());
  }
  out << plan.caller << ": the variance of " << where;
  if (std::isnan(f.after)) out << " became NaN (from " << f.before << ")";
  else out << (overflow ? " overflowed (" : " underflowed (") << f.before << " became " << f.after << ")";
  out << " at " << step_label(plan, f.step) << "; the inputs or the layers' scales are too "
      << (overflow ? "large" : "small") << " for this depth (the variances "
      << (overflow ? "overflow " : "underflow ") << precision_name(plan) << ")"
      << advice(plan, overflow);
  throw Error(out.str());
}

void throw_tile_fault(const ConvPlan& plan, const TileFault& f, bool symmetric) {
  auto example = [&](unsigned set, arma::uword e) {
    const std::string number = "example " + std::to_string(e + 1);
    if (symmetric) return number;
    return std::string(set == 0 ? "the first set's " : "the second set's ") + number;
  };
  std::ostringstream out;
  out << plan.caller << ": a non-finite " << (f.ntk ? "NTK" : "NNGP") << " value first appeared at "
      << step_label(plan, f.step) << ", ";
  if (f.step <= plan.rules.size())
    out << "between " << pixel(f.h, f.w) << " of " << example(f.left_set, f.left_example)
        << " and " << pixel(f.h2, f.w2) << " of " << example(f.right_set, f.right_example);
  else
    out << "for " << example(f.left_set, f.left_example) << " and "
        << example(f.right_set, f.right_example);
  out << "; the inputs or the layers' scales overflow " << precision_name(plan)
      << " at this depth" << advice(plan, true);
  throw Error(out.str());
}

}  // namespace ntk::sdk::layers::detail
