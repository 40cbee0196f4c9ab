#pragma once
// Catalogue losses at one element (or one row), written from their textbook definitions in long double, sharing no
// code with lossforge: the oracles of the extreme-value tests. A zero weight on an infinite term contributes
// nothing, which is what makes BCE with logits' limits at +-inf come out of the textbook form.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace lossforge::test::closed_form {

inline long double softplus(long double z) { return std::max(z, 0.0L) + std::log1p(std::exp(-std::abs(z))); }
inline long double sigmoid(long double z) { return 1 / (1 + std::exp(-z)); }
// w * v, with 0 * inf = 0: a term of weight zero is absent.
inline long double weighted(long double w, long double v) { return w == 0 ? 0.0L : w * v; }

// -[pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] = pw y softplus(-x) + (1 - y) softplus(x), and its
// derivative in x, (1 - y) sigmoid(x) - pw y sigmoid(-x).
inline double bce_with_logits(double x, double y, double pw = 1) {
  long double const X = x, Y = y;
  return double(weighted(pw * Y, softplus(-X)) + weighted(1 - Y, softplus(X)));
}
inline double bce_with_logits_slope(double x, double y, double pw = 1) {
  long double const X = x, Y = y;
  return double((1 - Y) * sigmoid(X) - pw * Y * sigmoid(-X));
}

// Huber and smooth L1 of the residual r, with their derivatives in r.
inline double huber(double r, double delta) {
  return std::abs(r) < delta ? 0.5 * r * r : delta * (std::abs(r) - 0.5 * delta);
}
inline double huber_slope(double r, double delta) {
  return std::abs(r) < delta ? r : delta * (r > 0 ? 1 : r < 0 ? -1 : 0);
}
inline double smooth_l1(double r, double beta) {
  return std::abs(r) < beta ? 0.5 * r * r / beta : std::abs(r) - 0.5 * beta;
}

// Cross entropy of one row of logits against probabilities q (q sums to 1): -sum_c q[c] log_softmax(x)[c].
inline double cross_entropy(std::vector<double> const& x, std::vector<double> const& q) {
  long double m = x[0];
  for (double v : x) m = std::max(m, static_cast<long double>(v));
  long double sum = 0;
  for (double v : x) sum += std::exp(v - m);
  long double const lse = m + std::log(sum);
  long double l = 0;
  for (std::size_t k = 0; k < x.size(); ++k) l += q[k] * (lse - x[k]);
  return double(l);
}
// The label-smoothed target of class t among C: (1 - eps) onehot(t) + eps / C.
inline std::vector<double> smoothed_target(std::size_t t, std::size_t classes, double eps) {
  std::vector<double> q(classes, eps / double(classes));
  q[t] += 1 - eps;
  return q;
}

// torchvision's sigmoid focal loss: alpha_t (1 - p_t)^2 bce, p = sigmoid(x), p_t = p y + (1 - p)(1 - y),
// alpha_t = alpha y + (1 - alpha)(1 - y).
inline double sigmoid_focal(double x, double y, double alpha) {
  long double const p = sigmoid(x), p_t = p * y + (1 - p) * (1 - y);
  long double const alpha_t = alpha * y + (1 - alpha) * (1 - y);
  return double(alpha_t * (1 - p_t) * (1 - p_t) * bce_with_logits(x, y));
}

}  // namespace lossforge::test::closed_form
