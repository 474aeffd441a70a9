"""The platform's operations, without Dagster: delivering files, ingesting days, building
training sets, registering challengers, recording evaluations, the promotion workflow, model
documents and drift. The assets, the sensors and the command line are thin adapters over them.
"""
