"""Running the platform's jobs, Dagster-aware: the lifecycle over a range of days, the daemon's
drift loop simulated day by day, and people's decisions recorded on the asset graph. The
command line and the benchmark call this; the jobs run where the deployment runs steps.
"""
