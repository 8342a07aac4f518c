// xoshiro256** streams, and the process-wide default generator.
#include "chainrule/generator.h"

#include <cmath>
#include <cstring>

#include "chainrule/errors.h"

namespace chainrule {

namespace {
uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Generator::manual_seed(uint64_t seed) {
    seed_ = seed;
    uint64_t x = seed;
    for (auto& s : s_) s = splitmix64(x);
    has_cached_normal_ = false;
}

uint64_t Generator::next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double Generator::next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
float Generator::next_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

double Generator::next_normal() {
    if (has_cached_normal_) {
        has_cached_normal_ = false;
        return cached_normal_;
    }
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    const double u1 = 1.0 - next_double();
    const double u2 = next_double();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    cached_normal_ = r * std::sin(theta);
    has_cached_normal_ = true;
    return r * std::cos(theta);
}

Generator& default_generator() {
    static Generator gen;
    return gen;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

Generator::State Generator::state() const {
    uint64_t normal_bits = 0;
    std::memcpy(&normal_bits, &cached_normal_, sizeof normal_bits);
    return {s_[0], s_[1], s_[2], s_[3], seed_, has_cached_normal_ ? 1u : 0u, normal_bits};
}

void Generator::set_state(const State& st) {
    CR_CHECK(st[5] <= 1, ValueError, "set_state: not a generator state (flag word is ", st[5], ")");
    CR_CHECK(st[0] | st[1] | st[2] | st[3], ValueError,
             "set_state: not a generator state (all-zero xoshiro words)");
    for (int i = 0; i < 4; ++i) s_[i] = st[i];
    seed_ = st[4];
    has_cached_normal_ = st[5] != 0;
    std::memcpy(&cached_normal_, &st[6], sizeof cached_normal_);
}

}  // namespace chainrule
