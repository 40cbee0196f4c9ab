// Conformance handlers: soft_margin_loss (any shape, bound flattened), multilabel_soft_margin_loss (logits and
// targets [N, C]), multi_margin_loss (logits [N, C], class indices [N]). Class weights are bound when a case has them;
// multi_margin's margin is a runtime scalar, its p a compile-time option.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"input", 2> x2;
constexpr tensor<"target", 2> y2;
constexpr int_tensor<"target", 1> labels;
constexpr tensor<"weight", 1> weight;
constexpr scalar<"margin"> margin;

template <class R>
constexpr auto soft_margin = L::soft_margin_loss(input, target, R{});
template <bool Weighted, class R>
constexpr auto multilabel = [] {
  if constexpr (Weighted)
    return L::multilabel_soft_margin_loss(x2, y2, L::multilabel_soft_margin_options<>{}.weight(weight), R{});
  else
    return L::multilabel_soft_margin_loss(x2, y2, R{});
}();
template <int P, bool Weighted, class R>
constexpr auto multi_margin = [] {
  auto const o = L::multi_margin_options<>{}.p<P>().margin(margin);
  if constexpr (Weighted)
    return L::multi_margin_loss(x2, labels, o.weight(weight), R{});
  else
    return L::multi_margin_loss(x2, labels, o, R{});
}();

registration const soft_margin_case("soft_margin_loss", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) { return input_target_case<soft_margin<R>, T>(c); });
  });
});

// A loss of logits [N, C] (differentiated) and a target of type Target with one loss per row, with the case's class
// weights when Weighted.
template <auto const& Loss, bool Weighted, class T, class Target, class... Scalars>
computed rows_of_classes(case_data const& c, Target const& target_view, Scalars const&... scalars) {
  static constexpr auto kernel = under_test::compile(Loss, wrt(x2));
  auto const x = make_view<T, 2>(c.inputs.at("input"), "input");
  auto const go = [&](auto const&... bound) {
    return run(kernel, bind(x2 = x, target_view, bound..., scalars...), view_t<T, 1>("loss", x.extent(0)),
               gradient_for<T, 2>(c, "input"));
  };
  if constexpr (Weighted)
    return go(weight = make_view<T, 1>(tensor_param(c, "weight"), "weight"));
  else
    return go();
}

registration const multilabel_case("multilabel_soft_margin_loss", [](case_data const& c, precision p) {
  bool const weighted = has_tensor_param(c, "weight");
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      auto const y = y2 = make_view<T, 2>(c.inputs.at("target"), "target");
      if (weighted) return rows_of_classes<multilabel<true, R>, true, T>(c, y);
      return rows_of_classes<multilabel<false, R>, false, T>(c, y);
    });
  });
});

template <int P>
computed multi_margin_case(case_data const& c, precision p) {
  bool const weighted = has_tensor_param(c, "weight");
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      auto const t = labels = make_view<std::int64_t, 1>(c.inputs.at("target"), "target");
      if (weighted) return rows_of_classes<multi_margin<P, true, R>, true, T>(c, t, margin = number(c, "margin"));
      return rows_of_classes<multi_margin<P, false, R>, false, T>(c, t, margin = number(c, "margin"));
    });
  });
}
registration const multi_margin_registration("multi_margin_loss", [](case_data const& c, precision p) {
  double const power = number(c, "p");
  if (power == 1) return multi_margin_case<1>(c, p);
  if (power == 2) return multi_margin_case<2>(c, p);
  throw unsupported("multi_margin_loss with p " + std::to_string(power) + " (PyTorch's p is 1 or 2)");
});
}  // namespace
}  // namespace lossforge::conformance
