"""Authentication: bearer tokens in, an Identity out (DESIGN §3).

Each module is imported on its own, so that what needs only `auth.identity` (the admin
commands, the token store) does not load the JWT and JWKS machinery.
"""
