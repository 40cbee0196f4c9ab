// Conformance handlers: dice, dice_smooth, combo, tversky, soft_iou, l1_reg, l2_reg, elastic_net_reg, ce_l1_l2.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr scalar<"smooth"> smooth;
constexpr scalar<"bce_weight"> bce_weight;
constexpr scalar<"alpha"> alpha;
constexpr scalar<"beta"> beta;
constexpr scalar<"lambda1"> lambda1;
constexpr scalar<"lambda2"> lambda2;
constexpr tensor<"weights"> weights;
constexpr tensor<"logits", 2> logits;
constexpr int_tensor<"target", 1> labels;

constexpr auto dice = L::dice(input, target, smooth);
constexpr auto combo = L::combo(input, target, smooth, bce_weight);
constexpr auto tversky = L::tversky(input, target, alpha, beta, smooth);
constexpr auto soft_iou = L::soft_iou(input, target, smooth);
constexpr auto l1 = L::l1_reg(weights, lambda1);
constexpr auto l2 = L::l2_reg(weights, lambda2);
constexpr auto elastic = L::elastic_net_reg(weights, lambda1, lambda2);
constexpr auto ce_l1_l2 = L::cross_entropy(logits, labels, L::mean) + L::elastic_net_reg(weights, lambda1, lambda2);

registration const dice_case("dice", [](case_data const& c, precision p) {
  return in_precision(p, needs_float64(c, "input"),
                      [&]<class T>() { return input_target_case<dice, T>(c, smooth = number(c, "smooth")); });
});
registration const dice_smooth_case("dice_smooth", [](case_data const& c, precision p) {
  return in_precision(p, needs_float64(c, "input"),
                      [&]<class T>() { return input_target_case<dice, T>(c, smooth = number(c, "smooth")); });
});
registration const combo_case("combo", [](case_data const& c, precision p) {
  return in_precision(p, needs_float64(c, "input"), [&]<class T>() {
    return input_target_case<combo, T>(c, smooth = number(c, "smooth"), bce_weight = number(c, "bce_weight"));
  });
});

registration const tversky_case("tversky", [](case_data const& c, precision p) {
  return in_precision(p, needs_float64(c, "input"), [&]<class T>() {
    return input_target_case<tversky, T>(c, alpha = number(c, "alpha"), beta = number(c, "beta"),
                                         smooth = number(c, "smooth"));
  });
});
registration const soft_iou_case("soft_iou", [](case_data const& c, precision p) {
  return in_precision(p, needs_float64(c, "input"),
                      [&]<class T>() { return input_target_case<soft_iou, T>(c, smooth = number(c, "smooth")); });
});

// A regularizer of the bare "weights" tensor (bound flattened).
template <auto const& Loss, class T, class... Scalars>
computed regularizer_case(case_data const& c, Scalars const&... scalars) {
  static constexpr auto kernel = under_test::compile(Loss, wrt(weights));
  auto const v = make_view<T, 1>(c.inputs.at("weights"), "weights");
  return run(kernel, bind(weights = v, scalars...), v, gradient_for<T, 1>(c, "weights"));
}
registration const l1_case("l1_reg", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() { return regularizer_case<l1, T>(c, lambda1 = number(c, "lambda")); });
});
registration const l2_case("l2_reg", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() { return regularizer_case<l2, T>(c, lambda2 = number(c, "lambda")); });
});
registration const elastic_case("elastic_net_reg", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return regularizer_case<elastic, T>(c, lambda1 = number(c, "lambda1"), lambda2 = number(c, "lambda2"));
  });
});
registration const ce_l1_l2_case("ce_l1_l2", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    static constexpr auto kernel = under_test::compile(ce_l1_l2, wrt(logits, weights));
    auto const x = make_view<T, 2>(c.inputs.at("logits"), "logits");
    auto const v = make_view<T, 1>(c.inputs.at("weights"), "weights");
    auto const t = make_view<std::int64_t, 1>(c.inputs.at("target"), "target");
    return run(kernel,
               bind(logits = x, labels = t, weights = v, lambda1 = number(c, "lambda1"),
                    lambda2 = number(c, "lambda2")),
               v, gradient_for<T, 2>(c, "logits"), gradient_for<T, 1>(c, "weights"));
  });
});
}  // namespace
}  // namespace lossforge::conformance
