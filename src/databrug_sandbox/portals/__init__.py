"""The four sandbox portals: each accepts only a valid DigiD access token and serves only its own data."""
