"""Hooks: how a lower floor asks the floors above it to act without importing them.

A lower app declares a hook where it starts a duty (profiles: an account closes; catalog: a service
page is viewed); an app above registers its step from its AppConfig.ready(); the lower app calls the
hook and every registered step runs, in registration order, inside the caller's transaction.

    # profiles/hooks.py
    on_account_closed: Hook[[Citizen]] = Hook("on_account_closed")
    # casework/apps.py, in ready()
    hooks.on_account_closed.register(cases_account_closed)
    # profiles/services/accounts.py
    hooks.on_account_closed(citizen)

A hook whose steps answer a question (`collect`) returns every step's answer, for pages a lower app
draws with parts that higher apps provide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: list[Callable[P, Any]] = []

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self.steps)} steps)"

    def register(self, step: Callable[P, Any]) -> None:
        """Add `step` once: ready() may run more than once (tests, management commands)."""
        if step not in self.steps:
            self.steps.append(step)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for step in self.steps:
            step(*args, **kwargs)

    def collect(self, *args: P.args, **kwargs: P.kwargs) -> list[Any]:
        return [step(*args, **kwargs) for step in self.steps]
