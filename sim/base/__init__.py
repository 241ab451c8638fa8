"""Foundations with no icsim imports: the strict schema base, random streams, heap settings, atomic files."""
