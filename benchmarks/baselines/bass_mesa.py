"""Bass (1969) diffusion on a network, written agent by agent the way Mesa's own examples are.

The per-agent baseline that ``benchmarks/run.py`` races ecosim's ``bass`` engagement rule against.
It follows Mesa's virus-on-network example: each consumer is a ``FixedAgent`` sitting in a cell of
a ``mesa.discrete_space.Network`` built from a networkx graph, finds its neighbours through
``self.cell.neighborhood.agents`` and draws from ``self.random``; the model steps with
``self.agents.shuffle_do("step")``. The rule is ecosim's, synchronous like ecosim's: in ``step``
every consumer decides from its neighbours' states at the start of the week, and in ``advance``
the decisions take effect (Mesa's classic step/advance pair). A consumer who has not adopted
adopts in a week with probability 1 - exp(-(p + q * adopted neighbours / neighbours)).

Not part of the ecosim package: it exists to be measured against.
"""

from __future__ import annotations

import math

import networkx as nx
from mesa import Model
from mesa.discrete_space import FixedAgent, Network


class Consumer(FixedAgent):
    """A potential adopter in one cell of the network."""

    def __init__(self, model: BassModel, cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.adopted = False
        self._adopts = False

    def step(self) -> None:
        if self.adopted:
            self._adopts = True
            return
        neighbours = adopted = 0
        for agent in self.cell.neighborhood.agents:
            neighbours += 1
            adopted += agent.adopted
        share = adopted / neighbours if neighbours else 0.0
        hazard = self.model.p + self.model.q * share
        self._adopts = self.random.random() < 1.0 - math.exp(-hazard)

    def advance(self) -> None:
        self.adopted = self._adopts


class BassModel(Model):
    """Bass diffusion over ``graph`` (a networkx graph whose nodes are 0..n-1)."""

    def __init__(self, graph: nx.Graph, p: float = 0.03, q: float = 0.38, rng: int | None = None) -> None:
        super().__init__(rng=rng)
        self.p, self.q = p, q
        # layout=None: Mesa's default spring layout alone takes minutes at 10,000 nodes, and the
        # diffusion needs no positions
        self.grid = Network(graph, capacity=1, random=self.random, layout=None)
        Consumer.create_agents(self, graph.number_of_nodes(), list(self.grid.all_cells))
        self.adopted_share: list[float] = []

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.agents.do("advance")
        self.adopted_share.append(sum(1 for a in self.agents if a.adopted) / len(self.agents))
