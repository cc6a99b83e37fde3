# Writes OUT, a C++ source that holds the console's files (server/console_assets.h),
# so the server binary serves them wherever it is installed:
#   cmake -DDIR=server/console -DOUT=console_assets.cc -P embed.cmake
set(files "index.html|text/html" "console.css|text/css" "console.js|application/javascript")
file(WRITE ${OUT} "// Generated from server/console by embed.cmake: do not edit.\n"
  "#include \"server/console_assets.h\"\n\nnamespace metricdb {\nnamespace {\n\n"
  "constexpr ConsoleAsset kAssets[] = {\n")
foreach(entry IN LISTS files)
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 type)
  file(READ "${DIR}/${name}" content)
  file(APPEND ${OUT} "    {\"/${name}\", \"${type}; charset=utf-8\", R\"MDBCONSOLE(${content})MDBCONSOLE\"},\n")
endforeach()
file(APPEND ${OUT} "};\n\n}  // namespace\n\n"
  "absl::Span<const ConsoleAsset> ConsoleAssets() { return kAssets; }\n\n}  // namespace metricdb\n")
