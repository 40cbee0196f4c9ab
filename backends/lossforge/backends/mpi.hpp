#pragma once
// lf::mpi::compile: one loss over data split among MPI processes, each holding a contiguous block of dimension 0 of
// the split tensors (the batch, or slabs of a volume), equal to the loss over all of it.
//
//   constexpr auto kernel = lf::mpi::compile(dice + 0.5 * bce, lf::wrt(p), lf::mpi::split(p, t));
//   double loss = kernel(MPI_COMM_WORLD, exec, lf::bind(p = p_shard, t = t_shard), grad_shard);
//
// Every process calls the kernel with its own block of the split tensors and all of every other tensor (class
// weights) and scalar; it returns the loss of the whole data on every process, writes each process's block of the
// gradients of split tensors and all of the gradients of the others. The planner keeps every reduction over split
// rows a global, or a buffer where it leaves other indices free (per-class sums); after each pass, one MPI_Allgather
// of their accumulators and buffers, combined in process order, gives every process identical values. The call first
// gathers every process's shapes and scalars once: processes that disagree (a different number of classes) get the
// same error on every process, and an error one of them meets (a class index out of range) fails all of them.
#include <mpi.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <lossforge/backends/kokkos/compile.hpp>

namespace lossforge::mpi {

// The tensors whose dimension 0 is split among the processes: lf::mpi::split(x, t).
template <class... S>
struct split_t {};
template <TensorSymbol... S>
constexpr split_t<S...> split(S const&...) {
  return {};
}

namespace detail {

inline void check(int code, char const* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string("lossforge: ") + what + " failed");
}

// The Kokkos launch policy, spanning the processes of comm (executor/distributed.hpp).
template <class Exec>
struct launch : kokkos::detail::launch<Exec> {
  MPI_Comm comm;

  static auto host_view(std::vector<double>& v) {
    return Kokkos::View<double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(v.data(), v.size());
  }
  template <class View>
  static auto flat(View const& buffer) {
    return Kokkos::View<double*, typename Exec::memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(buffer.data(),
                                                                                                       buffer.span());
  }

  int processes() const {
    int n = 0;
    check(MPI_Comm_size(comm, &n), "MPI_Comm_size");
    return n;
  }
  std::vector<double> all_gather(std::vector<double> const& mine) const {
    std::vector<double> all(mine.size() * std::size_t(processes()));
    check(MPI_Allgather(mine.data(), int(mine.size()), MPI_DOUBLE, all.data(), int(mine.size()), MPI_DOUBLE, comm),
          "MPI_Allgather");
    return all;
  }
  // An intermediate's buffer, copied to and from the host around a combine.
  template <class View>
  std::vector<double> to_host(View const& buffer) const {
    std::vector<double> host(buffer.span());
    Kokkos::deep_copy(this->exec, host_view(host), flat(buffer));
    this->exec.fence();
    return host;
  }
  template <class View>
  void from_host(std::vector<double> values, View const& buffer) const {  // a copy: host_view needs it mutable
    Kokkos::deep_copy(this->exec, flat(buffer), host_view(values));
    this->exec.fence();
  }
  std::vector<std::string> all_gather_text(std::string const& mine) const {
    int const n = processes();
    int const length = int(mine.size());
    std::vector<int> lengths(static_cast<std::size_t>(n)), offsets(static_cast<std::size_t>(n));
    check(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm), "MPI_Allgather");
    int total = 0;
    for (int p = 0; p < n; ++p) offsets[std::size_t(p)] = std::exchange(total, total + lengths[std::size_t(p)]);
    std::string all(std::size_t(total), '\0');
    check(MPI_Allgatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, comm),
          "MPI_Allgatherv");
    std::vector<std::string> texts;
    for (int p = 0; p < n; ++p)
      texts.push_back(all.substr(std::size_t(offsets[std::size_t(p)]), std::size_t(lengths[std::size_t(p)])));
    return texts;
  }
};

}  // namespace detail

// A compiled loss over split data, called on every process of a communicator with that process's Views.
template <class Plan, class Names, bool ReturnsLoss, class Written>
struct compiled : kokkos::compiled<Plan, Names, ReturnsLoss, Written> {
  // Runs this process's part on execution space instance exec, with the intermediates' buffers in ws.
  template <class Exec, class Bindings, class... Out>
  requires Kokkos::is_execution_space<Exec>::value auto operator()(MPI_Comm comm, Exec const& exec, Bindings const& b,
                                                                   kokkos::workspace<typename Exec::memory_space>& ws,
                                                                   Out const&... out) const {
    return this->execute(detail::launch<Exec>{{exec, ws}, comm}, b, out...);
  }
  // The same; buffers for intermediates, if the plan has any, live for this call.
  template <class Exec, class Bindings, class... Out>
  requires Kokkos::is_execution_space<Exec>::value auto operator()(MPI_Comm comm, Exec const& exec, Bindings const& b,
                                                                   Out const&... out) const {
    return kokkos::detail::with_call_workspace<Plan>(exec,
                                                     [&](auto& ws) { return (*this)(comm, exec, b, ws, out...); });
  }
  // The same, on the default instance of the bound Views' execution space.
  template <class Bindings, class... Out>
  requires(!Kokkos::is_execution_space<Bindings>::value) auto operator()(MPI_Comm comm, Bindings const& b,
                                                                         Out const&... out) const {
    using space = typename std::remove_cvref_t<decltype(std::get<0>(b.items).value)>::execution_space;
    return (*this)(comm, space{}, b, out...);
  }
};

// lf::mpi::compile(loss, lf::wrt(x...), lf::mpi::split(s...)) and, with lf::gradient_only after the split, only the
// gradients: the Kokkos backend's compile over data whose tensors s... are split among processes along dimension 0.
struct compiler {
  template <Operand Loss, class... X, class... S>
  constexpr auto operator()(Loss const& loss, wrt_t<X...> w, split_t<S...>) const {
    return executor::compiler<compiled, lossforge::detail::type_list<S...>>{}(loss, w);
  }
  template <Operand Loss, class... X, class... S>
  constexpr auto operator()(Loss const& loss, wrt_t<X...> w, split_t<S...>, gradient_only_t g) const {
    return executor::compiler<compiled, lossforge::detail::type_list<S...>>{}(loss, w, g);
  }
};
inline constexpr compiler compile{};

}  // namespace lossforge::mpi
