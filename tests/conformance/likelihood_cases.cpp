// Conformance handlers: poisson_nll_loss, gaussian_nll_loss (inputs of any shape, bound flattened). eps is bound as a
// runtime scalar; log_input and full are compile-time options, one kernel per combination.
#include <tests/conformance/conformance.hpp>

namespace lossforge::conformance {
namespace {
namespace L = losses;
constexpr tensor<"var"> var;
constexpr scalar<"eps"> eps;

template <bool LogInput, bool Full>
constexpr auto poisson_options = [] {
  auto const o = L::poisson_nll_options<>{}.eps(eps);
  auto const rates = [&] {
    if constexpr (LogInput)
      return o;
    else
      return o.rate_input();
  }();
  if constexpr (Full)
    return rates.full();
  else
    return rates;
}();
template <bool LogInput, bool Full, class R>
constexpr auto poisson = L::poisson_nll_loss(input, target, poisson_options<LogInput, Full>, R{});
template <bool Full>
constexpr auto gaussian_options = [] {
  if constexpr (Full)
    return L::gaussian_nll_options<>{}.eps(eps).full();
  else
    return L::gaussian_nll_options<>{}.eps(eps);
}();
template <bool Full, class R>
constexpr auto gaussian = L::gaussian_nll_loss(input, target, var, gaussian_options<Full>, R{});

bool flag(case_data const& c, std::string const& name) {
  if (!c.params.contains(name) || !c.params.at(name).is_boolean())
    throw unsupported("parameter '" + name + "' missing or not a bool");
  return c.params.at(name).get<bool>();
}

template <bool LogInput, bool Full>
computed poisson_case(case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(
        c, [&]<class R>(R) { return input_target_case<poisson<LogInput, Full, R>, T>(c, eps = number(c, "eps")); });
  });
}
registration const poisson_nll_case("poisson_nll_loss", [](case_data const& c, precision p) {
  bool const log_input = flag(c, "log_input"), full = flag(c, "full");
  if (log_input) return full ? poisson_case<true, true>(c, p) : poisson_case<true, false>(c, p);
  return full ? poisson_case<false, true>(c, p) : poisson_case<false, false>(c, p);
});

// Input, target and variance of one shape, all bound flattened; input and variance differentiated.
template <bool Full>
computed gaussian_case(case_data const& c, precision p) {
  return in_precision(p, false, [&]<class T>() {
    return for_elementwise_reduction(c, [&]<class R>(R) {
      static constexpr auto kernel = under_test::compile(gaussian<Full, R>, wrt(input, var));
      auto const x = make_view<T, 1>(c.inputs.at("input"), "input");
      return run(kernel,
                 bind(input = x, target = make_view<T, 1>(c.inputs.at("target"), "target"),
                      var = make_view<T, 1>(c.inputs.at("var"), "var"), eps = number(c, "eps")),
                 view_t<T, 1>("loss", x.size()), gradient_for<T, 1>(c, "input"), gradient_for<T, 1>(c, "var"));
    });
  });
}
registration const gaussian_nll_case("gaussian_nll_loss", [](case_data const& c, precision p) {
  return flag(c, "full") ? gaussian_case<true>(c, p) : gaussian_case<false>(c, p);
});
}  // namespace
}  // namespace lossforge::conformance
