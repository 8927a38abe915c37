"""KernelBench problems and a hardened CUDA-kernel evaluator."""
