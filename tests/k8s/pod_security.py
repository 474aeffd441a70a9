"""The Pod Security Standards' `restricted` profile (Kubernetes 1.30, "latest"), checked offline.

The test API server is Kubernetes 1.20, which has no Pod Security Admission (alpha in 1.22, on by
default from 1.23), so it cannot refuse a pod that breaks the profile. This module applies the
profile's rules, as https://kubernetes.io/docs/concepts/security/pod-security-standards/ lists
them, to a pod spec in the API's JSON form (camelCase), the way the admission controller does:
every control of `baseline` and then those `restricted` adds. ``violations`` names each broken
control and where.
"""

from __future__ import annotations

from collections.abc import Iterator

# baseline: capabilities a container may add.
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
# baseline: the sysctls known to be namespaced and safe.
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
# restricted: the only volume types allowed.
RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}  # fmt: skip
SECCOMP_ALLOWED = {"RuntimeDefault", "Localhost"}


def _containers(pod: dict) -> Iterator[tuple[str, dict]]:
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod.get(kind) or []:
            yield f"{kind}[{container.get('name')}]", container


def violations(pod: dict, annotations: dict | None = None) -> list[str]:
    """Every `restricted` control ``pod`` (a PodSpec, camelCase) breaks; empty when it meets
    the profile. ``annotations`` are the pod's (AppArmor's older form)."""
    found: list[str] = []
    pod_security = pod.get("securityContext") or {}
    containers = list(_containers(pod))

    # --- baseline ---
    if (pod_security.get("windowsOptions") or {}).get("hostProcess"):
        found.append("hostProcess: spec.securityContext.windowsOptions.hostProcess")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            found.append(f"host namespaces: spec.{field}")
    for volume in pod.get("volumes") or []:
        if "hostPath" in volume:
            found.append(f"hostPath volumes: volume {volume.get('name')}")
    for name, value in (annotations or {}).items():
        if (
            name.startswith("container.apparmor.security.beta.kubernetes.io/")
            and value not in ("runtime/default",)
            and not value.startswith("localhost/")
        ):
            found.append(f"AppArmor: annotation {name}={value}")
    contexts = [("spec.securityContext", pod_security)] + [
        (f"{where}.securityContext", c.get("securityContext") or {}) for where, c in containers
    ]
    for where, context in contexts:
        apparmor = (context.get("appArmorProfile") or {}).get("type")
        if apparmor not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"AppArmor: {where}.appArmorProfile.type {apparmor}")
        selinux = context.get("seLinuxOptions") or {}
        if (
            selinux.get("type", "") not in SELINUX_TYPES
            or selinux.get("user")
            or selinux.get("role")
        ):
            found.append(f"SELinux: {where}.seLinuxOptions")
        if (context.get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"seccomp: {where}.seccompProfile.type Unconfined")
        if context.get("runAsUser") == 0:
            found.append(f"running as non-root user: {where}.runAsUser 0")
    for sysctl in pod_security.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            found.append(f"sysctls: {sysctl.get('name')}")
    for where, container in containers:
        context = container.get("securityContext") or {}
        if (context.get("windowsOptions") or {}).get("hostProcess"):
            found.append(f"hostProcess: {where}")
        if context.get("privileged"):
            found.append(f"privileged containers: {where}")
        if context.get("procMount", "Default") != "Default":
            found.append(f"/proc mount type: {where}")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"host ports: {where} hostPort {port['hostPort']}")
        added = set((context.get("capabilities") or {}).get("add") or [])
        if added - BASELINE_CAPABILITIES:
            found.append(f"capabilities: {where} adds {sorted(added - BASELINE_CAPABILITIES)}")

    # --- restricted ---
    for volume in pod.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume types: volume {volume.get('name')} is {sorted(kinds)}")
    pod_non_root = pod_security.get("runAsNonRoot")
    pod_seccomp = (pod_security.get("seccompProfile") or {}).get("type")
    if pod_non_root is False:
        found.append("running as non-root: spec.securityContext.runAsNonRoot false")
    if pod_seccomp is not None and pod_seccomp not in SECCOMP_ALLOWED:
        found.append(f"seccomp: spec.securityContext.seccompProfile.type {pod_seccomp}")
    for where, container in containers:
        context = container.get("securityContext") or {}
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(
                f"privilege escalation: {where} does not set allowPrivilegeEscalation false"
            )
        non_root = context.get("runAsNonRoot")
        if non_root is False or (non_root is None and pod_non_root is not True):
            found.append(f"running as non-root: {where} may run as root (runAsNonRoot)")
        seccomp = (context.get("seccompProfile") or {}).get("type")
        if (seccomp is None and pod_seccomp not in SECCOMP_ALLOWED) or (
            seccomp is not None and seccomp not in SECCOMP_ALLOWED
        ):
            found.append(f"seccomp: {where} has no RuntimeDefault or Localhost seccompProfile")
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"capabilities: {where} does not drop ALL")
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"capabilities: {where} adds more than NET_BIND_SERVICE")
    return found


def pod_of(obj: dict) -> tuple[dict, dict]:
    """The pod spec and pod annotations of a Pod, a Job or a Deployment (JSON form)."""
    if obj["kind"] == "Pod":
        return obj["spec"], obj.get("metadata", {}).get("annotations") or {}
    template = obj["spec"]["template"]
    return template["spec"], (template.get("metadata") or {}).get("annotations") or {}
