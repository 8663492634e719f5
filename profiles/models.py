from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who signs in: citizens and staff alike. Roles and the resident ID come in issue #4."""

    class Meta:
        db_table = "profiles_user"
