"""The host line next to wall times: parsed from /proc/cpuinfo's text as Linux writes it."""

from __future__ import annotations

from agentrm_ray.host import host_summary, parse_cpuinfo, summarize

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 23
model\t\t: 49
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx fma avx2 sha_ni

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
model name\t: another CPU
flags\t\t: avx2 avx512f avx512_bf16
"""


def test_the_first_processors_fields_and_the_units_that_set_the_speed() -> None:
    fields = parse_cpuinfo(CPUINFO)
    assert fields["model name"] == "AMD EPYC" and fields["cpu family"] == "23"
    host = summarize(fields, cores=2)
    assert host.vector_flags == ("avx2",)  # avx and fma are not among the units reported
    assert host.line() == "AMD EPYC (family 23, model 49), 2 cores, avx2; no GPU"


def test_a_bf16_host_with_a_gpu_and_a_host_that_reports_nothing() -> None:
    bf16 = summarize(parse_cpuinfo(CPUINFO.split("\n\n")[1]), cores=8, gpus=("NVIDIA H200",))
    assert bf16.vector_flags == ("avx2", "avx512f", "avx512_bf16")
    assert bf16.line() == ("another CPU (family 25), 8 cores, avx2, avx512f, avx512_bf16; "
                           "NVIDIA H200")
    assert summarize({}, cores=1).line() == "unknown CPU, 1 core, no AVX2; no GPU"


def test_this_host_is_described_with_the_cores_this_process_may_use() -> None:
    import os

    host = host_summary()
    assert host.cores == len(os.sched_getaffinity(0))
    assert host.as_json()["cpu"] == host.cpu
