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
#define LOSSFORGE_BY_REDUCTION(name, loss, x, y, opts)     \
  constexpr auto name##_none = L::loss(x, y, opts, L::none); \
  constexpr auto name##_mean = L::loss(x, y, opts, L::mean); \
  constexpr auto name##_sum = L::loss(x, y, opts, L::sum);
LOSSFORGE_BY_REDUCTION(ce, cross_entropy, x2, t1, options)
LOSSFORGE_BY_REDUCTION(ce_spatial, cross_entropy, x3, t2, options)
LOSSFORGE_BY_REDUCTION(ce_probabilities, cross_entropy_probabilities, x2, y2,
                       L::cross_entropy_options<>{}.weight(w).label_smoothing(eps))
LOSSFORGE_BY_REDUCTION(nll, nll_loss, x2, t1, L::cross_entropy_options<>{}.weight(w).ignore_index(ii))
#undef LOSSFORGE_BY_REDUCTION

template <class T>
view_t<T, 1> class_weights(case_data const& c, std::ptrdiff_t classes) {
  if (has_tensor_param(c, "weight")) return make_view<T, 1>(tensor_param(c, "weight"), "weight");
  view_t<T, 1> ones("weight", std::size_t(classes));
  Kokkos::deep_copy(ones, T(1));
  return ones;
}

template <auto const& None, auto const& Mean, auto const& Sum, int Rank, class X, class Target, class T>
computed class_case(case_data const& c, X const& x_symbol, Target const& t_symbol, double smoothing,
                    double ignore) {
  auto const x = make_view<T, Rank>(c.inputs.at("input"), "input");
  tensor_data const& target_data = c.inputs.at("target");
  auto const weights = class_weights<T>(c, std::ptrdiff_t(x.extent(1)));
  auto const d = gradient_for<T, Rank>(c, "input");
  auto go = [&](auto const& kernel, auto const& target_view, auto const& loss_view) {
    return run(kernel, bind(x_symbol = x, t_symbol = target_view, w = weights, ii = ignore, eps = smoothing),
               loss_view, d);
  };
  auto with_target = [&](auto const& target_view, auto const& loss_view) {
    std::string const r = reduction_of(c);
    if (r == "none") {
      static constexpr auto k = kokkos::compile(None, wrt(X{}));
      return go(k, target_view, loss_view);
    }
    if (r == "sum") {
      static constexpr auto k = kokkos::compile(Sum, wrt(X{}));
      return go(k, target_view, loss_view);
    }
    static constexpr auto k = kokkos::compile(Mean, wrt(X{}));
    return go(k, target_view, loss_view);
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
  return in_precision(p, false, [&]<class T>() {
    if (c.inputs.at("target").integer) {
      if (c.inputs.at("input").shape.size() == 3)
        return class_case<ce_spatial_none, ce_spatial_mean, ce_spatial_sum, 3, decltype(x3), decltype(t2), T>(
            c, x3, t2, smoothing_of(c, "label_smoothing"), ignore_of(c));
      return class_case<ce_none, ce_mean, ce_sum, 2, decltype(x2), decltype(t1), T>(
          c, x2, t1, smoothing_of(c, "label_smoothing"), ignore_of(c));
    }
    return class_case<ce_probabilities_none, ce_probabilities_mean, ce_probabilities_sum, 2, decltype(x2),
                      decltype(y2), T>(c, x2, y2, smoothing_of(c, "label_smoothing"), ignore_of(c));
  });
}

registration const ce("cross_entropy", cross_entropy_case);
registration const ce_smoothing("cross_entropy_label_smoothing", cross_entropy_case);
registration const ce_spatial("cross_entropy_spatial", cross_entropy_case);
registration const ce_probabilities("cross_entropy_prob_targets", cross_entropy_case);
registration const seed("label_smoothing_ce_seed", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return class_case<ce_none, ce_mean, ce_sum, 2, decltype(x2), decltype(t1), T>(c, x2, t1, smoothing_of(c, "smoothing"),
                                                                                  -100);
  });
});
registration const nll("nll_loss", [](case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return class_case<nll_none, nll_mean, nll_sum, 2, decltype(x2), decltype(t1), T>(c, x2, t1, 0, ignore_of(c));
  });
});
}  // namespace
}  // namespace lossforge::conformance
