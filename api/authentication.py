"""``Authorization: Bearer KEY``: who a request comes from. A request without a key is a 401
(with ``WWW-Authenticate: Bearer``), as is one with a key that is unknown or revoked."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from api import selectors, services
from api.models import ApiKey

INVALID_KEY = "This API key is not valid or has been revoked."


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword:
            return None  # no key: the permission check answers 401
        if len(words) != 2:
            raise AuthenticationFailed("Send the key as 'Authorization: Bearer KEY', with nothing else.")
        try:
            key = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(INVALID_KEY) from None
        api_key = selectors.api_key_get(key=key)
        if api_key is None:
            raise AuthenticationFailed(INVALID_KEY)
        services.api_key_mark_used(api_key=api_key)
        return (None, api_key)  # no user: the key is the caller (request.auth)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasApiKey(BasePermission):
    message = "An API key is required: send 'Authorization: Bearer KEY'."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from `manage.py create_api_key NAME`: `Authorization: Bearer csk_...`.",
        }
