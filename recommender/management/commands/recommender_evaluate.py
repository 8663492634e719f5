import pathlib

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from recommender.evaluation.report import report_write
from recommender.services.training import NotEnoughData, model_evaluate
from recommender.training import TrainingParameters


class Command(BaseCommand):
    help = (
        "Evaluate the recommender on a time-based hold-out against the popularity and rules-only baselines, "
        "overall, for the cold-start slice and per group, and write a report (Markdown and PNG charts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", default="test-artifacts/recommender-evaluation", help="Directory for the report.")
        parser.add_argument("--holdout-days", type=int, default=TrainingParameters.holdout_days)
        parser.add_argument("--window-days", type=int, default=TrainingParameters.window_days)
        parser.add_argument("--k", type=int, default=TrainingParameters.k)

    def handle(self, *args, **options):
        parameters = TrainingParameters(
            holdout_days=options["holdout_days"], window_days=options["window_days"], k=options["k"]
        )
        try:
            evaluation = model_evaluate(parameters=parameters)
        except NotEnoughData as error:
            raise CommandError(error.message) from None
        path = report_write(evaluation, pathlib.Path(options["out"]))
        for method in evaluation.methods:
            ndcg = method.per_user["ndcg"]
            cold = ndcg[evaluation.cold_start]
            self.stdout.write(
                f"{method.name:<30} NDCG@{evaluation.k} {_mean(ndcg):.4f}  cold start {_mean(cold):.4f}  "
                f"coverage {method.coverage:.3f}"
            )
        self.stdout.write(f"report: {path}")


def _mean(values) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
