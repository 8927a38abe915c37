"""RL fine-tuning of a policy on what the optimizer found (GRPO + PIPO)."""
