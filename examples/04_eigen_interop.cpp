// lossforge example 4: Eigen in, gradients out into Eigen, without copies.
//
// A linear classifier with weights W[D, C] scores a batch X[N, D]: logits = X W (computed by Eigen). The loss
// is cross entropy plus an elastic-net penalty on W, with two differentiable inputs, the logits and the weights:
//   loss = cross_entropy(logits, t) + l1 sum|W| + l2 sum W^2
// lossforge writes dloss/dlogits and the penalty's dloss/dW straight into Eigen matrices through unmanaged Views
// (lf::kokkos::view_of); the chain rule through the matrix product, dW = X^T dlogits + dpenalty/dW, stays in Eigen.
// A few steps of gradient descent then lower the loss.
#include <Eigen/Core>
#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdio>
#include <lossforge/backends/kokkos.hpp>
#include <lossforge/backends/kokkos/eigen.hpp>
#include <lossforge/losses.hpp>
#include <lossforge/lossforge.hpp>

namespace lf = lossforge;
namespace L = lf::losses;

constexpr lf::tensor<"logits", 2> logits;
constexpr lf::int_tensor<"t", 1> t;
constexpr lf::tensor<"W", 2> weights;
constexpr lf::scalar<"l1"> l1;
constexpr lf::scalar<"l2"> l2;

constexpr auto loss = L::cross_entropy(logits, t, L::mean) + L::elastic_net_reg(weights, l1, l2);
constexpr auto kernel = lf::kokkos::compile(loss, lf::wrt(logits, weights));

int main(int argc, char** argv) {
  Kokkos::ScopeGuard guard(argc, argv);
  int const n = 200, d = 10, classes = 4;
  Eigen::MatrixXd X = Eigen::MatrixXd::Random(n, d), W = Eigen::MatrixXd::Zero(d, classes);
  Eigen::VectorXi labels(n);
  for (int i = 0; i < n; ++i) labels(i) = X(i, 0) > 0.5 ? 0 : X(i, 1) > 0 ? 1 : X(i, 2) > 0 ? 2 : 3;

  Eigen::MatrixXd scores(n, classes), dscores(n, classes), dW_penalty(d, classes);
  auto const dscores_view = lf::kokkos::view_of(dscores);
  int failures = 0;
  if (dscores_view.data() != dscores.data()) ++failures;  // the View is the matrix's memory, not a copy

  double first = 0, last = 0;
  for (int step = 0; step < 50; ++step) {
    scores.noalias() = X * W;
    Eigen::MatrixXd const& read_only = scores;  // inputs bind as Views of const elements
    last = kernel(lf::bind(logits = lf::kokkos::view_of(read_only), t = lf::kokkos::view_of(labels),
                           weights = lf::kokkos::view_of(W), l1 = 1e-4, l2 = 1e-3),
                  dscores_view, lf::kokkos::view_of(dW_penalty));
    if (step == 0) {
      first = last;
      // Check the first step against the formulas: with W = 0 every softmax is uniform, so
      // dloss/dlogits = (1/C - onehot) / N, the penalty gradient 1e-4 sign(0) + 2e-3 * 0 = 0, and loss = ln C.
      double error = std::abs(last - std::log(double(classes)));
      for (int i = 0; i < n; ++i)
        for (int c = 0; c < classes; ++c)
          error = std::max(error, std::abs(dscores(i, c) - (1.0 / classes - (c == labels(i))) / n) * n);
      error = std::max(error, dW_penalty.cwiseAbs().maxCoeff());
      std::printf("step 0: loss %.12f = ln %d; max error of the gradients against the closed form %.1e\n", last,
                  classes, error);
      failures += !(error < 1e-12);
    }
    W -= 0.5 * (X.transpose() * dscores + dW_penalty);
  }
  std::printf("after 50 steps: loss %.6f (from %.6f)\n", last, first);
  failures += !(last < 0.6 * first);
  std::printf("%s\n", failures == 0 ? "ok" : "OFF");
  return failures == 0 ? 0 : 1;
}
