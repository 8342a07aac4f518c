# Fails when an ISA object (compiled with -mavx2 / -mavx512f ...) defines a global, weak or
# unique symbol other than its kernel-table getters (chainrule::kernels::<family>_<level>(...),
# LEVELS: the level names with flags, cpp/include/chainrule/cpu_levels.def, '|'-separated):
# such a symbol (an inline function, a template instantiation) may be the copy the linker
# keeps for callers on the baseline path, which then die with "Illegal instruction" on older
# CPUs (numpy#25274). Run by ctest as isa_symbols:
#   cmake -DNM=<nm> -DOBJECTS=<obj;obj...> -DLEVELS=<level|level...> -P check_isa_symbols.cmake
if(NOT LEVELS)
  message(FATAL_ERROR "no LEVELS given")
endif()
set(bad "")
set(count 0)
foreach(obj IN LISTS OBJECTS)
  execute_process(COMMAND ${NM} --defined-only -C ${obj}
                  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${obj}")
  endif()
  math(EXPR count "${count} + 1")
  string(REPLACE "\n" ";" lines "${out}")
  foreach(line IN LISTS lines)
    # Type letters: upper case = global, V/W/v/w = weak, u = unique global; lower case = local.
    if(line MATCHES "^[0-9a-fA-F]* ([A-Zuvw]) (.*)$")
      set(sym "${CMAKE_MATCH_2}")
      if(NOT sym MATCHES "^chainrule::kernels::[a-z0-9_]+_(${LEVELS})\\(")
        list(APPEND bad "${obj}: ${line}")
      endif()
    endif()
  endforeach()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "no ISA objects given")
endif()
if(bad)
  string(REPLACE ";" "\n  " msg "${bad}")
  message(FATAL_ERROR "ISA objects export symbols other than their table getters:\n  ${msg}")
endif()
message(STATUS "${count} ISA objects: only table getters are exported")
