"""tsur: a platform for a regional management center (ЦУР)."""

__version__ = "0.1.0"
