"""The population simulator: citizens, facts, consents and interactions drawn from public rates."""

from recommender.simulator.services import DEFAULT_SEED, SimulationRefused, SimulationSummary, population_simulate

__all__ = ["DEFAULT_SEED", "SimulationRefused", "SimulationSummary", "population_simulate"]
