import os

import pytest

from vplane_harness import Lab, VPLANED, sh


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        pytest.exit("integration tests need root (namespaces, veth, AF_XDP)", returncode=2)
    if not os.path.exists(VPLANED):
        pytest.exit(f"{VPLANED} not built: run scripts/setup.sh", returncode=2)
    # Namespaces a killed earlier run left behind.
    for name in sh("ip netns list", check=False).stdout.split():
        if name.startswith("vpt") and name[3:4].isdigit():
            sh(["ip", "netns", "del", name], check=False)


@pytest.fixture
def lab():
    l = Lab()
    try:
        yield l
    finally:
        l.cleanup()
