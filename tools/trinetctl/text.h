#pragma once
// Text for terminals and spreadsheets: display width of UTF-8 (CJK is two columns wide),
// padding to a width, aligned tables and CSV.

#include <string>
#include <string_view>
#include <vector>

namespace trinet::text {

/// Columns `s` takes in a terminal: East Asian wide and fullwidth characters count two,
/// combining marks zero, everything else one.
int DisplayWidth(std::string_view s);

/// `s` padded with spaces on the right to `width` display columns.
std::string PadRight(std::string_view s, int width);

/// Rows aligned in columns (display-width aware), separated by two spaces, no trailing blanks.
std::string Align(const std::vector<std::vector<std::string>>& rows, std::string_view indent = "");

/// One CSV field quoted per RFC 4180 when it needs to be.
std::string CsvField(std::string_view s);

/// A CSV document: UTF-8 with a byte-order mark so that Excel reads Chinese correctly, CRLF.
std::string Csv(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace trinet::text
