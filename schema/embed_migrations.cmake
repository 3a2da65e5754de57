# Writes a C++ file holding every schema/NNN_*.sql as a raw string, so that the binaries
# carry their schema and never read SQL files at run time.
# Inputs: OUT (the .cc to write), SOURCES (the .sql files, |-separated, in order).
string(REPLACE "|" ";" SOURCES "${SOURCES}")
set(body "#include \"sqlite.h\"\n\nnamespace trinet::sql {\n\nconst std::vector<Migration>& Migrations() {\n  static const std::vector<Migration> k = {\n")
foreach(file IN LISTS SOURCES)
  get_filename_component(name "${file}" NAME)
  string(REGEX MATCH "^[0-9]+" number "${name}")
  math(EXPR version "${number}")
  file(READ "${file}" sql)
  string(APPEND body "      {${version}, \"${name}\", R\"trinet_sql(${sql})trinet_sql\"},\n")
endforeach()
string(APPEND body "  };\n  return k;\n}\n\n}  // namespace trinet::sql\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
