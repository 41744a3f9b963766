#include "daemon/web/auth.h"
#include "daemon/web/html.h"

#include <doctest/doctest.h>

#include <string>

using namespace bsched;
using web::html_escape;

TEST_SUITE("web::html") {
  TEST_CASE("markup and both quote characters are escaped") {
    CHECK(html_escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
    CHECK(html_escape("a\"b'c&d") == "a&quot;b&#39;c&amp;d");
    CHECK(html_escape("\" onmouseover=\"x") == "&quot; onmouseover=&quot;x");
    CHECK(html_escape("&amp;") == "&amp;amp;");  // escaped again, never trusted
  }

  TEST_CASE("control characters become U+FFFD, tab and newline stay") {
    CHECK(html_escape(std::string("a\0b", 3)) == "a\xEF\xBF\xBD" "b");
    CHECK(html_escape("a\x1b[31mb") == "a\xEF\xBF\xBD[31mb");
    CHECK(html_escape("\x7f") == "\xEF\xBF\xBD");
    CHECK(html_escape("a\tb\nc") == "a\tb\nc");
    CHECK(html_escape("\r") == "\xEF\xBF\xBD");
  }

  TEST_CASE("invalid UTF-8 becomes U+FFFD and valid UTF-8 passes unchanged") {
    CHECK(html_escape("Zürich €") == "Zürich €");
    CHECK(html_escape("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");   // an emoji
    CHECK(html_escape("\xC0\xBC") == "\xEF\xBF\xBD\xEF\xBF\xBD");    // overlong '<'
    CHECK(html_escape("\xE0\x80\xBC").find('<') == std::string::npos);
    CHECK(html_escape("\xED\xA0\x80").find("\xED") == std::string::npos);  // a surrogate
    CHECK(html_escape("\xF4\x90\x80\x80").find("\xF4") == std::string::npos);  // > U+10FFFF
    CHECK(html_escape("ab\xC3") == "ab\xEF\xBF\xBD");  // cut in the middle
    CHECK(html_escape("\xFF<") == "\xEF\xBF\xBD&lt;");
  }

  TEST_CASE("percent-decoding refuses NUL, slash, bad escapes and invalid UTF-8") {
    std::string out;
    CHECK(web::percent_decode("orders-sync", out));
    CHECK(out == "orders-sync");
    CHECK(web::percent_decode("a%2Eb", out));
    CHECK(out == "a.b");
    CHECK_FALSE(web::percent_decode("a%00b", out));
    CHECK_FALSE(web::percent_decode("a%2fb", out));
    CHECK_FALSE(web::percent_decode("a%2", out));
    CHECK_FALSE(web::percent_decode("a%", out));
    CHECK_FALSE(web::percent_decode("%zz", out));
    CHECK_FALSE(web::percent_decode("%C0%AE", out));  // overlong '.'
    CHECK(web::percent_encode("a b/ü") == "a%20b%2F%C3%BC");
  }
}

TEST_SUITE("web::auth") {
  TEST_CASE("the token comparison answers equality whatever the lengths") {
    CHECK(web::constant_time_equal("secret-token", "secret-token"));
    CHECK_FALSE(web::constant_time_equal("secret-token", "secret-tokeN"));
    CHECK_FALSE(web::constant_time_equal("secret-token", "secret-token-longer"));
    CHECK_FALSE(web::constant_time_equal("", "x"));
    CHECK(web::constant_time_equal("", ""));
  }

  TEST_CASE("a bearer token is needed only when one is configured") {
    config::Secret none;
    config::Secret token("t0ken");
    CHECK(web::authorized("", none));
    CHECK(web::authorized("Bearer t0ken", token));
    CHECK(web::authorized("bearer t0ken", token));
    CHECK_FALSE(web::authorized("", token));
    CHECK_FALSE(web::authorized("Bearer", token));
    CHECK_FALSE(web::authorized("Bearer t0ke", token));
    CHECK_FALSE(web::authorized("Bearer t0ken ", token));
    CHECK_FALSE(web::authorized("Basic t0ken", token));
    CHECK_FALSE(web::authorized("Bearert0ken!", token));
  }
}
