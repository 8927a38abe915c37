"""Program analysis shared by the executable rules and the oracle's input generation.

- :mod:`.types`: the value types a parameter takes (:class:`~.types.Spec` and its kinds),
  what inference finds and what input generation draws from.
- :mod:`.infer`: a parameter's type from its hint, or from how the body, the defaults, the
  docstring and the file's call sites use it.
- :mod:`.facts`: facts about a function a rule reads its preconditions from (which names
  are mutated, rebound or global, local types, the runtime types the oracle observed).

Everything here reads source text; nothing imports or runs the user's code.
"""
