// Losses over data split among MPI processes equal the loss over all of it: every process builds the same whole
// data, computes the single-process loss and gradient on it (lf::kokkos::compile, itself checked against PyTorch by
// the conformance cases), then runs the distributed kernel on its own block of rows, which are uneven and empty on
// process 0 when there are several. Central differences of the distributed loss check one process's gradient block.
// Run under mpirun with 1 to 4 processes; every process checks the same things, so collective calls stay matched.
#include <mpi.h>

#include <Kokkos_Core.hpp>
#include <catch2/catch_approx.hpp>
#include <catch2/catch_session.hpp>
#include <catch2/catch_template_test_macros.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/mpi.hpp>
#include <lossforge/losses.hpp>

namespace lf = lossforge;
namespace L = lossforge::losses;

namespace {

// The processes a test runs on: all of them, or a sub-communicator's.
MPI_Comm communicator = MPI_COMM_WORLD;

int process() {
  int r = 0;
  MPI_Comm_rank(communicator, &r);
  return r;
}
int processes() {
  int n = 0;
  MPI_Comm_size(communicator, &n);
  return n;
}

// Process p's rows [begin, end) of n: none on process 0 when there are several, the rest in blocks of growing size
// (1 : 2 : 3 ...), so that no two blocks are alike.
std::pair<std::ptrdiff_t, std::ptrdiff_t> rows_of(int p, int count, std::ptrdiff_t n) {
  if (count == 1) return {0, n};
  std::ptrdiff_t const weights = std::ptrdiff_t(count) * (count - 1) / 2;
  auto const start = [&](int q) { return n * (std::ptrdiff_t(q) * (q - 1) / 2) / weights; };
  return {start(p), start(p + 1)};
}

template <class T>
using view1 = Kokkos::View<T*, Kokkos::HostSpace>;
template <class T>
using view2 = Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace>;

template <class T>
view1<T> uniform(std::ptrdiff_t n, double low, double high, unsigned seed) {
  view1<T> v("v", std::size_t(n));
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> d(low, high);
  for (std::ptrdiff_t i = 0; i < n; ++i) v(i) = T(d(gen));
  return v;
}
template <class T>
view2<T> uniform(std::ptrdiff_t n, std::ptrdiff_t c, double low, double high, unsigned seed) {
  view2<T> v("v", std::size_t(n), std::size_t(c));
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> d(low, high);
  for (std::ptrdiff_t i = 0; i < n; ++i)
    for (std::ptrdiff_t j = 0; j < c; ++j) v(i, j) = T(d(gen));
  return v;
}
view1<int> classes(std::ptrdiff_t n, int count, unsigned seed) {
  view1<int> v("t", std::size_t(n));
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> d(0, count - 1);
  for (std::ptrdiff_t i = 0; i < n; ++i) v(i) = d(gen);
  return v;
}

// This process's block of rows of a whole View, as a View of its own.
template <class V>
V block(V const& whole) {
  auto const [begin, end] = rows_of(process(), processes(), std::ptrdiff_t(whole.extent(0)));
  if constexpr (V::rank == 1) {
    V part(whole.label(), std::size_t(end - begin));
    for (std::ptrdiff_t i = begin; i < end; ++i) part(i - begin) = whole(i);
    return part;
  } else {
    V part(whole.label(), std::size_t(end - begin), whole.extent(1));
    for (std::ptrdiff_t i = begin; i < end; ++i)
      for (std::size_t j = 0; j < whole.extent(1); ++j) part(i - begin, j) = whole(i, j);
    return part;
  }
}
template <class V>
V like(V const& v) {
  if constexpr (V::rank == 1)
    return V("out", v.extent(0));
  else
    return V("out", v.extent(0), v.extent(1));
}

// Tolerances against the single-process result: the same terms, added in another order (per process, then across
// processes). Double: 1e-12 relative; float inputs are summed in double too, but elementwise gradients are rounded
// to float: 1e-5.
template <class T>
constexpr double tolerance = std::is_same_v<T, double> ? 1e-12 : 1e-5;

template <class T, class V>
void check_block(V const& whole, V const& part) {
  auto const begin = rows_of(process(), processes(), std::ptrdiff_t(whole.extent(0))).first;
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < part.extent(0); ++i)
    for (std::size_t j = 0; j < (V::rank == 1 ? 1 : part.extent(1)); ++j) {
      double w, p;
      if constexpr (V::rank == 1) {
        w = double(whole(begin + std::ptrdiff_t(i)));
        p = double(part(i));
      } else {
        w = double(whole(begin + std::ptrdiff_t(i), j));
        p = double(part(i, j));
      }
      worst = std::max(worst, std::abs(w - p));
      scale = std::max(scale, std::abs(w));
    }
  CHECK(worst <= tolerance<T> * std::max(scale, 1e-30));
}

// Central differences of the distributed loss (double) at a few entries of the last process's block: every process
// evaluates the loss with the entry moved on that process.
template <class Loss, class V>
void check_by_differences(Loss const& loss_at, V const& part, V const& grad) {
  int const last = processes() - 1;
  std::ptrdiff_t const rows = std::ptrdiff_t(part.extent(0));
  std::ptrdiff_t const cols = V::rank == 1 ? 1 : std::ptrdiff_t(part.extent(1));
  long long entries = process() == last ? rows * cols : 0;
  MPI_Bcast(&entries, 1, MPI_LONG_LONG, last, communicator);
  for (long long k = 0; k < std::min<long long>(entries, 5); ++k) {
    std::ptrdiff_t const at = std::ptrdiff_t(k * 7919 % entries);
    auto entry = [&]() -> typename V::value_type& {
      if constexpr (V::rank == 1)
        return part(at);
      else
        return part(at / cols, at % cols);
    };
    double const h = 1e-6, saved = process() == last ? double(entry()) : 0;
    if (process() == last) entry() = saved + h;
    double const up = loss_at();
    if (process() == last) entry() = saved - h;
    double const down = loss_at();
    if (process() == last) {
      entry() = saved;
      double analytic;
      if constexpr (V::rank == 1)
        analytic = double(grad(at));
      else
        analytic = double(grad(at / cols, at % cols));
      CHECK((up - down) / (2 * h) == Catch::Approx(analytic).epsilon(1e-6).margin(1e-9));
    }
  }
}

constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"y"> y;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::tensor<"cw"> cw;
constexpr lf::tensor<"w"> w;
constexpr lf::scalar<"lambda"> lambda;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;

// A loss of probabilities p against targets y, both [N, C] split by rows: the distributed loss, its gradient block
// and central differences against the single-process kernel on the whole data.
template <class T, class Loss>
void check_probabilities(Loss const& loss, std::ptrdiff_t n, std::ptrdiff_t c) {
  auto const whole_kernel = lf::kokkos::compile(loss, lf::wrt(p));
  auto const split_kernel = lf::mpi::compile(loss, lf::wrt(p), lf::mpi::split(p, y));
  auto const pw = uniform<T>(n, c, 0.02, 0.98, 11), yw = uniform<T>(n, c, 0, 1, 12);
  auto const gw = like(pw);
  double const expected = whole_kernel(Kokkos::Serial{}, lf::bind(p = pw, y = yw), gw);
  auto const pp = block(pw), yp = block(yw);
  auto const gp = like(pp);
  double const got = split_kernel(communicator, Kokkos::Serial{}, lf::bind(p = pp, y = yp), gp);
  CHECK(got == Catch::Approx(expected).epsilon(tolerance<T>));
  check_block<T>(gw, gp);
  if constexpr (std::is_same_v<T, double>)
    check_by_differences([&] { return split_kernel(communicator, lf::bind(p = pp, y = yp), like(pp)); }, pp, gp);
}

}  // namespace

TEMPLATE_TEST_CASE("Dice over split rows equals Dice over the whole data", "[mpi]", float, double) {
  check_probabilities<TestType>(L::dice(p, y, 1.0), 37, 5);
}

TEMPLATE_TEST_CASE("Combo (Dice + weighted BCE) over split rows", "[mpi]", float, double) {
  check_probabilities<TestType>(L::combo(p, y, 1.0, 0.5), 29, 3);
}

TEMPLATE_TEST_CASE("BCE mean over split rows", "[mpi]", float, double) {
  check_probabilities<TestType>(L::binary_cross_entropy(p, y, L::mean), 41, 2);
}

TEMPLATE_TEST_CASE("RMSE over split rows", "[mpi]", float, double) {
  check_probabilities<TestType>(L::rmse(p, y), 23, 4);
}

// A loss of logits x [N, C] and class indices t [N] (every fourth one -100 where the loss ignores it), split by rows;
// the class weights cw [C] are whole on every process.
template <class T, class Loss>
void check_classes(Loss const& loss, bool ignores) {
  std::ptrdiff_t const n = 43, c = 6;
  auto const whole_kernel = lf::kokkos::compile(loss, lf::wrt(x));
  auto const split_kernel = lf::mpi::compile(loss, lf::wrt(x), lf::mpi::split(x, t));
  auto const xw = uniform<T>(n, c, -3, 3, 21);
  auto tw = classes(n, int(c), 22);
  if (ignores)
    for (std::ptrdiff_t k = 0; k < n; k += 4) tw(k) = -100;
  auto const cwv = uniform<T>(c, 0.2, 2, 23);
  auto const gw = like(xw);
  double const expected = whole_kernel(Kokkos::Serial{}, lf::bind(x = xw, t = tw, cw = cwv), gw);
  auto const xp = block(xw), gp = like(xp);
  auto const tp = block(tw);
  double const got = split_kernel(communicator, Kokkos::Serial{}, lf::bind(x = xp, t = tp, cw = cwv), gp);
  CHECK(got == Catch::Approx(expected).epsilon(tolerance<T>));
  check_block<T>(gw, gp);
  if constexpr (std::is_same_v<T, double>)
    check_by_differences([&] { return split_kernel(communicator, lf::bind(x = xp, t = tp, cw = cwv), like(xp)); }, xp,
                         gp);
}

TEMPLATE_TEST_CASE("Cross entropy with class weights and ignore_index under mean, over split rows", "[mpi]", float,
                   double) {
  check_classes<TestType>(L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(cw).ignore_index(-100), L::mean),
                          true);
}

TEMPLATE_TEST_CASE("Perplexity over split rows", "[mpi]", float, double) {
  check_classes<TestType>(L::perplexity(x, t, L::cross_entropy_options<>{}.weight(cw).ignore_index(-100)), true);
}

TEMPLATE_TEST_CASE("Per-class Dice over split rows: the class sums combined as arrays", "[mpi]", float, double) {
  check_classes<TestType>(L::dice_per_class(x, t, 1.0), false);
}

// Maxima and log-sum-exps over the split rows, per column: buffers combined as such, where process 0 has no rows and
// contributes nothing (the column maxima's gradient also needs the count of each maximum, a sum).
TEMPLATE_TEST_CASE("Column maxima and log-sum-exps over split rows, with a process that has no rows", "[mpi]", float,
                   double) {
  using T = TestType;
  constexpr auto loss = lf::sum(j, lf::reduce_max(i, x(i, j)) + 0.5 * lf::logsumexp(i, x(i, j)));
  constexpr auto whole_kernel = lf::kokkos::compile(loss, lf::wrt(x));
  constexpr auto split_kernel = lf::mpi::compile(loss, lf::wrt(x), lf::mpi::split(x));
  auto const xw = uniform<T>(23, 4, -2, 2, 41);
  auto const gw = like(xw);
  double const expected = whole_kernel(Kokkos::Serial{}, lf::bind(x = xw), gw);
  auto const xp = block(xw), gp = like(xp);
  double const got = split_kernel(communicator, Kokkos::Serial{}, lf::bind(x = xp), gp);
  CHECK(got == Catch::Approx(expected).epsilon(tolerance<T>));
  check_block<T>(gw, gp);
  if constexpr (std::is_same_v<T, double>)
    check_by_differences([&] { return split_kernel(communicator, lf::bind(x = xp), like(xp)); }, xp, gp);
}

// A composed loss: a linear model's mean squared error over the split rows of x [N, D] and y [N], plus an L2 penalty
// of the weights w [D] that every process holds whole. The gradient of w sums over all rows: every process gets
// all of it; the gradient of x is each process's block.
TEMPLATE_TEST_CASE("A custom composed loss over split rows, with the gradient of a tensor held whole", "[mpi]", float,
                   double) {
  using T = TestType;
  constexpr auto loss = lf::mean(i, lf::pow<2>(lf::sum(j, x(i, j) * w(j)) - p(i))) + lambda * lf::sum(j, w(j) * w(j));
  constexpr auto whole_kernel = lf::kokkos::compile(loss, lf::wrt(x, w));
  constexpr auto split_kernel = lf::mpi::compile(loss, lf::wrt(x, w), lf::mpi::split(x, p));
  std::ptrdiff_t const n = 31, d = 5;
  auto const xw = uniform<T>(n, d, -1, 1, 31);
  auto const pw = uniform<T>(n, -1, 1, 32), wv = uniform<T>(d, -1, 1, 33);
  auto const gxw = like(xw), gww = like(wv);
  double const expected = whole_kernel(Kokkos::Serial{}, lf::bind(x = xw, p = pw, w = wv, lambda = 0.25), gxw, gww);
  auto const xp = block(xw), pp = block(pw), gxp = like(xp), gwp = like(wv);
  double const got =
      split_kernel(communicator, Kokkos::Serial{}, lf::bind(x = xp, p = pp, w = wv, lambda = 0.25), gxp, gwp);
  CHECK(got == Catch::Approx(expected).epsilon(tolerance<T>));
  check_block<T>(gxw, gxp);
  for (std::ptrdiff_t k = 0; k < d; ++k) CHECK(gwp(k) == Catch::Approx(gww(k)).epsilon(tolerance<T>).margin(1e-12));
  if constexpr (std::is_same_v<T, double>)
    check_by_differences(
        [&] { return split_kernel(communicator, lf::bind(x = xp, p = pp, w = wv, lambda = 0.25), like(xp), like(wv)); },
        xp, gxp);
}

// Splitting keeps the single-process passes, but where a process cannot finish a global over all rows inside a
// kernel (a prelude) or must combine per-class sums before they are read: one pass more each.
TEST_CASE("A split plan has the single-process passes, but for preludes and combined sums", "[mpi]") {
  auto const passes = [](auto const& loss, auto of, auto... split) {
    using whole = decltype(lf::kokkos::compile(loss, lf::wrt(of)).plan);
    using parts = decltype(lf::mpi::compile(loss, lf::wrt(of), lf::mpi::split(split...)).plan);
    return std::pair{whole::pass_count, parts::pass_count};
  };
  CHECK(passes(L::dice(p, y, 1.0), p, p, y) == std::pair<std::size_t, std::size_t>{2, 2});
  CHECK(passes(L::binary_cross_entropy(p, y, L::mean), p, p, y) == std::pair<std::size_t, std::size_t>{1, 1});
  CHECK(passes(L::cross_entropy(x, t, L::mean), x, x, t) == std::pair<std::size_t, std::size_t>{1, 1});
  auto const weighted = L::cross_entropy(x, t, L::cross_entropy_options<>{}.weight(cw).ignore_index(-100), L::mean);
  CHECK(passes(weighted, x, x, t) == std::pair<std::size_t, std::size_t>{1, 2});
  CHECK(passes(L::dice_per_class(x, t, 1.0), x, x, t) == std::pair<std::size_t, std::size_t>{3, 4});
}

// A sub-communicator: the even and the odd processes each compute the loss of their own data, which the two groups
// generate alike; lf::gradient_only writes the same gradient without the loss.
TEST_CASE("Any intra-communicator: the processes of a split of MPI_COMM_WORLD", "[mpi]") {
  int world = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  MPI_Comm half;
  MPI_Comm_split(MPI_COMM_WORLD, world % 2, world, &half);
  communicator = half;
  check_probabilities<double>(L::dice(p, y, 1.0), 19, 3);
  auto const only = lf::mpi::compile(L::dice(p, y, 1.0), lf::wrt(p), lf::mpi::split(p, y), lf::gradient_only);
  auto const both = lf::mpi::compile(L::dice(p, y, 1.0), lf::wrt(p), lf::mpi::split(p, y));
  auto const pp = block(uniform<double>(19, 3, 0.02, 0.98, 11)), yp = block(uniform<double>(19, 3, 0, 1, 12));
  auto const g_only = like(pp), g_both = like(pp);
  only(communicator, lf::bind(p = pp, y = yp), g_only);
  both(communicator, lf::bind(p = pp, y = yp), g_both);
  for (std::size_t i = 0; i < pp.extent(0); ++i)
    for (std::size_t j = 0; j < pp.extent(1); ++j) CHECK(g_only(i, j) == Catch::Approx(g_both(i, j)).epsilon(1e-12));
  communicator = MPI_COMM_WORLD;
  MPI_Comm_free(&half);
}

TEST_CASE("Misuse fails on every process, not only where it happened", "[mpi]") {
  constexpr auto loss = L::cross_entropy(x, t, L::mean);
  constexpr auto kernel = lf::mpi::compile(loss, lf::wrt(x), lf::mpi::split(x, t));
  int const last = processes() - 1;
  SECTION("processes that disagree on the number of classes") {
    // One process more classes than the others: checked together before the first pass.
    std::ptrdiff_t const c = processes() > 1 && process() == last ? 5 : 4;
    view2<double> xs("x", 3, std::size_t(c)), g("g", 3, std::size_t(c));
    view1<int> ts("t", 3);
    if (processes() > 1)
      CHECK_THROWS_WITH(kernel(communicator, lf::bind(x = xs, t = ts), g),
                        Catch::Matchers::ContainsSubstring("'x' has shape"));
    else
      CHECK_NOTHROW(kernel(communicator, lf::bind(x = xs, t = ts), g));
  }
  SECTION("a class index out of range on one process") {
    view2<double> xs("x", 3, 4), g("g", 3, 4);
    view1<int> ts("t", 3);
    if (process() == last) ts(1) = 9;
    CHECK_THROWS(kernel(communicator, lf::bind(x = xs, t = ts), g));
  }
  SECTION("a local shape mismatch on one process") {
    std::size_t const rows = process() == last ? 2 : 3;
    view2<double> xs("x", 3, 4), g("g", 3, 4);
    view1<int> ts("t", rows);
    CHECK_THROWS(kernel(communicator, lf::bind(x = xs, t = ts), g));
  }
}

int main(int argc, char* argv[]) {
  MPI_Init(&argc, &argv);
  int result = 0;
  {
    Kokkos::ScopeGuard guard(argc, argv);
    result = Catch::Session().run(argc, argv);
  }
  MPI_Finalize();
  return result;
}
