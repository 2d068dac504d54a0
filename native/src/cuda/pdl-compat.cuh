// CUDA 11.8 compiles Hopper's programmatic dependent launch (PTX `griddepcontrol`, ISA 7.8) but
// declares its two device calls only from CUDA 12, while llama.cpp enables PDL from 11.8
// (ggml-org/llama.cpp#26591). Pre-included into every CUDA file of a CUDA build; a no-op on 12+.
#pragma once
#include <cuda_runtime_api.h>

#if defined(__CUDACC__) && CUDART_VERSION < 12000
static __device__ __forceinline__ void cudaGridDependencySynchronize() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

static __device__ __forceinline__ void cudaTriggerProgrammaticLaunchCompletion() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}
#endif
