"""The model's core: the Mesa model, its agents, the mechanisms, the networks and the metrics.

Nothing here imports YAML, argparse, plotting or Solara.
"""
