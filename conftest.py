# Fixtures for every test in the repository: real NATS, real databases (see common.testing).
pytest_plugins = ["common.testing"]
