from django.core.management.base import BaseCommand

from recommender.tasks import score_population


class Command(BaseCommand):
    help = "Score everyone who allows personalisation with the serving model (chunked Celery tasks)."

    def handle(self, *args, **options):
        self.stdout.write(f"batch scoring started for {score_population.delay().get()} people")
