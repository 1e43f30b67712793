"""Fake ``vllm.tilt``. ``PATCHES`` mirrors what our wheel build records in the real package
(builder/tilt-patches/); an unpatched fork has none. Tests set it to model either fork."""

PATCHES: tuple = ()
