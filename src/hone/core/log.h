// Log lines for long-running commands (hone serve, hone watch): one line per event on stderr,
// "2026-11-30T09:41:07.123Z level message", written with a single write(2) so that lines from
// several threads never interleave.
#ifndef HONE_CORE_LOG_H_
#define HONE_CORE_LOG_H_

#include <string_view>

namespace hone::core {

enum class LogLevel { kInfo, kWarning, kError };

/// Writes one line to stderr. Thread-safe. Newlines inside `message` become spaces.
void Log(LogLevel level, std::string_view message);
inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, message); }

}  // namespace hone::core

#endif  // HONE_CORE_LOG_H_
