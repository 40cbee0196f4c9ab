// Conformance handlers: cross_entropy (and its _label_smoothing, _spatial, _prob_targets names), nll_loss,
// label_smoothing_ce_seed. The runner binds ignore_index and label_smoothing as runtime scalars, and class weights
// of ones when a case has none (the same numbers as no weights).
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"input", 2> x2;
constexpr tensor<"input", 3> x3;
constexpr int_tensor<"target", 1> t1;
constexpr int_tensor<"target", 2> t2;
constexpr tensor<"target", 2> y2;
constexpr tensor<"weight", 1> w;
constexpr scalar<"ignore_index"> ii;
constexpr scalar<"label_smoothing"> eps;

constexpr auto options = L::cross_entropy_options<>{}.weight(w).ignore_index(ii).label_smoothing(eps);
template <class R>
constexpr auto ce = L::cross_entropy(x2, t1, options, R{});
template <class R>
constexpr auto ce_spatial = L::cross_entropy(x3, t2, options, R{});
template <class R>
constexpr auto ce_probabilities =
    L::cross_entropy_probabilities(x2, y2, L::cross_entropy_options<>{}.weight(w).label_smoothing(eps), R{});
template <class R>
constexpr auto nll = L::nll_loss(x2, t1, L::cross_entropy_options<>{}.weight(w).ignore_index(ii), R{});

template <class T>
view_t<T, 1> class_weights(case_data const& c, std::ptrdiff_t classes) {
  if (has_tensor_param(c, "weight")) return make_view<T, 1>(tensor_param(c, "weight"), "weight");
  view_t<T, 1> ones("weight", std::size_t(classes));
  fill(ones, T(1));
  return ones;
}

template <auto const& Loss, int Rank, class X, class Target, class T>
computed class_case(case_data const& c, X const& x_symbol, Target const& t_symbol, double smoothing,
                    double ignore) {
  auto const x = make_view<T, Rank>(c.inputs.at("input"), "input");
  tensor_data const& target_data = c.inputs.at("target");
  auto const weights = class_weights<T>(c, std::ptrdiff_t(x.extent(1)));
  auto const d = gradient_for<T, Rank>(c, "input");
  static constexpr auto kernel = under_test::compile(Loss, wrt(X{}));
  auto with_target = [&](auto const& target_view, auto const& loss_view) {
    return run(kernel, bind(x_symbol = x, t_symbol = target_view, w = weights, ii = ignore, eps = smoothing),
               loss_view, d);
  };
  if constexpr (Rank == 3) {
    return with_target(make_view<std::int64_t, 2>(target_data, "target"),
                       view_t<T, 2>("loss", x.extent(0), x.extent(2)));
  } else if constexpr (lossforge::detail::is_int_tensor<std::remove_cvref_t<Target>>::value) {
    return with_target(make_view<std::int64_t, 1>(target_data, "target"), view_t<T, 1>("loss", x.extent(0)));
  } else {
    return with_target(make_view<T, 2>(target_data, "target"), view_t<T, 1>("loss", x.extent(0)));
  }
}

double smoothing_of(case_data const& c, char const* name) {
  double const e = number(c, name);
  if (!(e >= 0 && e <= 1)) throw std::invalid_argument("label_smoothing must be in [0, 1]");
  return e;
}
double ignore_of(case_data const& c) { return c.params.contains("ignore_index") ? number(c, "ignore_index") : -100; }

computed cross_entropy_case(case_data const& c, precision p) {
  double const smoothing = smoothing_of(c, "label_smoothing"), ignore = ignore_of(c);
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      if (c.inputs.at("target").integer) {
        if (c.inputs.at("input").shape.size() == 3)
          return class_case<ce_spatial<R>, 3, decltype(x3), decltype(t2), T>(c, x3, t2, smoothing, ignore);
        return class_case<ce<R>, 2, decltype(x2), decltype(t1), T>(c, x2, t1, smoothing, ignore);
      }
      return class_case<ce_probabilities<R>, 2, decltype(x2), decltype(y2), T>(c, x2, y2, smoothing, ignore);
    });
  });
}

registration const ce_case("cross_entropy", cross_entropy_case);
registration const ce_smoothing_case("cross_entropy_label_smoothing", cross_entropy_case);
registration const ce_spatial_case("cross_entropy_spatial", cross_entropy_case);
registration const ce_probabilities_case("cross_entropy_prob_targets", cross_entropy_case);
registration const seed_case("label_smoothing_ce_seed", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      return class_case<ce<R>, 2, decltype(x2), decltype(t1), T>(c, x2, t1, smoothing_of(c, "smoothing"), -100);
    });
  });
});
registration const nll_case("nll_loss", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      return class_case<nll<R>, 2, decltype(x2), decltype(t1), T>(c, x2, t1, 0, ignore_of(c));
    });
  });
});
}  // namespace
}  // namespace lossforge::conformance
