#pragma once
// Shared set-up for fuzz targets: the real engine (EAL in ordinary memory,
// single-thread graph) started once per process.
namespace vp::fuzz {
void init_once();
}
