"""The browser visualisation: ``python -m ecosim viz SCENARIO``.

A Mesa SolaraViz page (``ecosim.viz.app``) served by Solara (``ecosim.viz.server``): the
organisation's network coloured by engagement, live curves, sliders for the main levers, and a
panel with the week and the verdict. Pictures are drawn by ``ecosim.plotting.page`` (Matplotlib,
no Solara); ``ecosim.viz.assets`` puts the page's JavaScript where Solara serves it from, so the
page works without the public CDN. Nothing here is imported by ``import ecosim`` or by the core.
"""
