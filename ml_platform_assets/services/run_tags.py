"""The platform's own run tags: who a run acts for and why it started."""

# Who a run acts for, as the audit ledger records it: set by `ml-platform run --actor` and by
# the sensors that start runs.
ACTOR_TAG = "ml_platform/actor"
# Why a run started: landing, automation or drift.
TRIGGER_TAG = "ml_platform/trigger"
MODEL_TAG = "ml_platform/model"
