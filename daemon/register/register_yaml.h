#pragma once
// Reading and writing the register's YAML form (docs/register.md).
//
// Loading validates the whole file and reports every error at once, each naming
// FILE:LINE:COL; a register with any error is not returned, so nothing half-valid can be
// applied.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "register/register.h"

namespace trinet {

/// One problem in an input file, located by 1-based line and column.
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  /// "FILE:LINE:COL: message", the form compilers use so editors can jump to it.
  std::string ToString() const;
};

/// Reads the secret in a `passphrase_file`. Returns the secret, or nullopt with *error set.
/// The path is already resolved against the register's folder.
using PassphraseFileReader =
    std::function<std::optional<std::string>(const std::filesystem::path&, std::string* error)>;

/// The real reader: refuses a file readable by group or others (as ssh does with keys) and
/// returns its first line.
std::optional<std::string> ReadPassphraseFile(const std::filesystem::path& path,
                                              std::string* error);

struct RegisterLoad {
  std::optional<Register> reg;     ///< set only when errors is empty
  std::vector<Diagnostic> errors;  ///< sorted by line, then column
  std::string text;                ///< the bytes read (LoadRegisterFile), for hashing
};

/// Parses and validates register YAML. `file` names the input in diagnostics; `base_dir`
/// is what relative passphrase_file paths are resolved against.
RegisterLoad ParseRegister(std::string_view yaml, const std::string& file,
                           const std::filesystem::path& base_dir,
                           const PassphraseFileReader& read_passphrase = ReadPassphraseFile);

/// Reads FILE and parses it with ParseRegister.
RegisterLoad LoadRegisterFile(const std::filesystem::path& file);

/// Writes the register as YAML that ParseRegister accepts. Every secret is written as
/// kRedacted, so the output may be shared; applying it keeps the stored secrets.
std::string EmitRegisterYaml(const Register& reg);

/// Levenshtein-nearest candidate within a small distance, for "did you mean" hints.
std::optional<std::string> NearestName(std::string_view word,
                                       const std::vector<std::string>& candidates);

}  // namespace trinet
