// Random streams: a default generator (manual_seed) and private ones (cr.Generator).
#pragma once
#include <array>
#include <cstdint>

namespace chainrule {

// xoshiro256** seeded through splitmix64; normals by Box-Muller.
class Generator {
 public:
    explicit Generator(uint64_t seed = 67280421310721ULL) { manual_seed(seed); }
    void manual_seed(uint64_t seed);
    uint64_t initial_seed() const { return seed_; }
    // The whole stream position (xoshiro words, seed, the cached Box-Muller normal), so that
    // a run can be resumed bit for bit.
    using State = std::array<uint64_t, 7>;
    State state() const;
    void set_state(const State& s);
    uint64_t next_u64();
    double next_double();  // [0, 1)
    float next_float();    // [0, 1)
    double next_normal();  // N(0, 1)
    // Uniform in [0, n) by Lemire's multiply-shift (bias below 2^-64 * n).
    uint64_t next_below(uint64_t n) {
        __extension__ using u128 = unsigned __int128;
        return static_cast<uint64_t>((static_cast<u128>(next_u64()) * n) >> 64);
    }

 private:
    uint64_t s_[4] = {};
    uint64_t seed_ = 0;
    double cached_normal_ = 0;
    bool has_cached_normal_ = false;
};

Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace chainrule
