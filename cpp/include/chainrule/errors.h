// Exception types of the core; the bindings map them to Python's ValueError, TypeError,
// IndexError and RuntimeError. Messages follow "<op>: <problem>; got <values>".
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace chainrule {

struct ValueError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};
struct IndexError : std::out_of_range {
    using std::out_of_range::out_of_range;
};
struct TypeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct RuntimeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
std::string cat_str(Args&&... args) {
    std::ostringstream os;
    (os << ... << std::forward<Args>(args));
    return os.str();
}
}  // namespace detail

// CR_CHECK(cond, ErrorType, parts...) throws ErrorType(parts...) when cond is false.
#define CR_CHECK(cond, Err, ...)                                           \
    do {                                                                   \
        if (!(cond)) throw Err(::chainrule::detail::cat_str(__VA_ARGS__)); \
    } while (0)

}  // namespace chainrule
