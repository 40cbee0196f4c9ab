// lossforge benchmark: each loss's fused kernel (value and gradient) against a hand-fused scalar loop, the same loop
// compiled with -ffast-math in its own translation unit, a hand-fused loop with vectorized math (Eigen's packet
// log/exp, no -ffast-math) and the unfused reference evaluator (an interpreter of the loss and of its gradient
// expression, one element at a time), in the same run, at several sizes, in float and double. Prints a table (median
// time, GB/s of the bytes that must move, lossforge / vector loop, lossforge / fast-math loop) and writes a CSV. A
// STREAM-style triad measured in the same run gives the bandwidth the memory-bound losses aim at. The reference
// evaluator is timed once, and only up to 2^24 elements (at 2^26 it takes tens of seconds).
//
//   lossforge_bench [--quick] [--sizes L,L...] [--csv FILE] [--repetitions R] [--pytorch FILE]
//
// --pytorch reads the CSV of scripts/bench_pytorch.py (PyTorch eager at the same sizes) and adds its times and
// the ratio PyTorch / lossforge to the table and the CSV.
//
// Sizes are element counts: 2^16 to 2^26 (--quick: 2^16 and 2^20, float only, well under a minute; --sizes 20,24: 2^20
// and 2^24). Cross entropy
// has C = 1000 classes and label smoothing 0.1, so 2^20 elements are 1048 rows.
#include "fast_math_loops.hpp"
#include "hand_loops.hpp"
#include "median_seconds.hpp"

#include <Eigen/Core>
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/reference/evaluate.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>
#include <map>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace lf = lossforge;
namespace L = lf::losses;
using namespace lf::literals;

namespace {
constexpr lf::tensor<"p"> p;
constexpr lf::tensor<"g"> g;
constexpr lf::tensor<"x", 2> x;
constexpr lf::int_tensor<"t", 1> t;

constexpr auto mse_loss = L::mse(p, g, L::mean);
constexpr auto bce_loss = L::binary_cross_entropy(p, g, L::mean);
constexpr auto bce_logits_loss = L::binary_cross_entropy_with_logits(p, g, L::mean);
constexpr auto dice_loss = L::dice(p, g);
constexpr auto combo_loss = L::combo(p, g, 1_c, 0.5);
constexpr auto ce_loss = L::cross_entropy(x, t, L::cross_entropy_options<>{}.label_smoothing(0.1), L::mean);
constexpr auto focal_loss = L::sigmoid_focal_loss(p, g, L::mean);  // alpha 0.25, gamma 2
constexpr auto mse_kernel = lf::kokkos::compile(mse_loss, lf::wrt(p));
constexpr auto bce_kernel = lf::kokkos::compile(bce_loss, lf::wrt(p));
constexpr auto bce_logits_kernel = lf::kokkos::compile(bce_logits_loss, lf::wrt(p));
constexpr auto dice_kernel = lf::kokkos::compile(dice_loss, lf::wrt(p));
constexpr auto combo_kernel = lf::kokkos::compile(combo_loss, lf::wrt(p));
constexpr auto ce_kernel = lf::kokkos::compile(ce_loss, lf::wrt(x));
constexpr auto focal_kernel = lf::kokkos::compile(focal_loss, lf::wrt(p));
constexpr std::ptrdiff_t reference_limit = std::ptrdiff_t(1) << 24;  // the largest size the reference is timed at

constexpr int classes = 1000;
constexpr double smoothing = 0.1;
constexpr std::ptrdiff_t chunk = 2048;  // elements per vector-loop block: fits L1 with its temporaries

template <class T>
using array = Eigen::Array<T, Eigen::Dynamic, 1>;
template <class T>
using in_block = Eigen::Map<array<T> const>;
template <class T>
using out_block = Eigen::Map<array<T>>;
template <class T>
using view = Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;

// The data of one run: two inputs (predictions or logits, and targets) and the gradient.
template <class T>
struct data {
  std::ptrdiff_t n;
  std::vector<T> a, b, grad;
  std::vector<int> labels;  // cross entropy's targets
};

// A loss: its name, the bytes its value and gradient must move per element (in units of the element size), and
// the five ways to compute them, each returning the loss and writing the gradient.
template <class T>
struct loss_case {
  char const* name;
  double values_moved;  // per element: inputs read (twice for two-pass losses) plus the gradient written
  std::function<void(data<T>&, std::mt19937&)> fill;
  std::function<double(data<T>&)> fused, scalar_loop, fast_math_loop, vector_loop, reference;
};

// The reference evaluator on the same data: the loss, then its gradient (copied into d.grad).
template <auto const& Loss, class X, class T, class Bindings>
double reference_value_and_gradient(data<T>& d, Bindings const& b) {
  static constexpr auto gradient = lf::grad(lf::simplify(Loss), X{});
  double const loss = lf::reference::evaluate<T>(Loss, b);
  auto const dx = lf::reference::evaluate<T>(gradient, b);
  std::copy(dx.values.begin(), dx.values.end(), d.grad.begin());
  return loss;
}

template <class T>
void fill_probabilities(data<T>& d, std::mt19937& random) {
  std::uniform_real_distribution<T> unit(T(0.02), T(0.98));
  for (std::ptrdiff_t i = 0; i < d.n; ++i) d.a[std::size_t(i)] = unit(random), d.b[std::size_t(i)] = unit(random) < 0.3;
}
template <class T>
void fill_logits(data<T>& d, std::mt19937& random) {
  std::normal_distribution<T> normal(T(0), T(3));
  for (std::ptrdiff_t i = 0; i < d.n; ++i) d.a[std::size_t(i)] = normal(random), d.b[std::size_t(i)] = i % 3 == 0;
  d.labels.resize(std::size_t(d.n / classes));
  for (auto& l : d.labels) l = int(random() % classes);
}

// Runs body(offset, count) over blocks of the elements.
template <class Body>
void blocks(std::ptrdiff_t n, Body const& body) {
  for (std::ptrdiff_t o = 0; o < n; o += chunk) body(o, std::min(chunk, n - o));
}

// Elementwise-then-mean losses, vector loop: block(A, B, D) returns a block's loss sum and writes its gradient block.
template <class T, class Block>
double blockwise_mean(data<T>& d, Block const& block) {
  double sum = 0;
  blocks(d.n, [&](std::ptrdiff_t o, std::ptrdiff_t k) {
    out_block<T> D(d.grad.data() + o, k);
    sum += block(in_block<T>(d.a.data() + o, k), in_block<T>(d.b.data() + o, k), D);
  });
  return sum / double(d.n);
}

// Dice (plus bce_weight times the mean BCE: Combo), vector loop: the three sums (and the BCE sum), then the gradient.
template <class T>
double dice_vector_loop(data<T>& d, double smooth, double bce_weight) {
  double pg = 0, pp = 0, gg = 0, bce = 0;
  blocks(d.n, [&](std::ptrdiff_t o, std::ptrdiff_t k) {
    in_block<T> P(d.a.data() + o, k), G(d.b.data() + o, k);
    pg += double((P * G).sum()), pp += double(P.square().sum()), gg += double(G.square().sum());
    if (bce_weight != 0) bce -= double((G * P.log().max(T(-100)) + (T(1) - G) * (T(1) - P).log().max(T(-100))).sum());
  });
  double const den = pp + gg + smooth, num = 2 * pg + smooth;
  T const a = T(-2 / den), b = T(2 * num / (den * den)), w = T(bce_weight / double(d.n));
  blocks(d.n, [&](std::ptrdiff_t o, std::ptrdiff_t k) {
    in_block<T> P(d.a.data() + o, k), G(d.b.data() + o, k);
    out_block<T> D(d.grad.data() + o, k);
    if (bce_weight != 0)
      D = a * G + b * P + w * (P - G) / (P * (T(1) - P)).max(T(1e-12f));
    else
      D = a * G + b * P;
  });
  return 1 - num / den + bce_weight * bce / double(d.n);
}

// Cross entropy with label smoothing, vector loop: per row the max, the log-sum-exp and the mean logit, then the
// gradient row (softmax - (1 - eps) onehot - eps / C) / N.
template <class T>
double cross_entropy_vector_loop(data<T>& d) {
  std::ptrdiff_t const rows = std::ptrdiff_t(d.labels.size());
  T const inv_rows = T(1) / T(rows), eps = T(smoothing), floor = T(smoothing / classes);
  double total = 0;
  for (std::ptrdiff_t r = 0; r < rows; ++r) {
    T const* row = d.a.data() + r * classes;
    T* out = d.grad.data() + r * classes;
    int const label = d.labels[std::size_t(r)];
    in_block<T> X(row, classes);
    out_block<T> D(out, classes);
    T const m = X.maxCoeff();
    D = (X - m).exp();
    T const s = D.sum();
    double const lse = double(m) + std::log(double(s)), mean = double(X.template cast<double>().mean());
    D = (D / s - floor) * inv_rows;
    out[label] -= (1 - eps) * inv_rows;
    total += (1 - smoothing) * (lse - double(row[label])) + smoothing * (lse - mean);
  }
  return total / double(rows);
}

// An elementwise loss's hand loop (loop(a, b, grad, n)) on the benchmark's data.
template <class T, class Loop>
auto on_data(Loop const& loop) {
  return [=](data<T>& d) { return loop(d.a.data(), d.b.data(), d.grad.data(), d.n); };
}
template <class T>
auto cross_entropy_on_data(auto const& loop) {
  return [=](data<T>& d) {
    return loop(d.a.data(), d.labels.data(), d.grad.data(), std::ptrdiff_t(d.labels.size()), classes, smoothing);
  };
}

template <class T>
std::vector<loss_case<T>> cases() {
  auto bind_flat = [](data<T>& d) {
    return lf::bind(p = view<T const>(d.a.data(), std::size_t(d.n)), g = view<T const>(d.b.data(), std::size_t(d.n)));
  };
  auto bind_host = [](data<T>& d) { return lf::bind(p = lf::host_view(d.a, {d.n}), g = lf::host_view(d.b, {d.n})); };
  using P = std::remove_cvref_t<decltype(p)>;
  auto grad_view = [](data<T>& d) { return view<T>(d.grad.data(), std::size_t(d.n)); };
  std::vector<loss_case<T>> all;
  namespace fast = lf::bench::fast_math;
  all.push_back({"mse", 3, fill_probabilities<T>, [=](data<T>& d) { return mse_kernel(bind_flat(d), grad_view(d)); },
                 on_data<T>(lf::bench::mse_loop<T>), on_data<T>(fast::mse<T>),
                 [](data<T>& d) {
                   T const scale = T(2) / T(d.n);
                   return blockwise_mean(d, [=](auto const& P, auto const& G, auto& D) {
                     D = scale * (P - G);
                     return double((P - G).square().sum());
                   });
                 },
                 [=](data<T>& d) { return reference_value_and_gradient<mse_loss, P>(d, bind_host(d)); }});
  all.push_back({"bce", 3, fill_probabilities<T>, [=](data<T>& d) { return bce_kernel(bind_flat(d), grad_view(d)); },
                 on_data<T>(lf::bench::bce_loop<T>), on_data<T>(fast::bce<T>),
                 [](data<T>& d) {
                   T const n = T(d.n);
                   return blockwise_mean(d, [=](auto const& P, auto const& G, auto& D) {
                     D = (P - G) / (n * (P * (T(1) - P)).max(T(1e-12f)));
                     return -double((G * P.log().max(T(-100)) + (T(1) - G) * (T(1) - P).log().max(T(-100))).sum());
                   });
                 },
                 [=](data<T>& d) { return reference_value_and_gradient<bce_loss, P>(d, bind_host(d)); }});
  all.push_back({"bce_with_logits", 3, fill_logits<T>,
                 [=](data<T>& d) { return bce_logits_kernel(bind_flat(d), grad_view(d)); },
                 on_data<T>(lf::bench::bce_with_logits_loop<T>), on_data<T>(fast::bce_with_logits<T>),
                 [](data<T>& d) {
                   T const n = T(d.n);
                   return blockwise_mean(d, [=](auto const& X, auto const& Y, auto& D) {
                     D = (X.logistic() - Y) / n;
                     return double((X.max(T(0)) - X * Y + (-X.abs()).exp().log1p()).sum());
                   });
                 },
                 [=](data<T>& d) { return reference_value_and_gradient<bce_logits_loss, P>(d, bind_host(d)); }});
  all.push_back({"sigmoid_focal", 3, fill_logits<T>,
                 [=](data<T>& d) { return focal_kernel(bind_flat(d), grad_view(d)); },
                 on_data<T>(lf::bench::sigmoid_focal_loop<T>), on_data<T>(fast::sigmoid_focal<T>),
                 [](data<T>& d) {
                   T const n = T(d.n);
                   return blockwise_mean(d, [=](auto const& X, auto const& Y, auto& D) {
                     array<T> const P = X.logistic(), Q = T(1) - P;
                     array<T> const ce = (T(1) - Y) * X + (-X).max(T(0)) + (-X.abs()).exp().log1p();
                     array<T> const M = T(1) - (P * Y + Q * (T(1) - Y)), A = T(0.25) * Y + T(0.75) * (T(1) - Y);
                     D = A * (T(2) * M * P * Q * (T(1) - T(2) * Y) * ce + M * M * (P - Y)) / n;
                     return double((A * M * M * ce).sum());
                   });
                 },
                 [=](data<T>& d) { return reference_value_and_gradient<focal_loss, P>(d, bind_host(d)); }});
  auto dice_with = [](auto const& loop, double smooth, double bce_weight) {
    return [=](data<T>& d) { return loop(d.a.data(), d.b.data(), d.grad.data(), d.n, smooth, bce_weight); };
  };
  all.push_back({"dice", 5, fill_probabilities<T>, [=](data<T>& d) { return dice_kernel(bind_flat(d), grad_view(d)); },
                 dice_with(lf::bench::dice_loop<T>, 0, 0), dice_with(fast::dice<T>, 0, 0),
                 [](data<T>& d) { return dice_vector_loop(d, 0, 0); },
                 [=](data<T>& d) { return reference_value_and_gradient<dice_loss, P>(d, bind_host(d)); }});
  all.push_back({"combo", 5, fill_probabilities<T>,
                 [=](data<T>& d) { return combo_kernel(bind_flat(d), grad_view(d)); },
                 dice_with(lf::bench::dice_loop<T>, 1, 0.5), dice_with(fast::dice<T>, 1, 0.5),
                 [](data<T>& d) { return dice_vector_loop(d, 1, 0.5); },
                 [=](data<T>& d) { return reference_value_and_gradient<combo_loss, P>(d, bind_host(d)); }});
  all.push_back(
      {"cross_entropy_c1000", 2, fill_logits<T>,
       [](data<T>& d) {
         std::size_t const rows = d.labels.size();
         using matrix =
             Kokkos::View<T**, Kokkos::LayoutRight, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
         return ce_kernel(lf::bind(x = Kokkos::View<T const**, Kokkos::LayoutRight, Kokkos::HostSpace,
                                                    Kokkos::MemoryTraits<Kokkos::Unmanaged>>(d.a.data(), rows, classes),
                                   t = view<int const>(d.labels.data(), rows)),
                          matrix(d.grad.data(), rows, classes));
       },
       cross_entropy_on_data<T>(lf::bench::cross_entropy_loop<T>), cross_entropy_on_data<T>(fast::cross_entropy<T>),
       [](data<T>& d) { return cross_entropy_vector_loop(d); },
       [](data<T>& d) {
         std::ptrdiff_t const rows = std::ptrdiff_t(d.labels.size());
         return reference_value_and_gradient<ce_loss, std::remove_cvref_t<decltype(x)>>(
             d,
             lf::bind(x = lf::host_view(std::span<T const>(d.a.data(), std::size_t(rows * classes)), {rows, classes}),
                      t = lf::host_view(d.labels, {rows})));
       }});
  return all;
}
}  // namespace

namespace {
using lossforge::bench::median_seconds;

// a[i] = b[i] + s c[i] over n doubles: 3 x 8 bytes per element; the bandwidth a memory-bound loss can reach.
double triad_gb_per_s(std::ptrdiff_t n, int repetitions) {
  std::vector<double> a(std::size_t(n), 0.0), b(std::size_t(n), 1.0), c(std::size_t(n), 2.0);
  double const seconds = median_seconds(
      [&] {
        for (std::ptrdiff_t i = 0; i < n; ++i) a[std::size_t(i)] = b[std::size_t(i)] + 0.5 * c[std::size_t(i)];
        asm volatile("" : : "r"(a.data()) : "memory");  // keep the stores
      },
      repetitions);
  return 24.0 * double(n) / seconds / 1e9;
}

std::string cpu_model() {
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

struct options {
  bool quick = false;
  std::string csv = "lossforge_bench.csv";
  int repetitions = 5;
  std::vector<int> sizes;                 // log2 of the element counts; empty: the default sizes
  std::map<std::string, double> pytorch;  // "loss,precision,elements" -> seconds
};

// "20,24" -> {20, 24}: each between 10 and 28.
std::vector<int> parse_sizes(std::string const& list) {
  std::vector<int> sizes;
  for (std::size_t start = 0; start <= list.size();) {
    std::size_t const end = std::min(list.find(',', start), list.size());
    int const log2_n = std::atoi(list.substr(start, end - start).c_str());
    if (log2_n < 10 || log2_n > 28) throw std::invalid_argument("lossforge_bench: --sizes takes log2 sizes in 10..28");
    sizes.push_back(log2_n);
    start = end + 1;
  }
  return sizes;
}

// The rows of scripts/bench_pytorch.py's CSV.
std::map<std::string, double> read_pytorch(std::string const& file) {
  std::map<std::string, double> seconds;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("lossforge_bench: cannot read " + file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    auto const last = line.rfind(',');
    if (last != std::string::npos) seconds[line.substr(0, last)] = std::stod(line.substr(last + 1));
  }
  return seconds;
}

template <class T>
void run(char const* precision, std::vector<int> const& log2_sizes, options const& o, std::ofstream& csv, int& off) {
  std::mt19937 random(42);
  for (auto const& c : cases<T>()) {
    for (int log2_n : log2_sizes) {
      data<T> d{std::ptrdiff_t(1) << log2_n, {}, {}, {}, {}};
      d.a.resize(std::size_t(d.n)), d.b.resize(std::size_t(d.n)), d.grad.resize(std::size_t(d.n));
      c.fill(d, random);
      // They agree before they are timed (float: the loops accumulate differently). The reference evaluator, timed
      // once where it is timed at all, is checked by that run.
      double const fused = c.fused(d), scalar = c.scalar_loop(d), vector = c.vector_loop(d);
      double const fast_math = c.fast_math_loop(d);
      bool const with_reference = d.n <= reference_limit;
      double t_reference = NAN, reference = scalar;
      if (with_reference) {
        auto const start = std::chrono::steady_clock::now();
        reference = c.reference(d);
        t_reference = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      double const tolerance = sizeof(T) == 4 ? 1e-4 : 1e-9;
      auto const agrees = [&](double v) { return std::abs(v - scalar) <= tolerance * std::abs(scalar); };
      if (!(agrees(fused) && agrees(vector) && agrees(fast_math) && agrees(reference))) {
        std::printf(
            "  %s %s 2^%d: the losses disagree: fused %.10g, scalar loop %.10g, vector loop %.10g, "
            "fast-math loop %.10g, reference %.10g\n",
            c.name, precision, log2_n, fused, scalar, vector, fast_math, reference);
        ++off;
      }
      double const bytes = c.values_moved * sizeof(T) * double(d.n);
      double const t_fused = median_seconds([&] { c.fused(d); }, o.repetitions);
      double const t_scalar = median_seconds([&] { c.scalar_loop(d); }, o.repetitions);
      double const t_vector = median_seconds([&] { c.vector_loop(d); }, o.repetitions);
      double const t_fast = median_seconds([&] { c.fast_math_loop(d); }, o.repetitions);
      auto const torch = o.pytorch.find(std::string(c.name) + ',' + precision + ',' + std::to_string(d.n));
      double const t_torch = torch == o.pytorch.end() ? NAN : torch->second;
      std::printf("%-20s %-6s 2^%-3d %10.3f %10.3f %10.3f %10.3f %10.3f %10.1f %9.2f %9.2f %8.2f %9.2f %8.2f\n", c.name,
                  precision, log2_n, t_fused * 1e3, t_scalar * 1e3, t_vector * 1e3, t_fast * 1e3, t_torch * 1e3,
                  t_reference * 1e3, bytes / t_fused / 1e9, bytes / t_vector / 1e9, t_fused / t_vector,
                  t_fused / t_fast, t_torch / t_fused);
      csv << c.name << ',' << precision << ',' << d.n << ',' << t_fused << ',' << t_scalar << ',' << t_vector << ','
          << t_torch << ',' << bytes / t_fused / 1e9 << ',' << bytes / t_vector / 1e9 << ',' << t_fused / t_vector
          << ',' << t_torch / t_fused << ',' << t_reference << ',' << t_fast << ',' << t_fused / t_fast << '\n';
    }
  }
}
}  // namespace

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  options o;
  for (int k = 1; k < argc; ++k) {
    std::string const a = argv[k];
    if (a == "--quick")
      o.quick = true, o.repetitions = 3;
    else if (a == "--csv" && k + 1 < argc)
      o.csv = argv[++k];
    else if (a == "--repetitions" && k + 1 < argc)
      o.repetitions = std::max(1, std::atoi(argv[++k]));
    else if (a == "--pytorch" && k + 1 < argc)
      o.pytorch = read_pytorch(argv[++k]);
    else if (a == "--sizes" && k + 1 < argc)
      o.sizes = parse_sizes(argv[++k]);
    else if (a.rfind("--kokkos", 0) != 0) {
      std::fprintf(stderr,
                   "usage: lossforge_bench [--quick] [--sizes L,L...] [--csv FILE] [--repetitions R] "
                   "[--pytorch FILE]\n");
      return 2;
    }
  }
  std::vector<int> const sizes = !o.sizes.empty() ? o.sizes
                                 : o.quick        ? std::vector<int>{16, 20}
                                                  : std::vector<int>{16, 18, 20, 22, 24, 26};
  std::printf("lossforge benchmark: value and gradient, median of %d after a warm-up\n", o.repetitions);
  std::printf(
      "cpu: %s\ncompiler: g++ %s, flags: %s (fast-math loops: the same plus -ffast-math)\n"
      "kokkos: %s, concurrency %d\n",
      cpu_model().c_str(), __VERSION__, LOSSFORGE_BENCH_FLAGS, Kokkos::DefaultExecutionSpace::name(),
      int(Kokkos::DefaultExecutionSpace().concurrency()));
  std::printf("triad bandwidth (2^24 doubles): %.2f GB/s\n\n", triad_gb_per_s(std::ptrdiff_t(1) << 24, o.repetitions));
  std::printf("%-20s %-6s %-5s %10s %10s %10s %10s %10s %10s %9s %9s %8s %9s %8s\n", "loss", "type", "n", "fused ms",
              "scalar ms", "vector ms", "fast ms", "torch ms", "ref ms", "fused GB/s", "vec GB/s", "fused/vec",
              "fused/fast", "torch/fused");
  std::ofstream csv(o.csv);
  csv << "loss,precision,elements,fused_s,scalar_loop_s,vector_loop_s,pytorch_s,fused_gb_s,vector_gb_s,"
         "fused_over_vector,pytorch_over_fused,reference_s,fast_math_loop_s,fused_over_fast_math\n";
  int off = 0;
  run<float>("float", sizes, o, csv, off);
  if (!o.quick) run<double>("double", sizes, o, csv, off);
  std::printf("\nCSV: %s\n", o.csv.c_str());
  return off == 0 ? 0 : 1;
}
