"""Safe, measured execution of untrusted candidate code. Imports nothing else of polca."""
