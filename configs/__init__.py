"""Bundled YAML configs (`configs/*.yaml`), installed as package data of agentrm_ray.configs."""
