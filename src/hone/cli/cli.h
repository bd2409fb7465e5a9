// The `hone` command line: parses flags, calls the library, prints text or --json. No
// behaviour lives here that a test could not reach through the library.
#ifndef HONE_CLI_CLI_H_
#define HONE_CLI_CLI_H_

#include <ostream>

namespace hone::cli {

/// Runs `hone` with argv-style arguments, printing results to `out` and diagnostics to `err`.
/// Returns the process exit code: 0 ok, 1 a check said no, 2 bad input or failure.
int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace hone::cli

#endif  // HONE_CLI_CLI_H_
