// With data split among processes, a loss that reads split rows other than a work item's own is rejected: a
// contrastive similarity over the whole batch needs rows no process holds all of.
#include <lossforge/backends/mpi.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 2> x;
constexpr lf::tensor<"y", 2> y;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;
constexpr lf::index<"k"> k;
#ifdef LOSSFORGE_SHOULD_FAIL
constexpr auto loss = lf::mean(i, lf::logsumexp(j, lf::sum(k, x(i, k) * x(j, k))));
#else
constexpr auto loss = lf::mean(i, lf::logsumexp(k, x(i, k) * y(i, k)));
#endif
constexpr auto kernel = lf::mpi::compile(loss, lf::wrt(x), lf::mpi::split(x, y));
void run(MPI_Comm comm, Kokkos::View<double**> a, Kokkos::View<double**> b, Kokkos::View<double**> g) {
  kernel(comm, lf::bind(x = a, y = b), g);
}
int main() {}
