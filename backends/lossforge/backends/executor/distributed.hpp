#pragma once
// A launch policy whose call spans several processes, each holding a block of dimension 0 of the plan's split
// tensors (lossforge/backends/mpi.hpp). Besides the launch policy's members (executor.hpp) it has
//
//   int processes() const;                                               // how many take part (at least 1)
//   std::vector<double> all_gather(std::vector<double> const& mine) const;
//   std::vector<std::string> all_gather_text(std::string const& mine) const;
//   std::vector<double> to_host(View const& buffer) const;              // an intermediate's buffer, and back
//   void from_host(std::vector<double> values, View const& buffer) const;
//
// which every process calls together: all_gather returns every process's values in process order (each process
// passes as many), all_gather_text every process's text. The executor calls them in the same order on every
// process, so a call that fails on one process fails on all of them instead of leaving the others waiting.
#include <concepts>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace lossforge::executor::detail {

template <class Launch>
concept spans_processes = requires(Launch const& launch, std::vector<double> const& values, std::string const& text) {
  // (to_host and from_host take a launch's buffer type, which this concept does not name)
  { launch.processes() } -> std::convertible_to<int>;
  { launch.all_gather(values) } -> std::convertible_to<std::vector<double>>;
  { launch.all_gather_text(text) } -> std::convertible_to<std::vector<std::string>>;
};

// Runs work on this process, which may overwrite `values` (as many on every process), then gathers them from every
// process with one all_gather: every process's values in process order. When work failed on any process,
// throws on every process instead: this process's own exception, or an std::runtime_error naming the first process
// that failed and its message (gathered only then).
template <class Launch, class Work>
std::vector<double> gather_after(Launch const& launch, Work const& work, std::vector<double>& values) {
  std::exception_ptr failure;
  std::string message;
  std::size_t const count = values.size();
  try {
    work();
  } catch (std::exception const& e) {
    failure = std::current_exception();
    message = e.what();
  } catch (...) {
    failure = std::current_exception();
    message = "lossforge: an exception that is not an std::exception";
  }
  values.push_back(failure ? 1.0 : 0.0);
  std::vector<double> const all = launch.all_gather(values);
  values.pop_back();
  std::size_t const stride = count + 1;
  std::size_t const processes = all.size() / stride;
  bool failed = false;
  for (std::size_t p = 0; p < processes; ++p) failed = failed || all[p * stride + count] != 0;
  if (failed) {
    std::vector<std::string> const messages = launch.all_gather_text(message);
    if (failure) std::rethrow_exception(failure);
    for (std::size_t p = 0; p < messages.size(); ++p)
      if (all[p * stride + count] != 0)
        throw std::runtime_error("lossforge: process " + std::to_string(p) + " of " + std::to_string(processes) +
                                 " failed: " + messages[p]);
  }
  std::vector<double> gathered;
  gathered.reserve(processes * count);
  for (std::size_t p = 0; p < processes; ++p)
    gathered.insert(gathered.end(), all.begin() + std::ptrdiff_t(p * stride),
                    all.begin() + std::ptrdiff_t(p * stride + count));
  return gathered;
}

}  // namespace lossforge::executor::detail
