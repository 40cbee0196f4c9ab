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

constexpr scalar<"alpha"> alpha;

template <class R>
constexpr auto bce = L::binary_cross_entropy(input, target, L::bce_options<>{}, R{});
template <class R>
constexpr auto bce_weighted = L::binary_cross_entropy(input, target, L::bce_options<>{}.weight(weight), R{});
template <class R>
constexpr auto logits = L::binary_cross_entropy_with_logits(input, target, L::bce_options<>{}, R{});
template <class R>
constexpr auto logits_weighted =
    L::binary_cross_entropy_with_logits(input, target, L::bce_options<>{}.weight(weight), R{});
template <class R>
constexpr auto logits_pos =
    L::binary_cross_entropy_with_logits(input2, target2, L::bce_options<>{}.pos_weight(pos_weight), R{});
template <class R>
constexpr auto logits_pos_weighted = L::binary_cross_entropy_with_logits(
    input2, target2, L::bce_options<>{}.weight(weight2).pos_weight(pos_weight), R{});
template <class R>
constexpr auto focal = L::sigmoid_focal_loss(input, target, L::focal_options<>{}.alpha(alpha), R{});
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
  return weight = make_view<T, 1>(tensor_param(c, "weight"), "weight");
}
bool weight_broadcasts(case_data const& c) {
  return has_tensor_param(c, "weight") && tensor_param(c, "weight").shape != c.inputs.at("input").shape;
}

// A tensor of rank 2 at most seen at rank 2, with leading dimensions of 1 (which broadcast alike).
tensor_data at_rank2(tensor_data t) {
  if (t.shape.size() > 2) throw unsupported("a broadcast weight with an input or weight of rank above 2");
  t.shape.insert(t.shape.begin(), 2 - t.shape.size(), 1);
  return t;
}
// A weight that broadcasts against the input ([C] or [1, C] for an input [N, C], [N, 1], ...): input, target and
// weight bound at their own shapes, which the library broadcasts as PyTorch does.
template <auto const& Loss, class T>
computed broadcast_weight_case(case_data const& c) {
  static constexpr auto kernel = kokkos::compile(Loss, wrt(input));
  tensor_data const in = at_rank2(c.inputs.at("input"));
  auto const x = make_view<T, 2>(in, "input");
  auto const y = make_view<T, 2>(at_rank2(c.inputs.at("target")), "target");
  auto const w = make_view<T, 2>(at_rank2(tensor_param(c, "weight")), "weight");
  return run(kernel, bind(input = x, target = y, weight = w), view_t<T, 2>("loss", x.extent(0), x.extent(1)),
             std::pair{std::string("input"), make_view<T, 2>(in, "d_input")});
}

// The rank-2 form with pos_weight [C] (and an optional element weight [N, C]).
template <auto const& Loss, class T, class... Extra>
computed pos_weight_case(case_data const& c, Extra const&... extra) {
  static constexpr auto kernel = kokkos::compile(Loss, wrt(input2));
  auto const x = make_view<T, 2>(c.inputs.at("input"), "input");
  auto const y = make_view<T, 2>(c.inputs.at("target"), "target");
  auto const pw = make_view<T, 1>(tensor_param(c, "pos_weight"), "pos_weight");
  return run(kernel, bind(input2 = x, target2 = y, pos_weight = pw, extra...),
             view_t<T, 2>("loss", x.extent(0), x.extent(1)), gradient_for<T, 2>(c, "input"));
}

registration const bce_case("binary_cross_entropy", [](case_data const& c, precision p) {
  return in_precision(p, needs_float64(c, "input"), [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      if (weight_broadcasts(c)) return broadcast_weight_case<bce_weighted<R>, T>(c);
      if (has_tensor_param(c, "weight")) return input_target_case<bce_weighted<R>, T>(c, element_weight<T>(c));
      return input_target_case<bce<R>, T>(c);
    });
  });
});
registration const logits_case("binary_cross_entropy_with_logits", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    bool const weighted = has_tensor_param(c, "weight");
    if (has_tensor_param(c, "pos_weight")) {
      if (c.inputs.at("input").shape.size() != 2) throw unsupported("pos_weight with an input of rank other than 2");
      return for_elementwise_reduction(c, [&]<class R>(R) {
        if (!weighted) return pos_weight_case<logits_pos<R>, T>(c);
        return pos_weight_case<logits_pos_weighted<R>, T>(
            c, weight2 = make_view<T, 2>(tensor_param(c, "weight"), "weight"));
      });
    }
    return for_elementwise_reduction(c, [&]<class R>(R) {
      if (weight_broadcasts(c)) return broadcast_weight_case<logits_weighted<R>, T>(c);
      if (weighted) return input_target_case<logits_weighted<R>, T>(c, element_weight<T>(c));
      return input_target_case<logits<R>, T>(c);
    });
  });
});
registration const focal_case("sigmoid_focal_loss", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    double const a = number(c, "alpha"), gamma = number(c, "gamma");
    bool const mean = reduction_of(c) == "mean";
    if (gamma == 2 && a >= 0)
      return for_elementwise_reduction(c, [&]<class R>(R) { return input_target_case<focal<R>, T>(c, alpha = a); });
    if (gamma == 2 && mean) return input_target_case<focal_unbalanced_mean, T>(c);
    if (gamma == 0 && a >= 0 && mean) return input_target_case<focal_gamma0_mean, T>(c, alpha = a);
    if (gamma == 3 && a >= 0 && mean) return input_target_case<focal_gamma3_mean, T>(c, alpha = a);
    throw unsupported("sigmoid_focal_loss with gamma " + std::to_string(gamma) + ", alpha " + std::to_string(a) +
                      " and reduction " + reduction_of(c));
  });
});
}  // namespace
}  // namespace lossforge::conformance
