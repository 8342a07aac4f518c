# ctest cpp_package: installs the built C++ package into a scratch prefix, then configures,
# builds and runs tests/cpp/consumer against it with find_package(chainrule).
#   cmake -DBUILD=<build dir> -DSOURCE=<tests/cpp/consumer> -DWORK=<scratch dir>
#         [-DFLAGS=<the library's CMAKE_CXX_FLAGS>] -P check_package.cmake
# The consumer is compiled with the library's flags: a sanitizer build links only into code
# built with the same sanitizers.
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${WORK}/prefix "-DCMAKE_CXX_FLAGS=${FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK}/build)
run(${WORK}/build/fit_line)
