"""The sandbox DigiD: an OpenID Connect provider with username + password and SMS-code login pages.

It behaves like DigiD for the parts Databrug relies on (authorization code flow with PKCE S256, signed ID
tokens, assurance level as a claim, lock-out after wrong attempts) and is marked SANDBOX on every page.
"""
