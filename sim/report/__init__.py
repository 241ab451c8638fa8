"""Reports: figures in the house style, comparison tables and the tables printed to the terminal.

- :mod:`sim.report.plots` gathers the figure set and writes it (the one import for figures);
- :mod:`sim.report.style` holds the look and the drawing helpers;
- :mod:`sim.report.results` reads result folders and gives replicate intervals;
- :mod:`sim.report.figures_time`, :mod:`sim.report.figures_final` and
  :mod:`sim.report.figures_outcomes` (health by regime, the forest plot) draw the figures,
  :mod:`sim.report.figures_sweep` a sweep's metrics against each swept parameter;
- :mod:`sim.report.metric_dictionary` writes ``docs/metrics.md`` from the metric catalogue;
- :mod:`sim.report.compare` writes ``icsim compare``'s table and figure;
- :mod:`sim.report.terminal` prints the command line's tables.
"""
