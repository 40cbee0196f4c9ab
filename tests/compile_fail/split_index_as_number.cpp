// With data split among processes, the index of the split rows may not be used as a number: a process knows its
// rows' positions in its own block only. Another index as a number is fine.
#include <lossforge/backends/mpi.hpp>
namespace lf = lossforge;
constexpr lf::tensor<"x", 2> x;
constexpr lf::index<"i"> i;
constexpr lf::index<"j"> j;
#ifdef LOSSFORGE_SHOULD_FAIL
constexpr auto loss = lf::mean(i, lf::sum(j, x(i, j) * i));
#else
constexpr auto loss = lf::mean(i, lf::sum(j, x(i, j) * j));
#endif
constexpr auto kernel = lf::mpi::compile(loss, lf::wrt(x), lf::mpi::split(x));
void run(MPI_Comm comm, Kokkos::View<double**> a, Kokkos::View<double**> g) { kernel(comm, lf::bind(x = a), g); }
int main() {}
