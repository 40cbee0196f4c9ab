// lossforge-conformance [--precision double|float] [--backend kokkos|serial] [--expect-unsupported N] FILE...
//
// Runs every case of the JSON Lines files through the Kokkos backend (the default where the build has Kokkos) or the
// serial executor (the same plans and kernels in plain loops, no Kokkos launch) and prints one line per case: id,
// pass/FAIL/unsupported, and the max absolute and relative error of the loss and of each gradient; then "N passed, M
// failed, K unsupported". Exits 1 if any case failed, or if K is not N where --expect-unsupported N is given (a case
// that quietly lost its kernel fails the run). A malformed line counts as a failure and is reported with its
// file and line number; nothing in a case file can crash the runner.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <tests/conformance/conformance.hpp>
#include <tests/support/tolerance.hpp>

namespace lossforge::conformance {

backend_choice& backend_under_test() {
#if defined(LOSSFORGE_WITH_KOKKOS)
  static backend_choice b = backend_choice::kokkos;
#else
  static backend_choice b = backend_choice::serial;
#endif
  return b;
}

std::map<std::string, handler>& registry() {
  static std::map<std::string, handler> handlers;
  return handlers;
}

tensor_data parse_tensor(nlohmann::json const& j) {
  tensor_data t;
  t.shape = j.at("shape").get<std::vector<std::ptrdiff_t>>();
  std::string const dtype = j.at("dtype").get<std::string>();
  if (dtype != "float64" && dtype != "int64") throw std::invalid_argument("unknown dtype '" + dtype + "'");
  t.integer = dtype == "int64";
  t.values = j.at("data").get<std::vector<double>>();
  std::ptrdiff_t n = 1;
  for (auto e : t.shape) {
    if (e < 0) throw std::invalid_argument("negative extent in a shape");
    n *= e;
  }
  if (n != t.size())
    throw std::invalid_argument("tensor data has " + std::to_string(t.size()) + " values for " + std::to_string(n) +
                                " elements");
  return t;
}

case_data parse_case(nlohmann::json const& j) {
  case_data c;
  c.id = j.at("id").get<std::string>();
  c.loss = j.at("loss").get<std::string>();
  c.params = j.at("params");
  for (auto const& in : j.at("inputs")) {
    std::string const name = in.at("name").get<std::string>();
    c.inputs[name] = parse_tensor(in);
    if (in.at("requires_grad").get<bool>()) c.differentiable.push_back(name);
  }
  c.expected_loss = parse_tensor(j.at("expected_loss"));
  for (auto const& [name, g] : j.at("expected_grads").items()) c.expected_grads[name] = parse_tensor(g);
  if (j.contains("flags")) c.flags = j.at("flags").get<std::vector<std::string>>();
  return c;
}

std::string reduction_of(case_data const& c) {
  std::string r = c.params.value("reduction", std::string("mean"));
  if (r != "mean" && r != "sum" && r != "none") throw unsupported("reduction '" + r + "'");
  return r;
}
double number(case_data const& c, std::string const& name) {
  if (!c.params.contains(name) || !c.params.at(name).is_number())
    throw unsupported("parameter '" + name + "' missing or not a number");
  return c.params.at(name).get<double>();
}
bool has_tensor_param(case_data const& c, std::string const& name) {
  return c.params.contains(name) && c.params.at(name).is_object();
}
tensor_data tensor_param(case_data const& c, std::string const& name) { return parse_tensor(c.params.at(name)); }

bool needs_float64(case_data const& c, std::string const& input) {
  for (double v : c.inputs.at(input).values)
    if ((v > 0 && v < 1e-6) || (v < 1 && v > 1 - 1e-6)) return true;
  return false;
}

namespace {
struct error {
  double abs = 0, rel = 0;
  bool ok = true;
};
// Elementwise |a - b| <= tol * max(1, |b|) (the case format's rule); relative error reported as |a - b| / max(1, |b|).
error compare(std::vector<double> const& got, std::vector<double> const& want, double tol) {
  error e;
  if (got.size() != want.size()) return {INFINITY, INFINITY, false};
  for (std::size_t k = 0; k < got.size(); ++k) {
    double const d = std::abs(got[k] - want[k]);
    double const scale = std::max(1.0, std::abs(want[k]));
    if (!(d <= tol * scale)) e.ok = false;  // NaN fails
    e.abs = std::max(e.abs, std::isnan(d) ? INFINITY : d);
    e.rel = std::max(e.rel, std::isnan(d) ? INFINITY : d / scale);
  }
  return e;
}
}  // namespace

}  // namespace lossforge::conformance

int main(int argc, char* argv[]) {
  using namespace lossforge::conformance;
#if defined(LOSSFORGE_WITH_KOKKOS)
  Kokkos::ScopeGuard guard(argc, argv);
#endif
  char const* const usage =
      "usage: lossforge-conformance [--precision double|float] [--backend kokkos|serial] [--expect-unsupported N] "
      "FILE...\n";
  precision p = precision::float64;
  std::vector<std::string> files;
  int expected_unsupported = -1;  // any
  for (int k = 1; k < argc; ++k) {
    std::string const a = argv[k];
    if (a == "--precision" && k + 1 < argc) {
      std::string const v = argv[++k];
      if (v == "double") p = precision::float64;
      else if (v == "float") p = precision::float32;
      else {
        std::cerr << "lossforge-conformance: --precision takes double or float, not '" << v << "'\n";
        return 2;
      }
    } else if (a == "--backend" && k + 1 < argc) {
      std::string const v = argv[++k];
      if (v == "serial") backend_under_test() = backend_choice::serial;
#if defined(LOSSFORGE_WITH_KOKKOS)
      else if (v == "kokkos") backend_under_test() = backend_choice::kokkos;
#endif
      else {
        std::cerr << "lossforge-conformance: --backend takes kokkos (in a build with Kokkos) or serial, not '" << v
                  << "'\n";
        return 2;
      }
    } else if (a == "--expect-unsupported" && k + 1 < argc) {
      std::string const v = argv[++k];
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 6) {
        std::cerr << "lossforge-conformance: --expect-unsupported takes a count, not '" << v << "'\n";
        return 2;
      }
      expected_unsupported = std::stoi(v);
    } else if (a.rfind("--", 0) == 0) {
      if (a.rfind("--kokkos", 0) == 0) continue;  // Kokkos' own options
      std::cerr << usage;
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::cerr << usage;
    return 2;
  }
  double const tol =
      p == precision::float64 ? lossforge::test::tolerance<double>::conformance
                              : lossforge::test::tolerance<float>::conformance;
  int passed = 0, failed = 0, skipped = 0;
  for (auto const& file : files) {
    std::ifstream in(file);
    if (!in) {
      std::printf("%s: cannot open: FAIL\n", file.c_str());
      ++failed;
      continue;
    }
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      case_data c;
      try {
        c = parse_case(nlohmann::json::parse(line));
      } catch (std::exception const& e) {
        std::printf("%s:%d: malformed case: %s: FAIL\n", file.c_str(), number, e.what());
        ++failed;
        continue;
      }
      auto const h = registry().find(c.loss);
      if (h == registry().end()) {
        std::printf("%s unsupported (loss '%s' is not in the catalogue)\n", c.id.c_str(), c.loss.c_str());
        ++skipped;
        continue;
      }
      computed got;
      try {
        got = h->second(c, p);
      } catch (unsupported const& e) {
        std::printf("%s unsupported (%s)\n", c.id.c_str(), e.what());
        ++skipped;
        continue;
      } catch (std::exception const& e) {
        std::printf("%s FAIL (error: %s)\n", c.id.c_str(), e.what());
        ++failed;
        continue;
      }
      std::ostringstream report;
      bool ok = true;
      error const le = compare(got.loss, c.expected_loss.values, tol);
      ok = ok && le.ok;
      report << " loss abs " << le.abs << " rel " << le.rel;
      for (auto const& [name, want] : c.expected_grads) {
        auto const g = got.grads.find(name);
        error const ge = g == got.grads.end() ? error{INFINITY, INFINITY, false} : compare(g->second, want.values, tol);
        ok = ok && ge.ok;
        report << "; d/d" << name << " abs " << ge.abs << " rel " << ge.rel;
      }
      std::printf("%s %s%s%s\n", c.id.c_str(), ok ? "pass" : "FAIL", report.str().c_str(),
                  got.float64_path ? " (float64 path)" : "");
      (ok ? passed : failed)++;
    }
  }
  std::printf("%d passed, %d failed, %d unsupported\n", passed, failed, skipped);
  if (expected_unsupported >= 0 && skipped != expected_unsupported) {
    std::printf("FAIL: %d unsupported, expected %d\n", skipped, expected_unsupported);
    return 1;
  }
  return failed == 0 ? 0 : 1;
}
