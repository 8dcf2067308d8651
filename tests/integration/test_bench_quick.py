"""bench/run, bench/route-load, bench/lcp-punt, bench/lcp-routes, bench/lcp-scale (--quick) and bench/profile run to the end and write well-formed results (no
timing is asserted: CI machines are shared)."""
import json
import os
import subprocess
import sys

from vplane_harness import ROOT


def run_script(cmd, timeout):
    """Runs a bench script; on timeout sends SIGTERM (the scripts then stop the daemons and remove the
    namespaces they made), not subprocess.run's SIGKILL, which would leave them behind."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.terminate()
        p.communicate(timeout=60)
        raise
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def quick(script, tmp_path, timeout=300):
    """Runs bench/<script> --quick; returns its output and the one JSON it wrote."""
    r = run_script([sys.executable, os.path.join(ROOT, "bench", script), "--quick", "--out", str(tmp_path)], timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    js = [f for f in os.listdir(tmp_path) if f.endswith(".json")]
    assert len(js) == 1
    return r.stdout, json.load(open(tmp_path / js[0]))


def test_bench_quick_produces_json_and_chart(tmp_path):
    out, res = quick("run", tmp_path, timeout=600)
    files = os.listdir(tmp_path)
    assert [f.replace(".png", ".json") for f in files if f.endswith(".png")] == [f for f in files if f.endswith(".json")]
    for key in ("machine", "engine", "workloads_hugepages", "testpmd"):
        assert key in res
    w = res["workloads_hugepages"]["l2-xconnect-64"]
    assert w["whole_path_clocks"] > 0
    assert set(w["per_node"]) == {"ethernet-input", "l2-xconnect", "interface-output"}
    assert res["engine"]["Dispatch/256"] > 0 and res["testpmd"]["hugepages"]["mpps"] > 0
    fw = res["workloads_hugepages"]["fw-hit-10k"]
    # One worker and every routed interface zoned: no handoff, no output check.
    assert fw["whole_path_clocks"] > 0 and "fw-ip4" in fw["per_node"]
    assert not {"ip4-flow-handoff", "fw-ip4-out"} & set(fw["per_node"]), fw["per_node"]
    mss = res["workloads_hugepages"]["mss-clamp"]["per_node"]
    assert {"tcp-mss-clamping-ip4-in", "tcp-mss-clamping-ip4-out"} <= set(mss), mss
    # NPTv6 translates on the interface it is set on, in one node per direction.
    assert "npt66-out" in res["workloads_hugepages"]["npt66"]["per_node"]
    assert "npt66-in" in res["workloads_hugepages"]["npt66-in"]["per_node"]
    for key in ("ip4-100k", "ip6-100k"):
        assert res["fw_memory"][key]["sessions"] == 100000, res["fw_memory"]
    assert res["scaling_fw"]["capacity_2"] > 0
    assert "summary:" in out


def test_route_load_quick_loads_under_traffic_and_reports(tmp_path):
    out, res = quick("route-load", tmp_path, timeout=600)
    assert set(res["phases"]) == {"add", "replace", "del", "ip6 add", "ip6 del"}
    for name, p in res["phases"].items():
        assert p["routes"] == (100000 if not name.startswith("ip6") else 20000) and p["seconds"] > 0
        assert p["offered"] > 0 and p["received"] <= p["offered"]
        assert p["worker_poll_gaps_us"]["polls"] > 0
    assert "summary:" in out


def test_lcp_punt_quick_measures_both_paths(tmp_path):
    out, res = quick("lcp-punt", tmp_path)
    assert res["transit_gbps"] > 0 and res["punted_gbps"] > 0 and res["mirror_punted"] > 0
    assert "summary:" in out


def test_lcp_routes_quick_catches_up(tmp_path):
    out, res = quick("lcp-routes", tmp_path)
    assert res["routes"] == 20000 and res["lcp"]["routes"] >= 40000  # every add and delete applied
    assert res["add"]["vplane_s"] >= res["add"]["kernel_s"] > 0
    # ExaBGP's feed process (a child of ExaBGP, which is killed) must not outlive the run.
    left = subprocess.run(["pgrep", "-f", "vplane-frr-.*/feed.py"], capture_output=True, text=True).stdout
    assert not left, f"feed processes left behind: {left}"


def test_lcp_scale_quick_creates_and_removes_every_mirror(tmp_path):
    out, res = quick("lcp-scale", tmp_path)
    assert res["pairs"] == 200 and res["create"]["settled_s"] >= res["create"]["commands_s"] > 0
    assert res["delete_s"] > 0 and "summary:" in out


def test_profile_samples_the_worker():
    r = run_script([sys.executable, os.path.join(ROOT, "bench", "profile"), "l2-xconnect-64", "--seconds", "1",
                    "--annotate", "vp::(anonymous namespace)::ethernet_input",
                    "--callers", "vp::(anonymous namespace)::ethernet_input"], 120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ethernet_input" in r.stdout and "hottest instructions" in r.stdout and "summary:" in r.stdout
    callers = r.stdout.split("ethernet_input: callers")[1]
    assert "run_pending" in callers, r.stdout  # the engine's dispatch calls every node


def test_run_rejects_bad_arguments_with_one_line():
    for args, words in ((["--rounds", "-2"], "--rounds -2"), (["--only", "ip4-1route,nope"], "no workload nope")):
        r = run_script([sys.executable, os.path.join(ROOT, "bench", "run"), *args], 30)
        assert r.returncode == 2 and words in r.stderr.strip().splitlines()[-1], r.stderr
