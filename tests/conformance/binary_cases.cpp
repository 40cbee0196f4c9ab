// Conformance handlers: binary_cross_entropy, binary_cross_entropy_with_logits, sigmoid_focal_loss.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"weight"> weight;
constexpr tensor<"pos_weight"> pos_weight;

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
    L::binary_cross_entropy_with_logits(input, target, L::bce_options<>{}.pos_weight(pos_weight), R{});
template <class R>
constexpr auto logits_pos_weighted = L::binary_cross_entropy_with_logits(
    input, target, L::bce_options<>{}.weight(weight).pos_weight(pos_weight), R{});
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

// A tensor seen at rank 3, its missing leading dimensions 1 (which broadcast alike).
tensor_data at_rank3(tensor_data t) {
  if (t.shape.size() > 3) throw unsupported("broadcast weights with an input or weight of rank above 3");
  t.shape.insert(t.shape.begin(), 3 - t.shape.size(), 1);
  return t;
}
template <class T>
auto seen_at_rank3(case_data const& c, std::string const& name) {
  return make_view<T, 3>(at_rank3(tensor_param(c, name)), name);
}
template <class T>
auto broadcast_weight(case_data const& c) {
  return weight = seen_at_rank3<T>(c, "weight");
}
template <class T>
auto broadcast_pos_weight(case_data const& c) {
  return pos_weight = seen_at_rank3<T>(c, "pos_weight");
}
// Weights that broadcast against the input (a weight [C], [1, C] or [N, 1] and a pos_weight [C] for an input
// [N, C], and so on): input, target and weights each bound at its own shape, seen at rank 3, which the library
// broadcasts as PyTorch does.
template <auto const& Loss, class T, class... Weights>
computed broadcast_case(case_data const& c, Weights const&... weights) {
  static constexpr auto kernel = under_test::compile(Loss, wrt(input));
  tensor_data const in = at_rank3(c.inputs.at("input"));
  auto const x = make_view<T, 3>(in, "input");
  auto const y = make_view<T, 3>(at_rank3(c.inputs.at("target")), "target");
  return run(kernel, bind(input = x, target = y, weights...), make_view<T, 3>(in, "loss"),
             std::pair{std::string("input"), make_view<T, 3>(in, "d_input")});
}

registration const bce_case("binary_cross_entropy", [](case_data const& c, precision p) {
  return in_precision(p, needs_float64(c, "input"), [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      if (weight_broadcasts(c)) return broadcast_case<bce_weighted<R>, T>(c, broadcast_weight<T>(c));
      if (has_tensor_param(c, "weight")) return input_target_case<bce_weighted<R>, T>(c, element_weight<T>(c));
      return input_target_case<bce<R>, T>(c);
    });
  });
});
registration const logits_case("binary_cross_entropy_with_logits", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    bool const weighted = has_tensor_param(c, "weight");
    return for_elementwise_reduction(c, [&]<class R>(R) {
      if (has_tensor_param(c, "pos_weight")) {
        if (!weighted) return broadcast_case<logits_pos<R>, T>(c, broadcast_pos_weight<T>(c));
        return broadcast_case<logits_pos_weighted<R>, T>(c, broadcast_pos_weight<T>(c), broadcast_weight<T>(c));
      }
      if (weight_broadcasts(c)) return broadcast_case<logits_weighted<R>, T>(c, broadcast_weight<T>(c));
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
