from django.core.management.base import BaseCommand, CommandError

from recommender.services.training import NotEnoughData, model_train
from recommender.tasks import score_population
from recommender.training import TrainingParameters


class Command(BaseCommand):
    help = (
        "Train a recommender model now, evaluate it on the hold-out, and serve it if it is no worse than the "
        "model serving now; then score the population."
    )

    def add_arguments(self, parser):
        parser.add_argument("--holdout-days", type=int, default=TrainingParameters.holdout_days)
        parser.add_argument("--window-days", type=int, default=TrainingParameters.window_days)
        parser.add_argument("--no-activate", action="store_true", help="Register the model but do not serve it.")
        parser.add_argument("--no-score", action="store_true", help="Do not score the population afterwards.")

    def handle(self, *args, **options):
        parameters = TrainingParameters(holdout_days=options["holdout_days"], window_days=options["window_days"])
        try:
            outcome = model_train(parameters=parameters, activate=not options["no_activate"])
        except NotEnoughData as error:
            raise CommandError(error.message) from None
        model = outcome.model
        metrics = model.metrics
        self.stdout.write(
            f"model v{model.version}: {model.get_status_display()}; "
            f"{model.people_count} people, {model.interaction_count} interactions before the cut; "
            f"NDCG@{parameters.k} {metrics[f'ndcg@{parameters.k}']:.4f}; "
            f"ALS {metrics['als_seconds']:.1f} s, LightFM {metrics['lightfm_seconds']:.1f} s"
        )
        if model.note:
            self.stdout.write(model.note)
        if outcome.served and not options["no_score"]:
            self.stdout.write(f"batch scoring started for {score_population.delay().get()} people")
