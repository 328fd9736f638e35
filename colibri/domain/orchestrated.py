"""Containers another system runs: Colibri never recreates them behind its back.

A Swarm task container (``com.docker.swarm.task.id``) is replaced by the swarm manager the
moment it disappears, from the service's image; a container run by a systemd unit
(``PODMAN_SYSTEMD_UNIT``, as ``podman generate systemd`` and Quadlet write it) is recreated by
the unit at its next start from the unit's own command; a Kubernetes pod container
(``io.kubernetes.pod.uid``, on a node running cri-dockerd) belongs to the kubelet. Recreating
any of them with ``docker create`` leaves a container the orchestrator does not know, or one
it kills. Such containers are skipped with the reason, even under ``--all`` or by name; the
way to update them is their orchestrator's.

:func:`orchestrated_by` is the one place that decides.
"""

from __future__ import annotations

from collections.abc import Mapping

from colibri.domain.units import UNIT_LABEL, unit_skip_reason

__all__ = ["SWARM_TASK_LABEL", "SYSTEMD_UNIT_LABEL", "orchestrated_by"]

SWARM_TASK_LABEL = "com.docker.swarm.task.id"
SWARM_SERVICE_LABEL = "com.docker.swarm.service.name"
SYSTEMD_UNIT_LABEL = UNIT_LABEL
KUBERNETES_POD_LABEL = "io.kubernetes.pod.uid"
KUBERNETES_POD_NAME_LABEL = "io.kubernetes.pod.name"


def orchestrated_by(
    labels: Mapping[str, str], *, pod: str = "", engine: str = "docker"
) -> str | None:
    """Why a container with these labels (in the podman pod ``pod``, if any) must not be
    recreated by Colibri on ``engine``, or ``None``. A container in a pod shares the pod's
    namespaces and is started and stopped with it: a copy made outside the pod would lose
    them. A unit's container is updated through its unit on podman
    (:mod:`colibri.domain.units`), skipped elsewhere."""
    if labels.get(SWARM_TASK_LABEL):
        service = labels.get(SWARM_SERVICE_LABEL) or "its service"
        return f"a Swarm task of {service}: the swarm manager recreates it (update the service)"
    if labels.get(SYSTEMD_UNIT_LABEL):
        return unit_skip_reason(labels, engine)
    if labels.get(KUBERNETES_POD_LABEL):
        kube_pod = labels.get(KUBERNETES_POD_NAME_LABEL) or labels[KUBERNETES_POD_LABEL]
        return f"a container of the Kubernetes pod {kube_pod}: the kubelet owns it"
    if pod:
        return f"in the podman pod {pod}: it shares the pod's namespaces (update the pod)"
    return None
