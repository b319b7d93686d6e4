"""cluster.yaml passes Ray's own launcher checks (defaults merged, then the JSON schema)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import ValidationError

CLUSTER_YAML = Path(__file__).resolve().parents[2] / "cluster.yaml"


def _load() -> dict[str, Any]:
    return yaml.safe_load(CLUSTER_YAML.read_text())


def _prepared(config: dict[str, Any]) -> dict[str, Any]:
    """What `ray up` does before launching anything: merge provider defaults, validate."""
    from ray.autoscaler._private.util import prepare_config, validate_config

    prepared = prepare_config(copy.deepcopy(config))
    validate_config(prepared)
    return prepared


def test_cluster_yaml_is_valid_for_rays_launcher() -> None:
    prepared = _prepared(_load())
    types = prepared["available_node_types"]
    assert prepared["provider"]["type"] == "aws" and prepared["head_node_type"] == "head"
    assert {"gpu_l4", "gpu_4xa10g", "cpu_envs"} <= set(types)
    assert types["cpu_envs"]["resources"] == {"env_node": 1}


def test_nodes_install_this_package_with_the_gpu_extra() -> None:
    config = _load()
    installs = [c for c in config["setup_commands"] if "pip install" in c and "agentrm-ray" in c]
    assert installs and "[gpu" in installs[0]
    assert "/home/ubuntu/agentrm-ray" in config["file_mounts"]


def test_head_pins_the_documented_ports_and_keeps_the_dashboard_on_loopback() -> None:
    config = _load()
    head = " ".join(config["head_start_ray_commands"])
    for flag in ("--port=6379", "--dashboard-port=8265", "--dashboard-host=127.0.0.1",
                 "--ray-client-server-port=10001", "--object-manager-port=8076"):
        assert flag in head
        assert flag.split("=")[1] in CLUSTER_YAML.read_text().split("cluster_name:")[0]


def test_the_validation_catches_a_misspelt_key() -> None:
    config = _load()
    config["available_node_types"]["gpu_l4"]["min_wrokers"] = 1
    with pytest.raises(ValidationError, match="min_wrokers"):
        _prepared(config)
