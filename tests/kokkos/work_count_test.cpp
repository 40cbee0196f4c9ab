// The cost law: a fused value and gradients cost one evaluation of the loss expression plus writing the gradients,
// never a reduction recomputed per element of an index it does not depend on. Counted, not timed: this executable
// counts every tensor element its kernels read (tests/support/tensor_reads.hpp), and each test checks how that count
// grows with the input against the expression's own cost. The plan's cost model (work_per_pass) must grow the same
// way. random_plans_test.cpp checks the same law on generated losses.
#include <tests/support/tensor_reads.hpp>
#include <tests/support/kokkos_events.hpp>

#include <Kokkos_Core.hpp>
#include <catch2/catch_test_macros.hpp>
#include <cmath>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/losses.hpp>
#include <utility>

namespace lf = lossforge;
namespace L = lf::losses;
using lf::test::reads_of;

namespace {
constexpr lf::tensor<"p", 2> p;
constexpr lf::tensor<"g", 2> g;
constexpr lf::tensor<"a", 2> a;
constexpr lf::tensor<"q", 2> q;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;
constexpr lf::index<"c"> c;
constexpr lf::index<"d"> d;

using matrix = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>;
matrix filled(int rows, int cols, double seed) {
  matrix m("lossforge::test::input", std::size_t(rows), std::size_t(cols));
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < cols; ++k) m(r, k) = 0.5 + 0.4 * std::sin(1.3 * r + 0.7 * k + seed);
  return m;
}

constexpr auto per_class_dice =
    lf::mean(c, 1 - 2 * lf::sum(i, p(i, c) * g(i, c)) / (lf::sum(i, p(i, c)) + lf::sum(i, g(i, c))));
constexpr auto info_nce = lf::mean(i, lf::logsumexp(j, lf::sum(d, a(i, d) * q(j, d))) - lf::sum(d, a(i, d) * q(i, d)));
}  // namespace

TEST_CASE("per-class Dice: work grows linearly in the rows", "[work]") {
  static constexpr auto kernel = lf::kokkos::compile(per_class_dice, lf::wrt(p));
  auto reads = [](int n) {
    int const classes = 4;
    auto const pv = filled(n, classes, 1), gv = filled(n, classes, 2);
    matrix dp("lossforge::test::dp", std::size_t(n), std::size_t(classes));
    return reads_of([&] { kernel(lf::bind(p = pv, g = gv), dp); }) / (double(n) * classes);
  };
  // One evaluation of the loss reads each of p and g twice per entry (sum p g, sum p, sum g): 4 reads per entry.
  // The gradient reads g and two per-class values per entry: 3 more. Recomputing a class's sums in every row
  // would read 4 N per entry instead, growing with N.
  double const small = reads(1000), large = reads(4000);
  CHECK(small >= 4);  // at least the loss's own reads: the count counts
  CHECK(small <= 12);
  CHECK(large <= small * 1.01);

  // The model: pass 1 evaluates the three sums of each class once (3 N terms, a few flops each), pass 2 the
  // gradient's few flops per entry: linear in N, per pass.
  auto work = [](int n) {
    auto const pv = filled(n, 4, 1), gv = filled(n, 4, 2);
    return kernel.work_per_pass(lf::bind(p = pv, g = gv));
  };
  auto const w_small = work(1000), w_large = work(4000);
  REQUIRE(w_small.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(w_small[k] >= 4 * 1000);  // at least one flop per entry
    CHECK(w_large[k] / w_small[k] > 3.9);
    CHECK(w_large[k] / w_small[k] < 4.1);
  }
}

TEST_CASE("InfoNCE: work grows as M^2 D, not M^3 D", "[work]") {
  static constexpr auto kernel = lf::kokkos::compile(info_nce, lf::wrt(a, q));
  int const dims = 16;
  auto reads = [&](int m) {
    auto const av = filled(m, dims, 3), qv = filled(m, dims, 4);
    matrix da("lossforge::test::da", std::size_t(m), std::size_t(dims)),
        dq("lossforge::test::dq", std::size_t(m), std::size_t(dims));
    return reads_of([&] { kernel(lf::bind(a = av, q = qv), da, dq); }) / (double(m) * m * dims);
  };
  // A similarity costs 2 reads per (i, j, d); pass 1 computes them for the log-sum-exp of each row and for two
  // buffers of softmax entries (one laid out for each gradient's rows): 6. Each gradient then reads an input and a
  // softmax entry per (i, j, d): 4 more; what is left is O(1 / M). A log-sum-exp recomputed inside the other
  // gradient's rows would add M D reads per (i, j, d), growing with M.
  double const small = reads(32), large = reads(64);
  CHECK(small >= 2);
  CHECK(small <= 16);
  CHECK(large <= small * 1.05);

  // The model: M^2 D for the whole call (similarities in pass 1, the gradients' sums over j in pass 2), so twice
  // the rows cost four times the work; a per-row log-sum-exp recomputed per entry would make it eight.
  auto work = [&](int m) {
    auto const av = filled(m, dims, 3), qv = filled(m, dims, 4);
    auto const per_pass = kernel.work_per_pass(lf::bind(a = av, q = qv));
    double total = 0;
    for (double w : per_pass) total += w;
    return total;
  };
  double const w_small = work(32), w_large = work(64);
  CHECK(w_small >= 32.0 * 32 * dims);
  CHECK(w_large / w_small > 3.8);
  CHECK(w_large / w_small < 4.2);
}

TEST_CASE("cross entropy: work linear in the rows, one read per logit per use", "[work]") {
  static constexpr auto kernel = lf::kokkos::compile(L::cross_entropy(x, t, L::mean), lf::wrt(x));
  auto reads = [](int n) {
    int const classes = 10;
    auto const xv = filled(n, classes, 5);
    Kokkos::View<int*, Kokkos::HostSpace> tv("lossforge::test::t", std::size_t(n));
    for (int r = 0; r < n; ++r) tv(r) = r % classes;
    matrix dx("lossforge::test::dx", std::size_t(n), std::size_t(classes));
    return reads_of([&] { kernel(lf::bind(x = xv, t = tv), dx); }) / (double(n) * classes);
  };
  double const small = reads(100), large = reads(400);
  CHECK(small >= 2);  // the log-sum-exp and the gradient read every logit
  CHECK(small <= 6);
  CHECK(large <= small * 1.01);
}

namespace {
// Tensor reads per logit of a per-class loss over logits [n, 6] and class indices, value and gradient.
template <class Kernel>
double per_class_reads(Kernel const& kernel, int n) {
  int const classes = 6;
  auto const xv = filled(n, classes, 7);
  Kokkos::View<int*, Kokkos::HostSpace> tv("lossforge::test::t", std::size_t(n));
  for (int r = 0; r < n; ++r) tv(r) = (3 * r + 1) % classes;
  matrix dx("lossforge::test::dx", std::size_t(n), std::size_t(classes));
  return reads_of([&] { kernel(lf::bind(x = xv, t = tv), dx); }) / (double(n) * classes);
}
}  // namespace

TEST_CASE("per-class Dice over softmax probabilities and class indices: work linear in the rows", "[work]") {
  // The intersection of class c, the sum over rows of the target class's probability where the target is c, reads
  // a gathered logit; it is still computed once per class, from a buffer of each row's target probability, not per
  // gradient entry (N reads per entry, N^2 C in all).
  static constexpr auto kernel = lf::kokkos::compile(L::dice_per_class(x, t, 1.0), lf::wrt(x));
  double const small = per_class_reads(kernel, 500), large = per_class_reads(kernel, 2000);
  CHECK(small >= 2);  // the probabilities and the gradient read every logit
  CHECK(small <= 40);
  CHECK(large <= small * 1.01);
}

TEST_CASE("generalized Dice: work linear in the rows", "[work]") {
  // Its per-class sums and its heaviest class weight are computed once per class.
  static constexpr auto kernel = lf::kokkos::compile(L::generalized_dice(x, t, 1e-5, 1e-5), lf::wrt(x));
  double const small = per_class_reads(kernel, 500), large = per_class_reads(kernel, 2000);
  CHECK(small >= 2);
  CHECK(small <= 40);
  CHECK(large <= small * 1.01);
}

TEST_CASE("a windowed loss: work per element grows as the window, not its square", "[work]") {
  static constexpr lf::tensor<"s", 1> s;
  static constexpr lf::tensor<"y", 1> y;
  static constexpr lf::tensor<"w", 1> w;
  static constexpr lf::index<"h"> h;
  static constexpr lf::window_index<"u"> u;
  static constexpr auto kernel = lf::kokkos::compile(lf::sum(h, lf::square(lf::sum(u, w(u) * s(h + u)) - y(h))),
                                                     lf::wrt(s));
  using vector = Kokkos::View<double*, Kokkos::HostSpace>;
  auto reads = [](int n, int width) {
    vector sv("lossforge::test::s", std::size_t(n)), yv("lossforge::test::y", std::size_t(n - width + 1)),
        wv("lossforge::test::w", std::size_t(width)), ds("lossforge::test::ds", std::size_t(n));
    for (int e = 0; e < n; ++e) sv(e) = std::sin(0.3 * e);
    for (int e = 0; e + width <= n; ++e) yv(e) = std::cos(0.2 * e);
    for (int e = 0; e < width; ++e) wv(e) = 1.0 / width;
    return reads_of([&] { kernel(lf::bind(s = sv, y = yv, w = wv), ds); }) / (double(n) * width);
  };
  // Per position and offset, the loss reads w and s (2) for the windowed sum, computed once for the loss and its
  // buffer (the same subexpression in one work item), and the gradient of each element reads w, y and the buffer at
  // each offset (3); with the loss's read of y per position, 5 + 1 / K reads per element and offset. Computing the
  // windowed sum again for the buffer would read 2 more, and recomputing it at each offset 2 K more.
  double const narrow = reads(2000, 3), wide = reads(2000, 12), longer = reads(8000, 12);
  CHECK(narrow >= 2);  // at least the loss's own reads: the count counts
  CHECK(narrow <= 6);
  CHECK(wide <= narrow * 1.05);
  CHECK(longer <= wide * 1.01);
}

namespace separable {
constexpr lf::tensor<"img", 2> img;
constexpr lf::tensor<"g", 1> g1;
constexpr lf::index<"h"> h;
constexpr lf::index<"w"> w;
constexpr lf::window_index<"u"> u;
constexpr lf::window_index<"v"> v;
constexpr auto loss = lf::sum(h, lf::sum(w, lf::square(lf::sum(u, g1(u) * lf::sum(v, g1(v) * img(h + u, w + v))))));
constexpr auto zero_padded_loss = lf::sum(
    h, lf::sum(w, lf::square(lf::sum(
                      u, g1(u) * lf::sum(v, g1(v) * img(lf::zero_padded(h + u), lf::zero_padded(w + v)))))));
// The reads per element of a 64 x 64 image with the window g(u) g(v) of `width` entries each way, and the kernels
// launched.
template <class Kernel, class... Out>
std::pair<double, int> reads(Kernel const& kernel, int width, Out const&... out) {
  int const size = 64;
  matrix iv = filled(size, size, 5);
  Kokkos::View<double*, Kokkos::HostSpace> gv("lossforge::test::g", std::size_t(width));
  for (int e = 0; e < width; ++e) gv(e) = 1.0 / width;
  int passes = 0;
  double const count =
      reads_of([&] { passes = lf::test::kernels_launched([&] { kernel(lf::bind(img = iv, g1 = gv), out...); }); });
  return {count / (double(size) * size), passes};
}
}  // namespace separable

TEST_CASE("a separable 2-D window: work per position grows as K + L, not K L", "[work]") {
  // A Gaussian window is the outer product g(u) g(v): the sum over v reads img only at h + u, so it is a buffer over
  // the image's rows, computed once per row position, and the sum over u reads it K times per position.
  static constexpr auto kernel = lf::kokkos::compile(separable::loss);
  // Per position: the rows read img and g L times each (2 L), the columns the buffer and g K times (2 K), for K = L:
  // 4 K. A K x L window summed at every position would read 2 K L.
  double const narrow = separable::reads(kernel, 3).first, wide = separable::reads(kernel, 9).first;
  CHECK(narrow >= 3);  // at least one read per window entry of each pass: the count counts
  CHECK(narrow <= 4 * 3 + 1);
  CHECK(wide <= 4 * 9 + 1);
  CHECK(wide / narrow < 3.5);  // K L would make it 9
}

TEST_CASE("a separable 2-D window's gradient: work per element grows as K + L, not K L", "[work]") {
  // The gradient gathers from the K x L window positions whose windows hold an element; its gather along the rows
  // (over u') is a buffer over (row, column) computed in the row's work item, and the gather along the columns reads
  // it L times per element.
  static constexpr auto kernel = lf::kokkos::compile(separable::loss, lf::wrt(separable::img));
  matrix di("lossforge::test::di", 64, 64);
  auto const [narrow, narrow_passes] = separable::reads(kernel, 3, di);
  auto const [wide, wide_passes] = separable::reads(kernel, 9, di);
  // The rows, the window sums with the loss, the gradient with its gather along the rows.
  CHECK(narrow_passes == 3);
  CHECK(wide_passes == 3);
  // Per element, reading the image or a buffer and g once per window entry: the rows (2 L), the window sums for the
  // loss and its buffer (2 K each at most), the gather along the rows (2 K) and along the columns (2 L): for K = L at
  // most 10 K. Gathering from all K L positions would read 2 K L.
  CHECK(narrow >= 3);  // at least one read per window entry of each pass: the count counts
  CHECK(narrow <= 10 * 3 + 1);
  CHECK(wide <= 10 * 9 + 1);
  CHECK(wide / narrow < 3.5);  // K L would make it 9
}

TEST_CASE("a zero-padded separable 2-D window: work per position and per element grows as K + L, not K L", "[work]") {
  // The rows are a buffer over the image's rows as for a valid window, read with zeros past its edges (the sum over v
  // of g(v) img(h + u, w + v) is zero wherever img's row h + u is past the edges, so the buffer's zero stands for it).
  static constexpr auto value = lf::kokkos::compile(separable::zero_padded_loss);
  static constexpr auto gradient = lf::kokkos::compile(separable::zero_padded_loss, lf::wrt(separable::img));
  matrix di("lossforge::test::di", 64, 64);
  auto const [narrow, narrow_passes] = separable::reads(value, 3);
  auto const [wide, wide_passes] = separable::reads(value, 9);
  CHECK(narrow_passes == 2);  // the rows, then the window sums with the loss
  CHECK(wide_passes == 2);
  CHECK(narrow >= 3);  // at least one read per window entry of each pass: the count counts
  CHECK(narrow <= 4 * 3 + 1);
  CHECK(wide <= 4 * 9 + 1);
  CHECK(wide / narrow < 3.5);  // K L would make it 9
  auto const [narrow_gradient, narrow_gradient_passes] = separable::reads(gradient, 3, di);
  auto const [wide_gradient, wide_gradient_passes] = separable::reads(gradient, 9, di);
  CHECK(narrow_gradient_passes == 3);
  CHECK(wide_gradient_passes == 3);
  CHECK(narrow_gradient <= 10 * 3 + 1);
  CHECK(wide_gradient <= 10 * 9 + 1);
  CHECK(wide_gradient / narrow_gradient < 3.5);
}
