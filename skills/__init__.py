"""EffiSkill: a library of slow-to-fast optimization skills."""
