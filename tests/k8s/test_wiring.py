"""The Kubernetes wiring without a cluster: the environment switch, the compute profiles and the
tags they put on every asset, the executor of every job, and the Jobs dagster-k8s builds from
the deployment's instance config for each asset step, validated against a current Kubernetes.

The Jobs are built with dagster-k8s's own functions in the order its run launcher and step
handler use them; tests/k8s/test_api_server.py creates them for real through a running daemon.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import kubernetes
import pytest
import yaml
from dagster._core.storage.dagster_run import DagsterRun
from dagster._serdes import ConfigurableClassData
from dagster_k8s import K8sRunLauncher
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import (
    UserDefinedDagsterK8sConfig,
    construct_dagster_k8s_job,
    get_user_defined_k8s_config,
)

from ml_platform_assets.assets.policy import INGESTION_POOL
from ml_platform_assets.code_location import build_definitions
from ml_platform_assets.core.spec import load_specs
from resources.database_resource import DatabaseResource
from resources.environment import read_environment
from resources.kubernetes import (
    DEFAULT_PROFILES,
    K8S_CONFIG_TAG,
    STEP_SERVICE_ACCOUNT,
    KubernetesSettings,
    load_kubernetes_settings,
    quantity,
)
from resources.object_store_resource import ObjectStoreResource
from tests.k8s import pod_security
from tests.k8s.kustomize import KUSTOMIZATIONS, find, validate_strict

MODEL = "credit_default"
IMAGE = "registry.example.com/credit/ml-platform:0.1.0"
# Which profile each asset's step runs with.
STAGE_OF = {
    "raw_applications": "ingestion",
    "features": "ingestion",
    "loan_outcomes": "ingestion",
    "training_set": "training",
    "challenger_model": "training",
    "model_evaluation": "evaluation",
    "deployed_model": "deployment",
    "drift_report": "drift",
}


def _defs(tmp_path, monkeypatch, **env) -> dg.Definitions:
    for name in ("ML_PLATFORM_EXECUTOR", "ML_PLATFORM_COMPUTE_PROFILES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    specs = {MODEL: load_specs()[MODEL]}
    backends = {
        "object_store": ObjectStoreResource(uri=str(tmp_path / "store")),
        "database": DatabaseResource(url=f"sqlite:///{tmp_path / 'registry.db'}"),
    }
    return build_definitions(specs, backends, kubernetes_settings())


def kubernetes_settings(env: dict[str, str] | None = None):
    """The compute settings the environment (the process's, or ``env``) selects."""
    environment = read_environment(env)
    return load_kubernetes_settings(environment.executor, environment.compute_profiles)


def _op_tags(defs: dg.Definitions) -> dict[str, dict]:
    """Asset name -> the tags of the op that materializes it."""
    graph = defs.resolve_asset_graph()
    return {
        key.path[-1]: dict(graph.get(key).assets_def.op.tags)
        for key in graph.get_all_asset_keys()
        if key.path[0] == MODEL
    }


def _profile(tags: dict) -> dict:
    value = tags[K8S_CONFIG_TAG]
    return json.loads(value) if isinstance(value, str) else value


@pytest.fixture
def no_kube_config(monkeypatch, tmp_path):
    """An environment where loading any kube config fails: no file, not inside a cluster."""
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(kubernetes.config.ConfigException):
        kubernetes.config.load_config()


def test_local_runs_keep_the_in_process_executor(tmp_path, monkeypatch, no_kube_config) -> None:
    defs = _defs(tmp_path, monkeypatch)
    for job in defs.resolve_all_job_defs():
        assert job.executor_def is dg.in_process_executor, job.name
    graph = defs.resolve_asset_graph()
    raw = graph.get(dg.AssetKey([MODEL, "raw_applications"]))
    assert raw.backfill_policy == dg.BackfillPolicy.single_run()
    assert raw.assets_def.op.pool is None


def test_production_jobs_run_steps_as_kubernetes_jobs(
    tmp_path, monkeypatch, no_kube_config
) -> None:
    """Every job (the sensors' too) gets k8s_job_executor; building them loads no kube config."""
    defs = _defs(tmp_path, monkeypatch, ML_PLATFORM_EXECUTOR="kubernetes")
    jobs = defs.resolve_all_job_defs()
    assert {f"{MODEL}__training", f"{MODEL}__ingestion", f"{MODEL}__drift"} <= {
        j.name for j in jobs
    }
    for job in jobs:
        assert job.executor_def.name == "k8s_job_executor", job.name
        assert job.executor_def.executor_creation_fn is not None
    [training] = [j for j in jobs if j.name == f"{MODEL}__training"]
    config = training.executor_def.apply_config_mapping({}).value["config"]
    assert config["max_concurrent"] == 4
    # Steps never call the Kubernetes API: their pods get an account without a role or token.
    assert config["service_account_name"] == STEP_SERVICE_ACCOUNT
    pod_spec = config["step_k8s_config"]["pod_spec_config"]
    assert pod_spec["automount_service_account_token"] is False


def test_ingestion_backfills_fan_out_one_day_per_run_in_a_capped_pool(
    tmp_path, monkeypatch, no_kube_config
) -> None:
    graph = _defs(tmp_path, monkeypatch, ML_PLATFORM_EXECUTOR="kubernetes").resolve_asset_graph()
    for name in ("raw_applications", "features", "loan_outcomes"):
        node = graph.get(dg.AssetKey([MODEL, name]))
        assert node.backfill_policy == dg.BackfillPolicy.multi_run(1), name
        assert node.assets_def.op.pool == INGESTION_POOL, name
    drift = graph.get(dg.AssetKey([MODEL, "drift_report"]))
    assert drift.assets_def.op.pool is None


def test_every_asset_step_carries_its_stage_profile(tmp_path, monkeypatch) -> None:
    tags = _op_tags(_defs(tmp_path, monkeypatch))
    assert set(tags) == set(STAGE_OF)
    for name, stage in STAGE_OF.items():
        assert _profile(tags[name]) == DEFAULT_PROFILES[stage].k8s_config(), name
    training = DEFAULT_PROFILES["training"]
    for kind in ("cpu", "memory"):
        for bound in ("request", "limit"):
            larger = getattr(training, f"{kind}_{bound}")
            smaller = getattr(DEFAULT_PROFILES["ingestion"], f"{kind}_{bound}")
            assert quantity(larger) > quantity(smaller), (kind, bound)


def test_a_profiles_file_changes_only_what_it_names(tmp_path, monkeypatch) -> None:
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(
        "profiles:\n  training:\n    memory_limit: 16Gi\n    node_selector: {pool: highmem}\n"
        "    tolerations: [{key: pool, value: highmem, effect: NoSchedule}]\n"
        "max_concurrent_steps: 2\n"
    )
    defs = _defs(tmp_path, monkeypatch, ML_PLATFORM_COMPUTE_PROFILES=str(profiles))
    config = _profile(_op_tags(defs)["challenger_model"])
    assert config["container_config"]["resources"]["limits"]["memory"] == "16Gi"
    assert config["container_config"]["resources"]["requests"]["memory"] == "4Gi"
    assert config["pod_spec_config"] == {
        "node_selector": {"pool": "highmem"},
        "tolerations": [
            {"key": "pool", "operator": "Equal", "value": "highmem", "effect": "NoSchedule"}
        ],
    }
    assert _profile(_op_tags(defs)["features"]) == DEFAULT_PROFILES["ingestion"].k8s_config()
    assert kubernetes_settings().max_concurrent_steps == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("profiles:\n  trainng: {memory_limit: 1Gi}\n", "profiles.trainng.[key]"),
        ("profiles:\n  training: {memory_limit: lots}\n", "'lots' is not a memory quantity"),
        ("profiles:\n  drift: {cpu_request: '4'}\n", "cpu_request 4 is above cpu_limit 2"),
        ("profiles:\n  drift: {gpu: 1}\n", "profiles.drift.gpu"),
        ("max_concurrent_steps: 0\n", "max_concurrent_steps"),
        ("- a list\n", "it must be a mapping"),
        # What Kubernetes would refuse, or accept as nonsense, is refused here, naming the field.
        (
            "profiles:\n  training:\n    tolerations: [{key: pool, operator: Exists, value: x}]\n",
            "profiles.training.tolerations.0: Value error, operator Exists matches any value",
        ),
        (
            "profiles:\n  training:\n    tolerations: [{value: x}]\n",
            "a toleration without a key must have operator Exists",
        ),
        (
            "profiles:\n  training:\n    tolerations: [{key: 'a b', value: x}]\n",
            "profiles.training.tolerations.0: Value error, label key 'a b'",
        ),
        (
            "profiles:\n  training:\n    tolerations: [{key: pool, value: 'high mem'}]\n",
            "toleration value 'high mem'",
        ),
        (
            "profiles:\n  training: {node_selector: {'bad key!': x}}\n",
            "profiles.training.node_selector: Value error, label key 'bad key!'",
        ),
        (
            "profiles:\n  training: {node_selector: {'Example.com/pool': x}}\n",
            "the prefix before '/' must be a lowercase DNS subdomain",
        ),
        (
            "profiles:\n  training: {node_selector: {pool: 'high mem'}}\n",
            "node selector 'pool': value 'high mem'",
        ),
        ("profiles:\n  training: {cpu_limit: 2Gi}\n", "training.cpu_limit: Value error, '2Gi'"),
        ("profiles:\n  training: {memory_request: 900m}\n", "memory_request: Value error, '900m'"),
        ("profiles:\n  drift: {cpu_request: '0'}\n", "drift.cpu_request: Value error, '0' is zero"),
        ("profiles:\n  drift: {memory_request: '0'}\n", "drift.memory_request: Value error, '0'"),
        ("profiles:\n  drift: {cpu_request: '-1'}\n", "drift.cpu_request: Value error, '-1'"),
        ("enabled: false\n", "enabled is not set here: ML_PLATFORM_EXECUTOR"),
    ],
)
def test_a_wrong_profiles_file_is_named_with_its_field(tmp_path, text, message) -> None:
    profiles = tmp_path / "bad.yaml"
    profiles.write_text(text)
    with pytest.raises(ValueError) as raised:
        kubernetes_settings({"ML_PLATFORM_COMPUTE_PROFILES": str(profiles)})
    assert str(raised.value).startswith(f"The compute profiles file {profiles} ")
    assert message in str(raised.value)


def test_numbers_in_the_profiles_file_are_quantities(tmp_path) -> None:
    """YAML reads `cpu_request: 2` as a number; it means the quantity "2"."""
    profiles = tmp_path / "profiles.yaml"
    profiles.write_text(
        "profiles:\n  drift: {cpu_request: 2, cpu_limit: 2.5, memory_request: 1073741824}\n"
    )
    drift = kubernetes_settings({"ML_PLATFORM_COMPUTE_PROFILES": str(profiles)}).profiles["drift"]
    assert (drift.cpu_request, drift.cpu_limit) == ("2", "2.5")
    assert drift.memory_request == "1073741824"
    resources = drift.k8s_config()["container_config"]["resources"]
    validate_strict(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": resources}]},
        }
    )


def test_an_unknown_executor_is_refused() -> None:
    with pytest.raises(ValueError, match="ML_PLATFORM_EXECUTOR='k8s' is not one of in_process"):
        kubernetes_settings({"ML_PLATFORM_EXECUTOR": "k8s"})
    assert not kubernetes_settings({}).enabled
    assert kubernetes_settings({"ML_PLATFORM_EXECUTOR": "kubernetes"}).enabled


def _launcher(rendered, tmp_path, monkeypatch) -> K8sRunLauncher:
    """The overlay's run launcher, with a kubeconfig that is never used instead of in-cluster."""
    instance = yaml.safe_load(
        find(rendered["example"], "ConfigMap", "ml-platform-instance")["data"]["dagster.yaml"]
    )
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": "unused"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    monkeypatch.setenv("DAGSTER_K8S_JOB_NAMESPACE", "ml-platform")
    launcher = instance["run_launcher"]
    config = {**launcher["config"], "load_incluster_config": False}
    config["kubeconfig_file"] = str(kubeconfig)
    data = ConfigurableClassData(launcher["module"], launcher["class"], yaml.safe_dump(config))
    return data.rehydrate(K8sRunLauncher)


def _body(job) -> dict:
    return kubernetes.client.ApiClient().sanitize_for_serialization(job)


def test_every_job_the_launcher_and_executor_build_is_valid(
    rendered, tmp_path, monkeypatch
) -> None:
    """The run Job and each asset's step Job, from the overlay's instance config and profiles."""
    profiles = KUSTOMIZATIONS["example"] / "compute-profiles.yaml"
    defs = _defs(
        tmp_path,
        monkeypatch,
        ML_PLATFORM_EXECUTOR="kubernetes",
        ML_PLATFORM_COMPUTE_PROFILES=str(profiles),
    )
    launcher = _launcher(rendered, tmp_path, monkeypatch)
    run = DagsterRun(job_name=f"{MODEL}__training", run_id="0123456789abcdef")

    run_context = launcher.get_container_context_for_run(run)
    run_job = construct_dagster_k8s_job(
        job_config=run_context.get_k8s_job_config(job_image=IMAGE, run_launcher=launcher),
        args=["dagster", "api", "execute_run", "{}"],
        job_name="dagster-run-0123456789abcdef",
        component="run_worker",
        user_defined_k8s_config=run_context.run_k8s_config,
        labels={"dagster/job": run.job_name, "dagster/run-id": run.run_id},
    )
    run_body = _body(run_job)
    validate_strict(run_body)
    run_pod = run_body["spec"]["template"]["spec"]
    assert pod_security.violations(run_pod) == []
    assert run_pod["serviceAccountName"] == "ml-platform-run"
    assert run_pod["automountServiceAccountToken"] is True  # it creates the step Jobs

    settings = kubernetes_settings()
    # What K8sStepHandler merges, in its order: the launcher's, the executor's, the step's.
    [training] = [j for j in defs.resolve_all_job_defs() if j.name == run.job_name]
    executor = training.executor_def.apply_config_mapping({}).value["config"]
    executor_context = K8sContainerContext(
        service_account_name=executor.get("service_account_name"),
        run_k8s_config=UserDefinedDagsterK8sConfig.from_dict(executor.get("step_k8s_config", {})),
    )
    for name, tags in _op_tags(defs).items():
        context = K8sContainerContext.create_for_run(run, launcher, include_run_tags=False)
        context = context.merge(executor_context).merge(
            K8sContainerContext(run_k8s_config=get_user_defined_k8s_config(tags))
        )
        job = construct_dagster_k8s_job(
            job_config=context.get_k8s_job_config(IMAGE, launcher),
            args=["dagster", "api", "execute_step", "{}"],
            job_name=f"dagster-step-{name.replace('_', '-')}",
            component="step_worker",
            user_defined_k8s_config=context.run_k8s_config,
            labels={"dagster/op": name},
        )
        body = _body(job)
        validate_strict(body)
        pod = body["spec"]["template"]["spec"]
        [container] = pod["containers"]
        profile = settings.profiles[STAGE_OF[name]]
        assert container["resources"] == {
            "requests": {"cpu": profile.cpu_request, "memory": profile.memory_request},
            "limits": {"cpu": profile.cpu_limit, "memory": profile.memory_limit},
        }, name
        assert pod.get("nodeSelector") == (profile.node_selector or None), name
        assert pod["serviceAccountName"] == STEP_SERVICE_ACCOUNT
        assert pod["automountServiceAccountToken"] is False
        assert pod_security.violations(pod) == [], name
        assert {"secretRef": {"name": "ml-platform-secrets"}} in container["envFrom"]
    assert settings.profiles["training"].node_selector == {"example.com/pool": "highmem"}


def test_settings_render_the_tag_dagster_k8s_reads() -> None:
    """The tag value is what dagster-k8s parses into container resources and pod placement."""
    settings = KubernetesSettings.with_overrides(
        {"profiles": {"drift": {"node_selector": {"a": "b"}}}}, enabled=True
    )

    @dg.asset(op_tags=settings.op_tags("drift"))
    def drifty() -> None: ...

    parsed = get_user_defined_k8s_config(drifty.op.tags)
    assert parsed.container_config["resources"]["limits"]["memory"] == "4Gi"
    assert parsed.pod_spec_config["node_selector"] == {"a": "b"}


def test_the_user_code_pod_fails_to_start_on_a_broken_profiles_file(rendered, tmp_path) -> None:
    """The user-code pod's init container, run with the overlay's settings: it exits non-zero
    with the sentence naming the file and the field when the profiles are wrong, so the pod
    never becomes ready (the code server alone would serve the error as a healthy server)."""
    objects = rendered["example"]
    pod = find(objects, "Deployment", "ml-platform-user-code")["spec"]["template"]["spec"]
    [init] = pod["initContainers"]
    settings = find(objects, "ConfigMap", "ml-platform-env")["data"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("profiles:\n  training:\n    memory_limit: 900m\n")
    runs = {}
    for name, profiles in (
        ("overlay", KUSTOMIZATIONS["example"] / "compute-profiles.yaml"),
        ("broken", broken),
    ):
        env = {
            **settings,
            "ML_PLATFORM_COMPUTE_PROFILES": str(profiles),
            "DAGSTER_HOME": str(tmp_path),
            "HOME": str(tmp_path),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        runs[name] = subprocess.Popen(
            init["command"], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
        )
    errors = {name: process.communicate(timeout=300)[1] for name, process in runs.items()}
    assert runs["overlay"].returncode == 0, errors["overlay"][-2000:]
    assert runs["broken"].returncode != 0
    assert (
        f"The compute profiles file {broken} (ML_PLATFORM_COMPUTE_PROFILES) is not usable: "
        "profiles.training.memory_limit" in errors["broken"]
    )
