"""Reports: figures in the house style and comparison tables."""
