"""POLCA: a priority-queue optimizer for noisy, stochastic problems.

Entry point: :func:`polca.optimizer.api.optimize` (also ``polca.optimize``). The
contracts a domain, proposer, embedder and executor fulfil are in ``contracts``.
"""
