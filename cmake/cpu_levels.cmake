# The CPU levels of cpp/include/chainrule/cpu_levels.def (the one list; see there), read for
# the build: sets CHAINRULE_CPU_LEVELS (names, lowest first) and, per level <name>,
# CHAINRULE_CPU_LEVEL_FLAGS_<name> (this compiler's options for the level's units, a list).
file(READ ${CMAKE_CURRENT_LIST_DIR}/../cpp/include/chainrule/cpu_levels.def _def)
string(REGEX REPLACE "//[^\n]*" "" _def "${_def}")  # comments may mention the macro
string(REGEX REPLACE "#[^\n]*" "" _def "${_def}")   # so may the #error line
string(REGEX REPLACE "\"[ \n]+\"" "" _def "${_def}") # "a" "b" -> "ab", as in C++
string(REPLACE ";" "<semicolon>" _def "${_def}")    # the flags' separators, not list items
string(REGEX MATCHALL "CR_CPU_LEVEL\\(" _calls "${_def}")
# CR_CPU_LEVEL(Enum, name, <checks without quotes>, "flags", "msvc flags")
set(_head "CR_CPU_LEVEL\\([ \n]*[A-Za-z0-9_]+,[ \n]*([a-z0-9_]+),[^\"]*")
set(_flags "\"([^\"]*)\",[ \n]*\"([^\"]*)\"[ \n]*\\)")
string(REGEX MATCHALL "${_head}${_flags}" _entries "${_def}")
list(LENGTH _calls _ncalls)
list(LENGTH _entries _nentries)
if(_ncalls EQUAL 0 OR NOT _ncalls EQUAL _nentries)
  message(FATAL_ERROR "cpu_levels.def: ${_ncalls} CR_CPU_LEVEL entries, ${_nentries} of them "
                      "of the form CR_CPU_LEVEL(Enum, name, ..., \"flags\", \"msvc flags\")")
endif()
set(CHAINRULE_CPU_LEVELS "")
foreach(_entry IN LISTS _entries)
  string(REGEX MATCH "^${_head}${_flags}$" _m "${_entry}")
  set(_name "${CMAKE_MATCH_1}")
  list(APPEND CHAINRULE_CPU_LEVELS ${_name})
  if(MSVC)
    string(REPLACE "<semicolon>" ";" CHAINRULE_CPU_LEVEL_FLAGS_${_name} "${CMAKE_MATCH_3}")
  else()
    string(REPLACE "<semicolon>" ";" CHAINRULE_CPU_LEVEL_FLAGS_${_name} "${CMAKE_MATCH_2}")
  endif()
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_CURRENT_LIST_DIR}/../cpp/include/chainrule/cpu_levels.def)
unset(_def)
unset(_calls)
unset(_entries)
