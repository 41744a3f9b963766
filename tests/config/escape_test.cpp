// escape_text / escape_controls: hostile text from the platform or an operator can neither
// forge a log line nor drive the terminal.
#include "config/escape.h"

#include <doctest/doctest.h>

using bsched::esc;
using bsched::escape_controls;
using bsched::escape_text;

TEST_SUITE("config::escape") {
  TEST_CASE("a newline and a forged event stay inside the value's quotes") {
    auto forged = std::string("boom\n2026-12-06T05:00:00Z info run.finished job=x state=complete");
    auto line = fmt::format("run.finished message=\"{}\"", esc(forged));
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line == "run.finished message=\"boom\\n2026-12-06T05:00:00Z info run.finished job=x "
                  "state=complete\"");
    CHECK(escape_text("a\" state=complete b=\"") == "a\\\" state=complete b=\\\"");
    CHECK(escape_text("back\\slash") == "back\\\\slash");
  }

  TEST_CASE("ANSI, OSC and C1 control sequences are written as escapes") {
    CHECK(escape_text("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
    CHECK(escape_text("\x1b]0;title\x07") == "\\x1b]0;title\\x07");
    CHECK(escape_text("\xc2\x9b" "31m") == "\\u009b31m");  // U+009B, the one-byte CSI
    CHECK(escape_text(std::string("nul\0byte", 8)) == "nul\\x00byte");
    CHECK(escape_text("tab\tcr\rdel\x7f") == "tab\\tcr\\rdel\\x7f");
  }

  TEST_CASE("printable UTF-8 passes unchanged, invalid bytes become hex") {
    CHECK(escape_text("Grüße, 東京 🚀") == "Grüße, 東京 🚀");
    CHECK(escape_text("\xff\xfe") == "\\xff\\xfe");
    CHECK(escape_text("\xe2\x82") == "\\xe2\\x82");            // truncated sequence
    CHECK(escape_text("\xc0\xaf") == "\\xc0\\xaf");            // overlong '/'
    CHECK(escape_text("\xed\xa0\x80") == "\\xed\\xa0\\x80");   // a surrogate
  }

  TEST_CASE("a whole line keeps its own quotes and loses only its control characters") {
    CHECK(escape_controls("run.x message=\"a\nb\"") == "run.x message=\"a\\nb\"");
    CHECK(escape_controls("plain \"quoted\" \\ text") == "plain \"quoted\" \\ text");
  }

  TEST_CASE("a 1 MiB value is escaped in one pass and keeps its length when clean") {
    std::string big(1 << 20, 'a');
    CHECK(escape_text(big).size() == big.size());
    std::string hostile(1 << 20, '\x1b');
    CHECK(escape_text(hostile).size() == 4 * hostile.size());
  }
}
