"""The version of capsim; the single source for pyproject and ``capsim --version``."""

__version__ = "0.1.0"
