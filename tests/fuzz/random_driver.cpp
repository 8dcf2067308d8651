// Without libFuzzer (g++ builds, CI): feed N seeded random inputs, some
// built from a valid Ethernet/IPv4/ARP frame or CLI words with mutations,
// so that the interesting parsers are reached. Usage: <target> [iterations] [seed]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--help") {
    std::printf("usage: %s [iterations] [seed]: seeded random inputs through the fuzz target\n", argv[0]);
    return 0;
  }
  long n = argc > 1 ? std::atol(argv[1]) : 20000;
  std::mt19937 rng(argc > 2 ? uint32_t(std::atol(argv[2])) : 1);
  const std::vector<std::vector<uint8_t>> seeds = {
      // Ethernet to 02:00:00:00:00:01, IPv4 UDP 10.0.0.9 -> 10.0.0.1
      {0x02, 0,  0,  0,    0,    1,  0x02, 0, 0, 0,  0, 2, 0x08, 0x00, 0x45, 0,    0,    28, 0, 1, 0,
       0,    64, 17, 0x66, 0xc8, 10, 0,    0, 9, 10, 0, 0, 1,    0x30, 0x39, 0x00, 0x35, 0,  8, 0, 0},
      // ARP request for 10.0.0.1
      {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,  0, 0, 0, 2, 0x08, 0x06, 0, 1, 0x08, 0,  6, 4, 0,
       1,    0x02, 0,    0,    0,    0,    2,    10, 0, 0, 9, 0, 0,    0,    0, 0, 0,    10, 0, 0, 1},
  };
  const std::vector<std::string> words = {"show",
                                          "interface",
                                          "ip",
                                          "route",
                                          "add",
                                          "del",
                                          "via",
                                          "table",
                                          "10.0.0.0/8",
                                          "1.2.3.4",
                                          "set",
                                          "state",
                                          "up",
                                          "loop0",
                                          "{",
                                          "}",
                                          "packet-generator",
                                          "new",
                                          "data",
                                          "IP4:",
                                          "->",
                                          "trace",
                                          "fib"};
  for (long i = 0; i < n; i++) {
    std::vector<uint8_t> in;
    switch (rng() % 3) {
      case 0:
        in.resize(rng() % 200);
        for (auto& b : in) b = uint8_t(rng());
        break;
      case 1: {
        in = seeds[rng() % seeds.size()];
        in.resize(in.size() + rng() % 40);
        for (int k = int(rng() % 6); k >= 0; k--) in[rng() % in.size()] = uint8_t(rng());
        break;
      }
      default: {
        std::string s;
        for (int k = int(rng() % 8); k >= 0; k--) s += words[rng() % words.size()] + " ";
        in.assign(s.begin(), s.end());
      }
    }
    LLVMFuzzerTestOneInput(in.data(), in.size());
  }
  std::printf("%ld inputs, no crash\n", n);
  return 0;
}
