// Bare tensors of different shapes combine as PyTorch broadcasts them: shapes aligned at their last dimension, a
// dimension of 1 or a missing leading one stretched to the other's. Each scope of bare tensors (the body of a sum
// over all elements, the per-element result, a gradient) runs over the shape its tensors broadcast to. Expected
// values are written out by hand from that rule.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_exception.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/lossforge.hpp>
#include <stdexcept>
#include <tests/support/gradient_check.hpp>
#include <vector>

namespace lf = lossforge;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::MessageMatches;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"w"> w;
constexpr lf::tensor<"y"> y;
std::vector<double> const p23{1, 2, 3, 4, 5, 6};  // [2, 3]
}  // namespace

TEST_CASE("a weight per class, per row or of one element stretches over the input", "[reference][broadcast]") {
  std::vector<double> const by_class{10, 20, 30}, by_row{1, -1}, one{0.5};
  // sum_ij p[i,j] w[j] = 1*10 + 2*20 + 3*30 + 4*10 + 5*20 + 6*30
  double const class_weighted = 10 + 40 + 90 + 40 + 100 + 180;
  CHECK(lf::reference::evaluate(lf::sum(p * w), lf::bind(p = lf::host_view(p23, {2, 3}),
                                                         w = lf::host_view(by_class, {3}))) == class_weighted);
  CHECK(lf::reference::evaluate(lf::sum(p * w), lf::bind(p = lf::host_view(p23, {2, 3}),
                                                         w = lf::host_view(by_class, {1, 3}))) == class_weighted);
  // The weight may come first: the broadcast is symmetric.
  CHECK(lf::reference::evaluate(lf::sum(w * p), lf::bind(p = lf::host_view(p23, {2, 3}),
                                                         w = lf::host_view(by_class, {3}))) == class_weighted);
  CHECK(lf::reference::evaluate(lf::sum(p * w), lf::bind(p = lf::host_view(p23, {2, 3}),
                                                         w = lf::host_view(by_row, {2, 1}))) == (1 + 2 + 3) - (4 + 5 + 6));
  CHECK(lf::reference::evaluate(lf::sum(p * w), lf::bind(p = lf::host_view(p23, {2, 3}),
                                                         w = lf::host_view(one, {1}))) == 10.5);
  // A mean divides by the broadcast shape's count, as torch.mean(p * w) does.
  CHECK(lf::reference::evaluate(lf::mean(p * w), lf::bind(p = lf::host_view(p23, {2, 3}),
                                                          w = lf::host_view(by_class, {3}))) == class_weighted / 6);
}

TEST_CASE("the per-element result has the broadcast shape", "[reference][broadcast]") {
  std::vector<double> const column{1, 2}, row{10, 20, 30};
  // [2, 1] with [3]: [2, 3], as an outer sum.
  auto const sum = lf::reference::evaluate(
      p + w, lf::bind(p = lf::host_view(column, {2, 1}), w = lf::host_view(row, {3})));
  CHECK(sum.shape == lf::shape_t{2, 3});
  CHECK(sum.values == std::vector<double>{11, 21, 31, 12, 22, 32});
  // Leading dimensions of 1 stay in the shape: [1, 1, 3] with [2, 3] is [1, 2, 3].
  auto const product = lf::reference::evaluate(
      p * w, lf::bind(p = lf::host_view(p23, {2, 3}), w = lf::host_view(row, {1, 1, 3})));
  CHECK(product.shape == lf::shape_t{1, 2, 3});
  CHECK(product.values == std::vector<double>{10, 40, 90, 40, 100, 180});
}

TEST_CASE("the gradient of a full-shape tensor reads the stretched weight at each element",
          "[reference][broadcast]") {
  std::vector<double> const by_class{0.5, 1.5, 2.5}, truth{0.2, 0.4, 0.6, 0.1, 0.3, 0.9};
  constexpr auto loss = lf::mean(w * lf::square(p - y));
  auto const bound = [&](auto const& predictions) {
    return lf::bind(p = predictions, y = lf::host_view(truth, {2, 3}), w = lf::host_view(by_class, {3}));
  };
  std::vector<double> const predictions{0.3, 0.1, 0.7, 0.4, 0.2, 0.5};
  // d/dp[i,j] = 2 w[j] (p - y) / 6
  auto const gradient = lf::reference::evaluate(lf::grad(loss, p), bound(lf::host_view(predictions, {2, 3})));
  REQUIRE(gradient.shape == lf::shape_t{2, 3});
  for (std::size_t k = 0; k < 6; ++k)
    CHECK(lf::test::close(gradient.values[k], 2 * by_class[k % 3] * (predictions[k] - truth[k]) / 6, 1e-15));
  lf::test::check_tensor_gradient<double>(loss, p, predictions, {2, 3}, bound);
  lf::test::check_tensor_gradient<float>(loss, p, predictions, {2, 3}, bound);
}

TEST_CASE("shapes that do not broadcast, and uses a flat gradient cannot serve, are errors naming the shapes",
          "[reference][broadcast][errors]") {
  std::vector<double> const four{1, 2, 3, 4}, three{1, 2, 3};
  CHECK_THROWS_MATCHES(
      lf::reference::evaluate(lf::sum(p * w), lf::bind(p = lf::host_view(p23, {2, 3}), w = lf::host_view(four, {4}))),
      std::invalid_argument,
      MessageMatches(ContainsSubstring("'p' has shape [2,3] but 'w' has shape [4], and they do not broadcast")));
  // After a broadcast, the message says which tensors made the shape.
  std::vector<double> const column{1, 2};
  CHECK_THROWS_MATCHES(
      lf::reference::evaluate(lf::sum(p * w * y), lf::bind(p = lf::host_view(column, {2, 1}),
                                                           w = lf::host_view(three, {3}), y = lf::host_view(four, {4}))),
      std::invalid_argument, MessageMatches(ContainsSubstring("broadcast to [2,3] but 'y' has shape [4]")));
  auto const stretched = lf::bind(p = lf::host_view(p23, {2, 3}), w = lf::host_view(three, {3}));
  // The gradient of a stretched tensor sums over the stretched dimensions: not what a flat gradient computes.
  CHECK_THROWS_MATCHES(lf::reference::evaluate(lf::grad(lf::sum(p * w), w), stretched), std::invalid_argument,
                       MessageMatches(ContainsSubstring("no gradient with respect to 'w'") &&
                                      ContainsSubstring("from shape [3] to [2,3]")));
  // One tensor read at two shapes in one expression.
  CHECK_THROWS_MATCHES(lf::reference::evaluate(lf::sum(p * w) + lf::sum(w), stretched), std::invalid_argument,
                       MessageMatches(ContainsSubstring("'w' has shape [3] and is read at shape [2,3]") &&
                                      ContainsSubstring("at [3] in another")));
  // A gradient taken alone still knows what its tensor met in the loss: d/dw of sum(w + y) is 2 per element of w [3]
  // where y is [2, 3], not the 1 its simplified form reads.
  std::vector<double> const six{1, 2, 3, 4, 5, 6};
  auto const met = lf::bind(w = lf::host_view(three, {3}), y = lf::host_view(six, {2, 3}));
  CHECK_THROWS_MATCHES(lf::reference::evaluate(lf::grad(lf::sum(w + y), w), met), std::invalid_argument,
                       MessageMatches(ContainsSubstring("no gradient with respect to 'w'")));
  CHECK_THROWS_MATCHES(lf::reference::evaluate(lf::grad(lf::sum(w * w + y), w), met), std::invalid_argument,
                       MessageMatches(ContainsSubstring("no gradient with respect to 'w'")));
  // A stretched tensor also indexed: the indexed read would not stretch.
  constexpr lf::tensor<"v"> v;
  constexpr lf::index<"i"> i;
  constexpr lf::index<"c"> c;
  std::vector<double> const row{1, 2, 3};
  CHECK_THROWS_MATCHES(
      lf::reference::evaluate(lf::sum(p * v) + lf::sum(i, lf::sum(c, v(i, c))),
                              lf::bind(p = lf::host_view(p23, {2, 3}), v = lf::host_view(row, {1, 3}))),
      std::invalid_argument, MessageMatches(ContainsSubstring("'v' is broadcast from shape [1,3] to [2,3]") &&
                                            ContainsSubstring("also indexed")));
  // Bound at the full shape, the same expressions are fine.
  std::vector<double> const full{1, 1, 1, 1, 1, 1};
  auto const same = lf::bind(p = lf::host_view(p23, {2, 3}), w = lf::host_view(full, {2, 3}));
  CHECK(lf::reference::evaluate(lf::sum(p * w) + lf::sum(w), same) == 27);
  CHECK(lf::reference::evaluate(lf::grad(lf::sum(p * w), w), same).values == p23);
}
