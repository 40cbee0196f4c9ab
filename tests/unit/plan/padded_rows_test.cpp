// The rows of a separable zero-padded window, sum_v q(v) f(x(h + u, c + v)) inside the sum over u, are a buffer over
// x's rows read with zeros past its edges only where the row is zero wherever x's row is past the edges: reads of x
// times factors finite there, sums, differences and where()s of such, sums of such. Other rows (exp(x), x + 1, a
// quotient, x log x, a mean, a row that one padded slot leaves nonzero) are summed where they are read. Either way the
// loss is the reference evaluator's, which sums every window whole.
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/backends/serial.hpp>
#include <lossforge/lossforge.hpp>
#include <span>
#include <string>
#include <tests/support/tolerance.hpp>
#include <vector>

namespace lf = lossforge;

namespace {
constexpr lf::tensor<"x", 2> x;
constexpr lf::tensor<"y", 2> y;
constexpr lf::tensor<"w", 1> w;
constexpr lf::tensor<"q", 1> q;
constexpr lf::index<"h"> h;
constexpr lf::index<"c"> c;
constexpr lf::window_index<"u"> u;
constexpr lf::window_index<"v"> v;
constexpr auto at_x = x(lf::zero_padded(h + u), lf::zero_padded(c + v));
constexpr auto at_y = y(lf::zero_padded(h + u), lf::zero_padded(c + v));

// sum over the positions of the squared window sum of Row, Row a reduction over v.
constexpr auto squared_window_sums = [](auto const& row) {
  return lf::sum(h, lf::sum(c, lf::square(lf::sum(u, w(u) * row))));
};
constexpr auto row_of = [](auto const& f) { return lf::sum(v, q(v) * f); };

std::vector<double> wave(int n, double phase) {
  std::vector<double> out(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) out[std::size_t(k)] = 0.6 + 0.35 * std::sin(0.83 * k + phase);
  return out;
}

// Whether the plan of the loss that make_loss returns writes a buffer (the rows: the value alone needs none
// otherwise), and whether its value on a 7 x 6 image with windows of 3 and 4 is the reference evaluator's (NaN where
// that is NaN).
template <class MakeLoss>
bool rows_buffered_and_exact(MakeLoss) {
  static constexpr auto loss = MakeLoss{}();
  static constexpr auto kernel = lf::serial::compile(loss);
  int const rows = 7, columns = 6, width_u = 3, width_v = 4;
  std::vector<double> const xs = wave(rows * columns, 0.1), ys = wave(rows * columns, 1.7), ws = wave(width_u, 0.4),
                            qs = wave(width_v, 2.2);
  double const value = kernel(lf::bind(x = lf::strided_view<double const, 2>{xs.data(), {rows, columns}},
                                       y = lf::strided_view<double const, 2>{ys.data(), {rows, columns}},
                                       w = lf::strided_view<double const, 1>{ws.data(), {width_u}},
                                       q = lf::strided_view<double const, 1>{qs.data(), {width_v}}));
  double const want =
      lf::reference::evaluate(loss, lf::bind(x = lf::host_view(std::span<double const>(xs), {rows, columns}),
                                             y = lf::host_view(std::span<double const>(ys), {rows, columns}),
                                             w = lf::host_view(std::span<double const>(ws), {width_u}),
                                             q = lf::host_view(std::span<double const>(qs), {width_v})));
  if (std::isnan(want))
    CHECK(std::isnan(value));
  else
    CHECK(lf::test::close(value, want, lf::test::tolerance<double>::conformance));
  return kernel.describe().find("write") != std::string::npos;
}
}  // namespace

TEST_CASE("a zero-padded window's rows that are zero past the edges are a buffer", "[plan][windows]") {
  CHECK(rows_buffered_and_exact([] { return squared_window_sums(row_of(at_x)); }));
  CHECK(rows_buffered_and_exact([] { return squared_window_sums(row_of(at_x * at_y)); }));
  CHECK(rows_buffered_and_exact([] { return squared_window_sums(row_of(lf::square(at_x) - 2 * at_y)); }));
  CHECK(rows_buffered_and_exact([] { return squared_window_sums(row_of(lf::where(at_x > 0.5, at_x, -at_y))); }));
}

TEST_CASE("rows that are not zero past the edges, or not by their form, are summed where they are read",
          "[plan][windows]") {
  CHECK(!rows_buffered_and_exact([] { return squared_window_sums(row_of(at_x + 1)); }));
  CHECK(!rows_buffered_and_exact([] { return squared_window_sums(row_of(lf::exp(at_x))); }));
  CHECK(!rows_buffered_and_exact([] { return squared_window_sums(row_of(at_x / (at_y + 2))); }));
  // 0 log 0 is NaN past the edges, in the window summed whole and so here.
  CHECK(!rows_buffered_and_exact([] { return squared_window_sums(row_of(at_x * lf::log(at_x))); }));
  CHECK(!rows_buffered_and_exact([] { return squared_window_sums(lf::mean(v, q(v) * at_x)); }));
  // Both offsets bound outside the reduction: row h + u past the edges leaves y's term, and column c + v past them
  // x's, so neither padded slot alone makes it zero.
  static constexpr lf::index<"k"> k;
  static constexpr auto apart = lf::sum(k, x(k, lf::zero_padded(h + u)) + y(k, lf::zero_padded(c + v)));
  CHECK(!rows_buffered_and_exact(
      [] { return lf::sum(h, lf::sum(c, lf::square(lf::sum(u, lf::sum(v, w(u) * q(v) * apart))))); }));
}
