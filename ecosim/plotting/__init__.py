"""Every figure ecosim draws, in one style.

- :mod:`ecosim.plotting.style`: colours, font and figure sizes, the ghost-town band and the
  thriving line, and writing a PNG safely;
- :mod:`ecosim.plotting.run`: a run's figures (engagement, knowledge, content, network);
- :mod:`ecosim.plotting.sweep`: a sweep's phase diagrams, lines, scatters, Sobol' and Morris charts;
- :mod:`ecosim.plotting.validation`: the validation suite's figures;
- :mod:`ecosim.plotting.page`: the browser page's pictures (background and weekly overlay).

Importing this package is cheap: Matplotlib is imported when a figure is drawn.
"""
