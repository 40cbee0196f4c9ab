// Conformance handlers: binary_cross_entropy, binary_cross_entropy_with_logits, sigmoid_focal_loss.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"weight"> weight;
constexpr tensor<"input", 2> input2;
constexpr tensor<"target", 2> target2;
constexpr tensor<"weight", 2> weight2;
constexpr tensor<"pos_weight", 1> pos_weight;

#define LOSSFORGE_BY_REDUCTION(name, loss, x, y, options)       \
  constexpr auto name##_none = L::loss(x, y, options, L::none); \
  constexpr auto name##_mean = L::loss(x, y, options, L::mean); \
  constexpr auto name##_sum = L::loss(x, y, options, L::sum);
LOSSFORGE_BY_REDUCTION(bce, binary_cross_entropy, input, target, L::bce_options<>{})
LOSSFORGE_BY_REDUCTION(bce_weighted, binary_cross_entropy, input, target, L::bce_options<>{}.weight(weight))
LOSSFORGE_BY_REDUCTION(logits, binary_cross_entropy_with_logits, input, target, L::bce_options<>{})
LOSSFORGE_BY_REDUCTION(logits_weighted, binary_cross_entropy_with_logits, input, target,
                       L::bce_options<>{}.weight(weight))
LOSSFORGE_BY_REDUCTION(logits_pos, binary_cross_entropy_with_logits, input2, target2,
                       L::bce_options<>{}.pos_weight(pos_weight))
LOSSFORGE_BY_REDUCTION(logits_pos_weighted, binary_cross_entropy_with_logits, input2, target2,
                       L::bce_options<>{}.weight(weight2).pos_weight(pos_weight))
constexpr scalar<"alpha"> alpha;
LOSSFORGE_BY_REDUCTION(focal, sigmoid_focal_loss, input, target, L::focal_options<>{}.alpha(alpha))
#undef LOSSFORGE_BY_REDUCTION
// The other focal forms the cases use, in mean only: no class balance (alpha < 0), gamma 0 and 3.
constexpr auto focal_unbalanced_mean =
    L::sigmoid_focal_loss(input, target, L::focal_options<>{}.without_alpha(), L::mean);
constexpr auto focal_gamma0_mean =
    L::sigmoid_focal_loss(input, target, L::focal_options<>{}.alpha(alpha).gamma<0>(), L::mean);
constexpr auto focal_gamma3_mean =
    L::sigmoid_focal_loss(input, target, L::focal_options<>{}.alpha(alpha).gamma<3>(), L::mean);

// The element weight is bound flattened, like input and target (it has their shape).
template <class T>
auto element_weight(case_data const& c) {
  tensor_data const w = tensor_param(c, "weight");
  if (w.shape != c.inputs.at("input").shape) throw unsupported("a weight that broadcasts (shape differs from input)");
  return weight = make_view<T, 1>(w, "weight");
}

// The rank-2 form with pos_weight [C] (and an optional element weight [N, C]).
template <auto const& None, auto const& Mean, auto const& Sum, class T, class... Extra>
computed pos_weight_case(case_data const& c, Extra const&... extra) {
  auto const x = make_view<T, 2>(c.inputs.at("input"), "input");
  auto const y = make_view<T, 2>(c.inputs.at("target"), "target");
  auto const pw = make_view<T, 1>(tensor_param(c, "pos_weight"), "pos_weight");
  auto const b = bind(input2 = x, target2 = y, pos_weight = pw, extra...);
  view_t<T, 2> const loss("loss", x.extent(0), x.extent(1));
  auto const d = gradient_for<T, 2>(c, "input");
  std::string const r = reduction_of(c);
  if (r == "none") return run(kokkos::compile(None, wrt(input2)), b, loss, d);
  if (r == "sum") return run(kokkos::compile(Sum, wrt(input2)), b, loss, d);
  return run(kokkos::compile(Mean, wrt(input2)), b, loss, d);
}

registration const bce_case("binary_cross_entropy", [](case_data const& c, precision p) {
  return in_precision(p, needs_float64(c, "input"), [&]<class T>() {
    if (has_tensor_param(c, "weight"))
      return by_reduction<bce_weighted_none, bce_weighted_mean, bce_weighted_sum, T>(c, element_weight<T>(c));
    return by_reduction<bce_none, bce_mean, bce_sum, T>(c);
  });
});
registration const logits_case("binary_cross_entropy_with_logits", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    bool const weighted = has_tensor_param(c, "weight");
    if (has_tensor_param(c, "pos_weight")) {
      if (c.inputs.at("input").shape.size() != 2) throw unsupported("pos_weight with an input of rank other than 2");
      if (!weighted) return pos_weight_case<logits_pos_none, logits_pos_mean, logits_pos_sum, T>(c);
      return pos_weight_case<logits_pos_weighted_none, logits_pos_weighted_mean, logits_pos_weighted_sum, T>(
          c, weight2 = make_view<T, 2>(tensor_param(c, "weight"), "weight"));
    }
    if (weighted)
      return by_reduction<logits_weighted_none, logits_weighted_mean, logits_weighted_sum, T>(c, element_weight<T>(c));
    return by_reduction<logits_none, logits_mean, logits_sum, T>(c);
  });
});
registration const focal_case("sigmoid_focal_loss", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    double const a = number(c, "alpha"), gamma = number(c, "gamma");
    bool const mean = reduction_of(c) == "mean";
    if (gamma == 2 && a >= 0) return by_reduction<focal_none, focal_mean, focal_sum, T>(c, alpha = a);
    if (gamma == 2 && mean) return input_target_case<focal_unbalanced_mean, T>(c);
    if (gamma == 0 && a >= 0 && mean) return input_target_case<focal_gamma0_mean, T>(c, alpha = a);
    if (gamma == 3 && a >= 0 && mean) return input_target_case<focal_gamma3_mean, T>(c, alpha = a);
    throw unsupported("sigmoid_focal_loss with gamma " + std::to_string(gamma) + ", alpha " + std::to_string(a) +
                      " and reduction " + reduction_of(c));
  });
});
}  // namespace
}  // namespace lossforge::conformance
