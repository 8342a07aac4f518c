// Random streams: a default generator (manual_seed) and private ones (cr.Generator).
#pragma once
#include <cstdint>

namespace chainrule {

// xoshiro256** seeded through splitmix64; normals by Box-Muller.
class Generator {
   public:
    explicit Generator(uint64_t seed = 67280421310721ULL) { manual_seed(seed); }
    void manual_seed(uint64_t seed);
    uint64_t initial_seed() const { return seed_; }
    uint64_t next_u64();
    double next_double();  // [0, 1)
    float next_float();    // [0, 1)
    double next_normal();  // N(0, 1)

   private:
    uint64_t s_[4] = {};
    uint64_t seed_ = 0;
    double cached_normal_ = 0;
    bool has_cached_normal_ = false;
};

Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace chainrule
