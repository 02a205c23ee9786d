"""The provider's database: SQLAlchemy 2 tables, Alembic migrations, SQLite by default or PostgreSQL."""
