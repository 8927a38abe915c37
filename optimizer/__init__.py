"""POLCA: a priority-queue optimizer for noisy, stochastic problems."""
