"""bench/run --quick runs to the end and writes well-formed results (no
timing is asserted: CI machines are shared)."""
import json
import os
import subprocess
import sys

from vplane_harness import ROOT


def test_bench_quick_produces_json_and_chart(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run"), "--quick", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    files = sorted(os.listdir(tmp_path))
    js = [f for f in files if f.endswith(".json")]
    assert len(js) == 1 and js[0].replace(".json", ".png") in files
    res = json.load(open(tmp_path / js[0]))
    for key in ("machine", "engine", "workloads_hugepages", "testpmd"):
        assert key in res
    w = res["workloads_hugepages"]["l2-xconnect-64"]
    assert w["whole_path_clocks"] > 0
    assert set(w["per_node"]) == {"ethernet-input", "l2-xconnect", "interface-output"}
    assert res["engine"]["Dispatch/256"] > 0 and res["testpmd"]["hugepages"]["mpps"] > 0
    assert "summary:" in r.stdout
