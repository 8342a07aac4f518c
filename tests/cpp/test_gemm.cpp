// kernels::gemm at every CPU level this machine has, against gemm_baseline in double: awkward
// sizes (0, 1, MR+-1, NR+-1, KC+-1, primes), every transpose combination, alpha/beta (beta = 0
// over NaN garbage), strided and column-major C, float and double, small blockings that exercise
// every loop of the driver, and 1 vs 2 threads bit for bit.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "chainrule/cpu.h"
#include "chainrule/parallel.h"
#include "kernels/baseline/gemm.h"
#include "kernels/dispatch.h"
#include "kernels/gemm/gemm.h"
#ifdef CHAINRULE_OPENMP
#include <omp.h>
#endif

using namespace chainrule;
using kernels::GemmConfig;

namespace {

int failures = 0, checks = 0;

void expect(bool ok, const std::string& what) {
    ++checks;
    if (!ok && failures++ < 20) std::fprintf(stderr, "FAILED: %s\n", what.c_str());
}

// An (rows, cols) operand stored row-major, or column-major (a transposed view), with padding.
template <class T>
struct Mat {
    int64_t rows, cols, rs, cs;
    std::vector<T> data;
    Mat(int64_t r, int64_t c, bool transposed, std::mt19937& rng, int64_t pad = 0)
        : rows(r), cols(c) {
        if (transposed) {
            rs = 1;
            cs = r + pad;
        } else {
            rs = c + pad;
            cs = 1;
        }
        const int64_t lines = transposed ? c : r, width = transposed ? r + pad : c + pad;
        data.assign(static_cast<size_t>(lines * width) + 1, T(0));
        std::uniform_real_distribution<double> ud(-1, 1);
        for (auto& x : data) x = static_cast<T>(ud(rng));
    }
    T at(int64_t i, int64_t j) const { return data[static_cast<size_t>(i * rs + j * cs)]; }
};

struct Case {
    int64_t M, N, K;
    bool ta, tb;
    int c_layout;  // 0 row-major, 1 padded rows, 2 column-major, 3 both strides > 1
    double alpha, beta;
};

std::string describe(const char* level, const char* dtype, const Case& c, const char* what) {
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "%s %s M=%lld N=%lld K=%lld ta=%d tb=%d C=%d alpha=%g beta=%g: %s", level, dtype,
                  static_cast<long long>(c.M), static_cast<long long>(c.N),
                  static_cast<long long>(c.K), c.ta, c.tb, c.c_layout, c.alpha, c.beta, what);
    return buf;
}

// C's strides for a layout; returns the buffer size.
int64_t c_strides(const Case& c, int64_t& rsc, int64_t& csc) {
    switch (c.c_layout) {
        case 1:
            rsc = c.N + 5;
            csc = 1;
            return c.M * (c.N + 5) + 1;
        case 2:
            rsc = 1;
            csc = c.M;
            return c.M * c.N + 1;
        case 3:
            rsc = 2 * c.N + 1;
            csc = 2;
            return c.M * (2 * c.N + 1) + 1;
        default:
            rsc = c.N;
            csc = 1;
            return c.M * c.N + 1;
    }
}

template <class T>
void check_case(const GemmConfig& cfg, const Case& c, std::mt19937& rng) {
    const char* dtype = sizeof(T) == 4 ? "float" : "double";
    const char* level = cpu_capability_name(cfg.level);
    Mat<T> A(c.M, c.K, c.ta, rng, 3), B(c.K, c.N, c.tb, rng, 1);
    int64_t rsc = 0, csc = 0;
    const int64_t csize = c_strides(c, rsc, csc);
    std::vector<T> C0(static_cast<size_t>(csize));
    std::uniform_real_distribution<double> ud(-1, 1);
    for (auto& x : C0) x = c.beta == 0 ? T(NAN) : static_cast<T>(ud(rng));  // garbage for beta 0
    // Reference: gemm_baseline in double on the same values, and |A| @ |B| for the error bound.
    std::vector<double> Ad(static_cast<size_t>(c.M * c.K)), Aa(Ad.size()),
        Bd(static_cast<size_t>(c.K * c.N)), Ba(Bd.size()), R(static_cast<size_t>(c.M * c.N)),
        Ra(R.size());
    for (int64_t i = 0; i < c.M; ++i) {
        for (int64_t k = 0; k < c.K; ++k) {
            Ad[i * c.K + k] = A.at(i, k);
            Aa[i * c.K + k] = std::fabs(Ad[i * c.K + k]);
        }
    }
    for (int64_t k = 0; k < c.K; ++k) {
        for (int64_t j = 0; j < c.N; ++j) {
            Bd[k * c.N + j] = B.at(k, j);
            Ba[k * c.N + j] = std::fabs(Bd[k * c.N + j]);
        }
    }
    set_num_threads(1);
    kernels::gemm_baseline<double>(c.M, c.N, c.K, 1.0, Ad.data(), c.K, 1, Bd.data(), c.N, 1, false,
                                   R.data(), c.N, 1);
    kernels::gemm_baseline<double>(c.M, c.N, c.K, 1.0, Aa.data(), c.K, 1, Ba.data(), c.N, 1, false,
                                   Ra.data(), c.N, 1);
    const T alpha = static_cast<T>(c.alpha), beta = static_cast<T>(c.beta);
    std::vector<T> C1 = C0, C2 = C0;
    kernels::gemm_with<T>(cfg, c.M, c.N, c.K, alpha, A.data.data(), A.rs, A.cs, B.data.data(), B.rs,
                          B.cs, beta, C1.data(), rsc, csc);
    set_num_threads(2);
    kernels::gemm_with<T>(cfg, c.M, c.N, c.K, alpha, A.data.data(), A.rs, A.cs, B.data.data(), B.rs,
                          B.cs, beta, C2.data(), rsc, csc);
    set_num_threads(1);
    expect(std::memcmp(C1.data(), C2.data(), C1.size() * sizeof(T)) == 0,
           describe(level, dtype, c, "1 and 2 threads differ"));
    const double eps = sizeof(T) == 4 ? 6e-8 : 1.2e-16;
    bool ok = true, untouched = true;
    std::vector<char> inside(C1.size(), 0);
    for (int64_t i = 0; i < c.M && ok; ++i) {
        for (int64_t j = 0; j < c.N; ++j) {
            const size_t at = static_cast<size_t>(i * rsc + j * csc);
            inside[at] = 1;
            const double c0 = c.beta == 0 ? 0.0 : static_cast<double>(C0[at]);
            const double want =
                static_cast<double>(alpha) * R[i * c.N + j] + static_cast<double>(beta) * c0;
            const double bound =
                4 * eps *
                ((c.K + 2) * std::fabs(c.alpha) * Ra[i * c.N + j] + std::fabs(c.beta * c0) + 1e-30);
            if (!(std::fabs(static_cast<double>(C1[at]) - want) <= bound)) {
                char buf[128];
                std::snprintf(buf, sizeof(buf), "C[%lld, %lld] = %.9g, want %.9g",
                              static_cast<long long>(i), static_cast<long long>(j),
                              static_cast<double>(C1[at]), want);
                expect(false, describe(level, dtype, c, buf));
                ok = false;
                break;
            }
        }
    }
    for (size_t q = 0; q < C1.size(); ++q) {
        if (!inside[q] && std::memcmp(&C1[q], &C0[q], sizeof(T)) != 0) untouched = false;
    }
    expect(untouched, describe(level, dtype, c, "wrote outside C"));
    if (ok) ++checks;
}

template <class T>
void run_level(CpuCapability level, int64_t& cases) {
    const auto bl = kernels::gemm_blocking<T>(level);
    const int64_t MR = bl.mr, NR = bl.nr, KC = bl.kc;
    std::mt19937 rng(1234 + static_cast<int>(level));
    GemmConfig dflt;
    dflt.level = level;
    GemmConfig packed = dflt;  // packed path at every size, default blocking
    packed.path = kernels::GemmPath::Packed;
    GemmConfig tiny = packed;  // several K and N blocks (and split K sums) on small problems
    tiny.kc = 7;
    tiny.nc = 2 * NR;
    GemmConfig direct = dflt;  // unpacked path at every size
    direct.path = kernels::GemmPath::Direct;

    const std::vector<int64_t> awkward = {1,  2,      3,          MR - 1, MR, MR + 1, NR - 1,
                                          NR, NR + 1, 2 * MR + 1, 17,     31, 37};
    const std::vector<int64_t> ks = {1, 2, 5, 16, 17, KC - 1, KC, KC + 1};
    const double alphas[] = {1.0, 0.5, -2.0};
    const double betas[] = {0.0, 1.0, 0.25};
    int q = 0;
    for (const GemmConfig* cfg : {&dflt, &packed, &tiny, &direct}) {
        for (int64_t M : awkward) {
            for (int64_t N : awkward) {
                // Every transpose/layout/alpha/beta combination over the size grid, rotated so
                // each size meets several of them without a full cross product.
                ++q;
                const int64_t K = ks[static_cast<size_t>(q) % ks.size()];
                Case c{M,
                       N,
                       K,
                       (q & 1) != 0,
                       (q & 2) != 0,
                       (q / 4) % 4,
                       alphas[q % 3],
                       betas[(q / 3) % 3]};
                check_case<T>(*cfg, c, rng);
                ++cases;
            }
        }
    }
    // All 4 transpose combinations x 4 C layouts x 3 betas at a few shapes and paths.
    for (const GemmConfig* cfg : {&dflt, &packed, &tiny, &direct}) {
        for (int t = 0; t < 4; ++t) {
            for (int layout = 0; layout < 4; ++layout) {
                for (double beta : betas) {
                    check_case<T>(
                        *cfg,
                        Case{MR + 3, NR + 5, 29, (t & 1) != 0, (t & 2) != 0, layout, -1.5, beta},
                        rng);
                    ++cases;
                }
            }
        }
    }
    // Zero sizes, K == 0 (C = beta * C), vectors.
    for (const GemmConfig* cfg : {&dflt, &packed}) {
        for (const auto& s : std::vector<std::array<int64_t, 3>>{{0, 5, 3},
                                                                 {5, 0, 3},
                                                                 {4, 6, 0},
                                                                 {1, 1, 1},
                                                                 {1, 300, 77},
                                                                 {300, 1, 77},
                                                                 {1, 1, 500}}) {
            for (double beta : betas) {
                check_case<T>(*cfg, Case{s[0], s[1], s[2], false, true, 0, 0.75, beta}, rng);
                ++cases;
            }
        }
    }
    // Primes up to ~300 and larger shapes that take both threads (packed and unpacked).
    const std::vector<std::array<int64_t, 3>> big = {
        {97, 89, 101},   {131, 257, 127}, {211, 223, 227},
        {293, 283, 281}, {128, 784, 256}, {300, 13, 290},
        {1, 4099, 513},  {2048, 3, 600},  {KC + 1, 2 * NR + 1, 2 * KC + 3}};
    int r = 0;
    for (const auto& s : big) {
        for (int t = 0; t < 4; ++t) {
            ++r;
            const Case c{s[0], s[1],        s[2], (t & 1) != 0, (t & 2) != 0, r % 4 == 3 ? 1 : 0,
                         1.0,  betas[r % 3]};
            check_case<T>(dflt, c, rng);
            ++cases;
        }
    }
    // Threads sharing packed B blocks across many K and N blocks (a barrier per block), and
    // the column split, forced (Auto picks by shape), on the same products.
    GemmConfig tiny_rows = tiny, tiny_blocks = tiny, tiny_cols = tiny;
    tiny_rows.split = kernels::GemmSplit::Rows;
    tiny_blocks.split = kernels::GemmSplit::RowsBlocks;
    tiny_cols.split = kernels::GemmSplit::Cols;
    for (const GemmConfig* cfg : {&tiny, &tiny_rows, &tiny_blocks, &tiny_cols}) {
        for (const auto& s :
             std::vector<std::array<int64_t, 3>>{{150, 200, 300}, {61, 170, 90}, {9, 40, 70}}) {
            for (int t = 0; t < 4; ++t) {
                const Case c{s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, 0, 1.0, betas[t % 3]};
                check_case<T>(*cfg, c, rng);
                ++cases;
            }
        }
    }
}

// int64 goes through gemm_baseline; beta other than 0/1 scales C first.
void test_int64() {
    const int64_t M = 5, N = 7, K = 9;
    std::vector<int64_t> A(M * K), B(K * N), C(M * N, 3), R(M * N);
    for (int64_t i = 0; i < M * K; ++i) A[i] = i % 7 - 3;
    for (int64_t i = 0; i < K * N; ++i) B[i] = i % 5 - 2;
    kernels::gemm<int64_t>(M, N, K, 2, A.data(), K, 1, B.data(), N, 1, 2, C.data(), N, 1);
    kernels::gemm_baseline<int64_t>(M, N, K, 2, A.data(), K, 1, B.data(), N, 1, false, R.data(), N,
                                    1);
    bool ok = true;
    for (int64_t i = 0; i < M * N; ++i) ok = ok && C[i] == R[i] + 6;
    expect(ok, "int64 gemm = 2 * A @ B + 2 * C");
}

// gemm called from inside another parallel region (each thread its own product, large enough
// to take the threaded paths on its own) runs serially on that thread: same bits as a
// serial call, and no nested team or barrier across the callers.
void test_inside_region() {
#ifdef CHAINRULE_OPENMP
    std::mt19937 rng(77);
    std::uniform_real_distribution<float> ud(-1, 1);
    for (const auto& s : std::vector<std::array<int64_t, 3>>{{300, 400, 500}, {40, 300, 900}}) {
        const int64_t M = s[0], K = s[1], N = s[2];
        std::vector<float> A(static_cast<size_t>(M * K)), B(static_cast<size_t>(K * N));
        for (auto& x : A) x = ud(rng);
        for (auto& x : B) x = ud(rng);
        std::vector<float> want(static_cast<size_t>(M * N));
        set_num_threads(1);
        kernels::gemm<float>(M, N, K, 1.0f, A.data(), K, 1, B.data(), N, 1, 0.0f, want.data(), N,
                             1);
        set_num_threads(2);
        std::vector<std::vector<float>> got(2, std::vector<float>(want.size(), NAN));
        int started = 0;
#pragma omp parallel num_threads(2) reduction(+ : started)
        {
            const int t = omp_get_thread_num();
            started += 1;
            if (t < 2) {
                kernels::gemm<float>(M, N, K, 1.0f, A.data(), K, 1, B.data(), N, 1, 0.0f,
                                     got[static_cast<size_t>(t)].data(), N, 1);
            }
        }
        for (int t = 0; t < started && t < 2; ++t) {
            expect(std::memcmp(got[static_cast<size_t>(t)].data(), want.data(),
                               want.size() * sizeof(float)) == 0,
                   "gemm inside a parallel region " + std::to_string(M) + "x" + std::to_string(K) +
                       "x" + std::to_string(N) + " thread " + std::to_string(t) +
                       ": differs from the serial product");
        }
        set_num_threads(1);
    }
#endif
}

// gemm_pointed: B's rows given by pointer, scattered in one buffer (in reverse order, with
// gaps), against the product with B gathered into a matrix; beta 0 and 1.
void test_pointed() {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> ud(-1, 1);
    for (int64_t M : {1, 3, 6, 8, 16, 17, 33}) {
        for (int64_t N : {1, 7, 16, 47, 48, 92, 130}) {
            for (int64_t K : {1, 5, 25, 150}) {
                const int64_t gap = 3;
                std::vector<float> A(static_cast<size_t>(M * K));
                std::vector<float> pool(static_cast<size_t>(K * (N + gap)));
                std::vector<float> B(static_cast<size_t>(K * N)), C0(static_cast<size_t>(M * N));
                for (auto& v : A) v = ud(rng);
                for (auto& v : pool) v = ud(rng);
                for (auto& v : C0) v = ud(rng);
                std::vector<const float*> rows(static_cast<size_t>(K));
                for (int64_t k = 0; k < K; ++k) {
                    rows[static_cast<size_t>(k)] = pool.data() + (K - 1 - k) * (N + gap);
                    std::memcpy(B.data() + k * N, rows[static_cast<size_t>(k)], N * sizeof(float));
                }
                for (float beta : {0.0f, 1.0f}) {
                    std::vector<float> got = C0, want = C0;
                    kernels::gemm_pointed<float>(M, N, K, 1.0f, A.data(), K, 1, rows.data(), beta,
                                                 got.data(), N);
                    kernels::gemm_baseline<float>(M, N, K, 1.0f, A.data(), K, 1, B.data(), N, 1,
                                                  beta != 0, want.data(), N, 1);
                    double worst = 0;
                    for (size_t i = 0; i < got.size(); ++i)
                        worst = std::max(worst, static_cast<double>(std::fabs(got[i] - want[i])));
                    expect(worst <= 1e-4 * static_cast<double>(K),
                           "gemm_pointed M=" + std::to_string(M) + " N=" + std::to_string(N) +
                               " K=" + std::to_string(K) + " beta=" + std::to_string(beta) +
                               ": off by " + std::to_string(worst));
                }
            }
        }
    }
}

}  // namespace

int main() {
    test_pointed();
    test_int64();
    test_inside_region();
    int64_t cases = 0;
    for (int l = static_cast<int>(cpu_capability_supported()); l >= 0; --l) {
        const auto level = static_cast<CpuCapability>(l);
        if (kernels::kernel_table_at(level) == nullptr) continue;
        const int64_t before = cases;
        run_level<float>(level, cases);
        run_level<double>(level, cases);
        std::printf("%s: %lld cases\n", cpu_capability_name(level),
                    static_cast<long long>(cases - before));
    }
    std::printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
