#pragma once
// The benchmark's hand-fused scalar loops: each loss's value and gradient in one loop over the elements (Dice and
// Combo: two, the sums first), written from the formulas. bench_losses.cpp compiles them with IEEE semantics, and
// fast_math_loops.cpp compiles the same source again with -ffast-math (where the compiler vectorizes log and exp
// through glibc's vector math library): the fastest loop this machine's compiler makes of them.
//
// The loops have internal linkage, so each translation unit keeps the copies its own flags produced.
#include <algorithm>
#include <cmath>
#include <cstddef>

namespace lossforge::bench {
namespace {

// Elementwise-then-mean losses: term(a_i, b_i, grad_i) returns one element's loss and writes its gradient.
template <class T, class Term>
double elementwise_mean_loop(T const* a, T const* b, T* grad, std::ptrdiff_t n, Term const& term) {
  double sum = 0;
  for (std::ptrdiff_t i = 0; i < n; ++i) sum += term(a[i], b[i], grad[i]);
  return sum / double(n);
}

template <class T>
double mse_loop(T const* p, T const* g, T* grad, std::ptrdiff_t n) {
  T const scale = T(2) / T(n);
  return elementwise_mean_loop(p, g, grad, n, [=](T p_i, T g_i, T& d) {
    d = scale * (p_i - g_i);
    return (p_i - g_i) * (p_i - g_i);
  });
}

template <class T>
double bce_loop(T const* p, T const* g, T* grad, std::ptrdiff_t n) {
  T const count = T(n);
  return elementwise_mean_loop(p, g, grad, n, [=](T p_i, T g_i, T& d) {
    d = (p_i - g_i) / (count * std::max(p_i * (1 - p_i), T(1e-12f)));
    return -(g_i * std::max(std::log(p_i), T(-100)) + (1 - g_i) * std::max(std::log(1 - p_i), T(-100)));
  });
}

template <class T>
double bce_with_logits_loop(T const* x, T const* y, T* grad, std::ptrdiff_t n) {
  T const count = T(n);
  return elementwise_mean_loop(x, y, grad, n, [=](T x_i, T y_i, T& d) {
    d = (1 / (1 + std::exp(-x_i)) - y_i) / count;
    return std::max(x_i, T(0)) - x_i * y_i + std::log1p(std::exp(-std::abs(x_i)));
  });
}

// alpha 0.25, gamma 2.
template <class T>
double sigmoid_focal_loop(T const* x, T const* y, T* grad, std::ptrdiff_t n) {
  T const count = T(n);
  return elementwise_mean_loop(x, y, grad, n, [=](T x_i, T y_i, T& d) {
    T const e = std::exp(-std::abs(x_i)), p_i = x_i >= 0 ? 1 / (1 + e) : e / (1 + e);
    T const ce = (1 - y_i) * x_i + std::max(-x_i, T(0)) + std::log1p(e);
    T const m = 1 - (p_i * y_i + (1 - p_i) * (1 - y_i)), a = T(0.25) * y_i + T(0.75) * (1 - y_i);
    d = a * (2 * m * p_i * (1 - p_i) * (1 - 2 * y_i) * ce + m * m * (p_i - y_i)) / count;
    return a * m * m * ce;
  });
}

// Dice with smoothing `smooth`, plus bce_weight times the mean BCE (Combo): the three sums and the BCE sum, then the
// gradient.
template <class T>
double dice_loop(T const* p, T const* g, T* grad, std::ptrdiff_t n, double smooth, double bce_weight) {
  double pg = 0, pp = 0, gg = 0, bce = 0;
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    T const p_i = p[i], g_i = g[i];
    pg += p_i * g_i, pp += p_i * p_i, gg += g_i * g_i;
    if (bce_weight != 0)
      bce -= g_i * std::max(std::log(p_i), T(-100)) + (1 - g_i) * std::max(std::log(1 - p_i), T(-100));
  }
  double const den = pp + gg + smooth, num = 2 * pg + smooth;
  T const a = T(-2 / den), b = T(2 * num / (den * den)), w = T(bce_weight / double(n));
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    T const p_i = p[i], g_i = g[i];
    T value = a * g_i + b * p_i;
    if (bce_weight != 0) value += w * (p_i - g_i) / std::max(p_i * (1 - p_i), T(1e-12f));
    grad[i] = value;
  }
  return 1 - num / den + bce_weight * bce / double(n);
}

// Cross entropy with label smoothing eps over rows of C logits, mean over the rows: per row the max, the log-sum-exp
// and the mean logit, then the gradient row (softmax - (1 - eps) onehot - eps / C) / N.
template <class T>
double cross_entropy_loop(T const* x, int const* labels, T* grad, std::ptrdiff_t rows, int classes, double eps) {
  T const inv_rows = T(1) / T(rows), floor = T(eps / classes);
  double total = 0;
  for (std::ptrdiff_t r = 0; r < rows; ++r) {
    T const* row = x + r * classes;
    T* out = grad + r * classes;
    int const label = labels[r];
    T m = row[0];
    for (int c = 1; c < classes; ++c) m = std::max(m, row[c]);
    T s = 0, sum = 0;
    for (int c = 0; c < classes; ++c) s += (out[c] = std::exp(row[c] - m)), sum += row[c];
    double const lse = double(m) + std::log(double(s)), mean = double(sum) / classes;
    for (int c = 0; c < classes; ++c) out[c] = (out[c] / s - floor) * inv_rows;
    out[label] -= T(1 - eps) * inv_rows;
    total += (1 - eps) * (lse - double(row[label])) + eps * (lse - mean);
  }
  return total / double(rows);
}

}  // namespace
}  // namespace lossforge::bench
