"""What starts work: sensors that decide when a model's assets should run."""
