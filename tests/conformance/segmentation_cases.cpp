// Conformance handlers for the per-class losses over logits [N, C, H, W] and class indices [N, H, W]:
// dice_per_class, generalized_dice, tversky_per_class, focal_tversky.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr scalar<"smooth"> smooth;
constexpr scalar<"smooth_nr"> smooth_numerator;
constexpr scalar<"smooth_dr"> smooth_denominator;
constexpr scalar<"alpha"> alpha;
constexpr scalar<"beta"> beta;
constexpr scalar<"gamma"> gamma;
constexpr tensor<"input", 4> logits;
constexpr int_tensor<"target", 3> labels;

constexpr auto dice_per_class = L::dice_per_class(logits, labels, smooth);
constexpr auto generalized_dice = L::generalized_dice(logits, labels, smooth_numerator, smooth_denominator);
constexpr auto tversky_per_class = L::tversky_per_class(logits, labels, alpha, beta, smooth);
constexpr auto focal_tversky = L::focal_tversky(logits, labels, alpha, beta, gamma, smooth);

template <auto const& Loss, class T, class... Scalars>
computed per_class_case(case_data const& c, Scalars const&... scalars) {
  static constexpr auto kernel = under_test::compile(Loss, wrt(logits));
  auto const x = make_view<T, 4>(c.inputs.at("input"), "input");
  auto const t = make_view<std::int64_t, 3>(c.inputs.at("target"), "target");
  return run(kernel, bind(logits = x, labels = t, scalars...), x, gradient_for<T, 4>(c, "input"));
}

registration const dice_per_class_case("dice_per_class", [](case_data const& c, precision p) {
  return in_precision(p, false,
                      [&]<class T>() { return per_class_case<dice_per_class, T>(c, smooth = number(c, "smooth")); });
});
registration const generalized_dice_case("generalized_dice", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return per_class_case<generalized_dice, T>(c, smooth_numerator = number(c, "smooth_nr"),
                                               smooth_denominator = number(c, "smooth_dr"));
  });
});
registration const tversky_per_class_case("tversky_per_class", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return per_class_case<tversky_per_class, T>(c, alpha = number(c, "alpha"), beta = number(c, "beta"),
                                                smooth = number(c, "smooth"));
  });
});
registration const focal_tversky_case("focal_tversky", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return per_class_case<focal_tversky, T>(c, alpha = number(c, "alpha"), beta = number(c, "beta"),
                                            gamma = number(c, "gamma"), smooth = number(c, "smooth"));
  });
});

}  // namespace
}  // namespace lossforge::conformance
