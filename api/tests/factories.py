import factory

from api.keys import key_generate, key_hash
from api.models import ApiJob, ApiKey
from gallery.tests.factories import ColorizationJobFactory


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A key row; its usable key (which nothing stores) is ``factory_key`` on the instance."""

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"pipeline {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        prefix, key = key_generate()
        api_key = super()._create(model_class, *args, prefix=prefix, key_hash=key_hash(key), **kwargs)
        api_key.factory_key = key
        return api_key


class ApiJobFactory(factory.django.DjangoModelFactory):
    """A job owned by a key (pass ``job__succeeded=True`` and the like for its state)."""

    class Meta:
        model = ApiJob

    key = factory.SubFactory(ApiKeyFactory)
    job = factory.SubFactory(ColorizationJobFactory)
