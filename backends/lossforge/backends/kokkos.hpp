#pragma once
// The Kokkos backend: lf::kokkos::compile(loss, lf::wrt(x...)) and the View interop it needs.
#include <lossforge/backends/kokkos/compile.hpp>
