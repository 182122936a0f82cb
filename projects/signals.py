from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from projects.keys import forget_all, forget_key
from projects.models import Project, ProjectKey


@receiver([post_save, post_delete], sender=ProjectKey)
def drop_cached_key(sender, instance, **kwargs):
    forget_key(instance.public_key)


@receiver([post_save, post_delete], sender=Project)
def drop_cached_quotas(sender, instance, **kwargs):
    # Quotas live on the project; rare enough that dropping the whole cache is the simple, right answer.
    forget_all()
