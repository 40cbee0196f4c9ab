// The device check's oracle on the host: the reference evaluator (an interpreter that shares no code with the
// kernels) over the same inputs.
#include <cmath>
#include <type_traits>

#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/diff/grad.hpp>
#include <tests/device/device_check.hpp>

namespace lossforge::device_check {

inputs make_inputs(int rows, int classes) {
  inputs in{rows, classes, {}, {}, {}, {}, {}};
  for (int r = 0; r < rows; ++r) {
    for (int k = 0; k < classes; ++k) {
      in.p.push_back(0.5 + 0.45 * std::sin(1.3 * r + 0.7 * k));
      in.g.push_back((r + 3 * k) % 4 == 0 ? 1.0 : 0.25 * ((r + k) % 3));
    }
    in.t.push_back((7 * r + 3) % classes);
    in.t_ignored.push_back(r % 5 == 4 ? -100 : in.t.back());
  }
  for (int k = 0; k < classes; ++k) in.cw.push_back(0.5 + 0.25 * (k % 5));
  return in;
}

namespace {
template <auto const& Loss, class Bindings>
reference_values evaluated(Bindings const& b) {
  reference_values out;
  if constexpr (std::is_arithmetic_v<decltype(reference::evaluate(Loss, b))>) {
    out.loss = {reference::evaluate(Loss, b)};
    out.dp = reference::evaluate(grad(Loss, p), b).values;
  } else {
    out.loss = reference::evaluate(Loss, b).values;
    out.dp = reference::evaluate(grad(sum(Loss), p), b).values;
  }
  return out;
}
}  // namespace

reference_values reference(loss_kind kind, inputs const& in) {
  shape_t const shape{in.rows, in.classes};
  auto const pv = host_view(in.p, shape), gv = host_view(in.g, shape);
  switch (kind) {
    case loss_kind::combo:
      return evaluated<combo>(bind(p = pv, g = gv));
    case loss_kind::smoothed:
      return evaluated<smoothed>(bind(p = pv, t = host_view(in.t, {in.rows})));
    case loss_kind::weighted:
      return evaluated<weighted>(
          bind(p = pv, t = host_view(in.t_ignored, {in.rows}), cw = host_view(in.cw, {in.classes})));
    case loss_kind::per_class_dice:
      return evaluated<per_class_dice>(bind(p = pv, g = gv));
    case loss_kind::per_element:
      return evaluated<per_element>(bind(p = pv, g = gv));
    case loss_kind::charbonnier: {
      auto const b = bind(p = pv, g = gv, eps = charbonnier_eps);
      reference_values out = evaluated<charbonnier>(b);
      out.deps = {reference::evaluate(grad(charbonnier, eps), b)};
      return out;
    }
  }
  return {};
}

}  // namespace lossforge::device_check
