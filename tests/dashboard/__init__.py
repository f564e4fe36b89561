"""Dashboard tests (AppTest on a seeded temporary database) and lead actions."""
