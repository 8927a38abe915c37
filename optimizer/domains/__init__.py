"""Domain adapters: glue between the POLCA engine and what it optimizes."""
