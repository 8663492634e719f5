from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recommender.simulator import DEFAULT_SEED, SimulationRefused, population_simulate


class Command(BaseCommand):
    help = (
        "Add a simulated population (people, facts, consents, interactions) drawn from public rates to the "
        "database, for demonstrations and for evaluating the recommender. Needs the catalog imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, required=True, help="How many people to add.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Same seed, same population.")
        parser.add_argument("--days", type=int, default=180, help="Days of interactions, ending now.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even in production: simulated people would sit beside real ones.",
        )

    def handle(self, *args, people, seed, days, allow_production, **options):
        if settings.PRODUCTION and not allow_production:
            raise CommandError(
                "Refusing to add simulated people to a production database; pass --allow-production if you mean it."
            )
        try:
            summary = population_simulate(people=people, seed=seed, days=days, stdout=self.stdout)
        except SimulationRefused as error:
            raise CommandError(error.message) from None
        for line in summary.lines():
            self.stdout.write(line)
