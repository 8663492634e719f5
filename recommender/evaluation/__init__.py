"""Offline evaluation of the recommender: ranking metrics on a time-based hold-out and a report a person can read.

`metrics` scores a method's output against the hold-out; `report` summarises several methods per group of
people and writes the Markdown report with its charts. The hold-out itself is built by the caller.
"""
