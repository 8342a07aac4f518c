// One global thread count for every parallel region, and parallel_for with a grain size
// below which no region starts. Builds without OpenMP run everything serially.
#pragma once
#include <algorithm>
#include <cstdint>

#ifdef CHAINRULE_OPENMP
#include <omp.h>
#endif

namespace chainrule {

int get_num_threads();
void set_num_threads(int n);  // n >= 1
bool in_parallel_region();

constexpr int64_t kGrain = 32768;  // elements of cheap work worth a thread wake-up

// Calls fn(begin_chunk, end_chunk) over [begin, end) in contiguous chunks, one per thread.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
    const int64_t n = end - begin;
    if (n <= 0) return;
#ifdef CHAINRULE_OPENMP
    const int threads = get_num_threads();
    if (threads > 1 && n > grain && !in_parallel_region()) {
        const int64_t g = std::max<int64_t>(grain, 1);  // grain 0: any size is worth a thread
        const int64_t max_chunks = (n + g - 1) / g;
        const int nt = static_cast<int>(std::min<int64_t>(threads, max_chunks));
#pragma omp parallel num_threads(nt)
        {
            // The team can be smaller than asked for (OMP_THREAD_LIMIT, OMP_DYNAMIC): the
            // chunks follow the team that started, so none is skipped.
            const int64_t tid = omp_get_thread_num();
            const int64_t team = omp_get_num_threads();
            const int64_t chunk = (n + team - 1) / team;
            const int64_t b = begin + tid * chunk;
            const int64_t e = std::min(end, b + chunk);
            if (b < e) fn(b, e);
        }
        return;
    }
#endif
    fn(begin, end);
}

// Runs fn(member, team_size) once on each thread of a team of at most `threads` (the global
// count when 0): for kernels whose threads cooperate (shared packed blocks, barriers), which
// must size their split and barriers by the team actually started. Serial (fn(0, 1)) inside
// another region or with one thread.
template <class F>
void parallel_team(int threads, const F& fn) {
#ifdef CHAINRULE_OPENMP
    const int want = threads > 0 ? std::min(threads, get_num_threads()) : get_num_threads();
    if (want > 1 && !in_parallel_region()) {
#pragma omp parallel num_threads(want)
        fn(omp_get_thread_num(), omp_get_num_threads());
        return;
    }
#endif
    (void)threads;
    fn(0, 1);
}

}  // namespace chainrule
