"""icsim: an agent-based simulator of competing integrated care systems for the English NHS."""

__version__ = "0.1.0"
