"""API clients and the OAuth2 client-credentials grant (RFC 6749 §4.4).

Admins register a client (``/api/v1/api-clients``) with a name and scopes; scopes are permission strings
(one scope = one permission, :func:`fixdesk.identity.permissions.all_permissions`). The client secret is
shown once, at creation and at rotation. It is 256 random bits, so only its SHA-256 is stored: a slow
password hash (Argon2id) protects guessable secrets and would only add latency to every token request here.

``POST /api/v1/oauth/token`` exchanges the credentials (form body or HTTP Basic, RFC 6749 §2.3.1) for an
access token of principal type ``client`` whose ``scope`` claim holds the granted scopes. The
authenticator intersects that claim with the client's current scopes on every request, so removing a
scope or deactivating the client takes effect at once. Errors of the token endpoint use the RFC 6749 §5.2
JSON shape (``error``, ``error_description``) that OAuth client libraries parse, not problem details.

Deleting a client deactivates it (the row stays, so audit entries and webhooks created by it keep
meaning); ``PATCH isActive=true`` brings it back with its current secret.
"""


# The package is split the way a domain is: schemas.py (request and response models), service.py (rules and
# transactions, the token grant) and router.py (the endpoints, included in identity's router).
