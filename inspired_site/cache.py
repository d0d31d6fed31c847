from django_redis.cache import RedisCache, omit_exception


class FailOpenRedisCache(RedisCache):
    """django-redis with IGNORE_EXCEPTIONS, whose add() also fails open.

    With Redis unreachable, get() answers a miss and set() does nothing, but add() answers
    False, "somebody holds this key": allauth takes its rate-limit lock with add() and
    would refuse every sign-in until Redis is back. Here it answers True, as if the key
    were free, so callers carry on as they do after a miss.
    """

    @omit_exception(return_value=True)
    def add(self, *args, **kwargs):
        return self.client.add(*args, **kwargs)
