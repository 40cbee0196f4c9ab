// What the per-class losses' conformance handlers share: logits [N, C, H, W] and class indices [N, H, W], their
// scalars, and one case run through a kernel of the loss. The handlers are one loss per file, which keeps each unit's
// compile short.
#pragma once
#include <cstdint>
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance::per_class {
inline constexpr scalar<"smooth"> smooth;
inline constexpr scalar<"smooth_nr"> smooth_numerator;
inline constexpr scalar<"smooth_dr"> smooth_denominator;
inline constexpr scalar<"alpha"> alpha;
inline constexpr scalar<"beta"> beta;
inline constexpr scalar<"gamma"> gamma;
inline constexpr tensor<"input", 4> logits;
inline constexpr int_tensor<"target", 3> labels;

template <auto const& Loss, class T, class... Scalars>
computed run_case(case_data const& c, Scalars const&... scalars) {
  static constexpr auto kernel = under_test::compile(Loss, wrt(logits));
  auto const x = make_view<T, 4>(c.inputs.at("input"), "input");
  auto const t = make_view<std::int64_t, 3>(c.inputs.at("target"), "target");
  return run(kernel, bind(logits = x, labels = t, scalars...), x, gradient_for<T, 4>(c, "input"));
}
}  // namespace lossforge::conformance::per_class
