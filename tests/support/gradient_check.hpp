#pragma once
// The one gradient helper for tensor losses: the gradient lossforge derives, evaluated in precision T, against a
// central finite difference of the loss in double, element by element (Stan's expect_ad, JAX's check_grads).
#include <catch2/catch_test_macros.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lossforge::test {

// bind_with(view) must return the bindings of the loss with the differentiated tensor bound to view.
template <class T, class Loss, class Symbol, class BindWith>
void check_tensor_gradient(Loss const& loss, Symbol const& symbol, std::vector<double> data, shape_t shape,
                           BindWith const& bind_with) {
  auto const derivative = grad(loss, symbol);
  INFO("loss " << to_text(loss) << "\ngradient " << to_text(derivative));
  std::vector<T> data_t(data.begin(), data.end());
  auto const got = reference::evaluate<T>(derivative, bind_with(host_view(data_t, shape)));
  REQUIRE(got.shape == shape);
  for (std::size_t k = 0; k < data.size(); ++k) {
    double const x0 = double(data_t[k]);  // differentiate where precision T evaluated
    auto at = [&](double v) {
      std::vector<double> moved(data_t.begin(), data_t.end());
      moved[k] = v;
      return reference::evaluate<double>(loss, bind_with(host_view(moved, shape)));
    };
    INFO("element " << k);
    CHECK(close(double(got.values[k]), central_difference(at, x0), tolerance<T>::finite_difference));
  }
}

}  // namespace lossforge::test
