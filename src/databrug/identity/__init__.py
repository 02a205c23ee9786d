"""OIDC client for DigiD: PKCE, state, nonce, ID-token checks, assurance level."""
