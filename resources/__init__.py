"""The external systems: the environment, object stores, the database, Kubernetes compute."""
