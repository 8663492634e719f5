"""The rules floor: the rule engine, derived and household facts, and life-event membership.

It stands on profiles (the fact registry and fact storage) and knows nothing of the catalog: the
catalog compiles its criteria and life events with it, and the features above evaluate them.
"""
