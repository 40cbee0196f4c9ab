#pragma once
// Version and the device-function macro. Everything a kernel may call is marked LOSSFORGE_FUNCTION, so that a
// CUDA or HIP build of Kokkos (or plain nvcc) compiles it for the device.

#define LOSSFORGE_VERSION_MAJOR 0
#define LOSSFORGE_VERSION_MINOR 1
#define LOSSFORGE_VERSION_PATCH 0

#if defined(LOSSFORGE_WITH_KOKKOS)
#include <Kokkos_Macros.hpp>
#define LOSSFORGE_FUNCTION KOKKOS_INLINE_FUNCTION
#elif defined(__CUDACC__) || defined(__HIPCC__)
#define LOSSFORGE_FUNCTION __host__ __device__ inline
#else
#define LOSSFORGE_FUNCTION inline
#endif

// Called with the number of tensor elements a kernel reads, where it reads them. Empty unless defined before the
// first lossforge header: the work-count tests define it to count the work a plan does.
#ifndef LOSSFORGE_COUNT_TENSOR_READS
#define LOSSFORGE_COUNT_TENSOR_READS(n) ((void)0)
#endif
