#include "daemon/metrics/registry.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace bsched::metrics {

namespace {

// The length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  if (n == 2 && b < 0xC2) return 0;  // overlong
  auto b1 = static_cast<unsigned char>(s[i + 1 < s.size() ? i + 1 : i]);
  if (n == 3 && ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 >= 0xA0))) return 0;  // overlong, surrogate
  if (n == 4 && ((b == 0xF0 && b1 < 0x90) || b > 0xF4 || (b == 0xF4 && b1 >= 0x90))) return 0;
  return n;
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size();) {
    char c = v[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (auto n = utf8_length(v, i); n == 0 || (n == 1 && (static_cast<unsigned char>(c) < 0x20 || c == 0x7F))) {
      out += "\uFFFD";
      i += n == 0 ? 1 : n;
      continue;
    } else {
      out.append(v.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

const std::vector<double>& lateness_buckets() {
  static const std::vector<double> b{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                     1,     2.5,    5,     10,   30,    60,   300, 900,  3600};
  return b;
}

const std::vector<double>& run_duration_buckets() {
  static const std::vector<double> b{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400};
  return b;
}

const std::vector<double>& request_duration_buckets() {
  static const std::vector<double> b{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  return b;
}

Family::Family(std::string name, std::string help, std::vector<std::string> labels)
    : m_name(std::move(name)), m_help(std::move(help)), m_labels(std::move(labels)) {}

void Family::render(std::string& out) const {
  if (empty() && !m_labels.empty()) return;
  std::string help;
  for (char c : m_help) {
    if (c == '\\') help += "\\\\";
    else if (c == '\n') help += "\\n";
    else help += c;
  }
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", m_name, help, m_name, type());
  render_series(out);
}

void Family::sample(std::string& out, std::string_view suffix, const LabelValues& values,
                    std::string_view le, double value) const {
  out += m_name;
  out += suffix;
  if (!m_labels.empty() || !le.empty()) {
    out += '{';
    for (std::size_t i = 0; i < m_labels.size(); ++i) {
      if (i) out += ',';
      out += fmt::format("{}=\"{}\"", m_labels[i],
                         escape_label_value(i < values.size() ? values[i] : std::string()));
    }
    if (!le.empty()) out += fmt::format("{}le=\"{}\"", m_labels.empty() ? "" : ",", le);
    out += '}';
  }
  out += ' ';
  out += format_value(value);
  out += '\n';
}

void CounterFamily::add(const LabelValues& values, double n) {
  if (!(n >= 0)) return;
  m_series[values] += n;
}

double CounterFamily::value(const LabelValues& values) const {
  auto it = m_series.find(values);
  return it == m_series.end() ? 0 : it->second;
}

void CounterFamily::render_series(std::string& out) const {
  if (m_series.empty()) sample(out, "", {}, {}, 0);
  for (const auto& [values, v] : m_series) sample(out, "", values, {}, v);
}

void GaugeFamily::set(const LabelValues& values, double v) { m_series[values] = v; }

double GaugeFamily::value(const LabelValues& values) const {
  auto it = m_series.find(values);
  return it == m_series.end() ? 0 : it->second;
}

void GaugeFamily::render_series(std::string& out) const {
  if (m_series.empty()) sample(out, "", {}, {}, 0);
  for (const auto& [values, v] : m_series) sample(out, "", values, {}, v);
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> labels, std::vector<double> bounds)
    : Family(std::move(name), std::move(help), std::move(labels)), m_bounds(std::move(bounds)) {}

void HistogramFamily::observe(const LabelValues& values, double v) {
  if (std::isnan(v)) return;
  auto& s = m_series[values];
  if (s.buckets.empty()) s.buckets.assign(m_bounds.size(), 0);
  for (std::size_t i = 0; i < m_bounds.size(); ++i) {
    if (v <= m_bounds[i]) {
      ++s.buckets[i];
      break;
    }
  }
  ++s.count;
  s.sum += v;
}

const HistogramFamily::Series* HistogramFamily::find(const LabelValues& values) const {
  auto it = m_series.find(values);
  return it == m_series.end() ? nullptr : &it->second;
}

void HistogramFamily::render_series(std::string& out) const {
  auto one = [&](const LabelValues& values, const Series* s) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < m_bounds.size(); ++i) {
      if (s) cumulative += s->buckets[i];
      sample(out, "_bucket", values, format_value(m_bounds[i]), static_cast<double>(cumulative));
    }
    auto count = s ? s->count : 0;
    sample(out, "_bucket", values, "+Inf", static_cast<double>(count));
    sample(out, "_sum", values, {}, s ? s->sum : 0);
    sample(out, "_count", values, {}, static_cast<double>(count));
  };
  if (m_series.empty()) one({}, nullptr);
  for (const auto& [values, s] : m_series) one(values, &s);
}

template <class F>
F* Registry::find(const std::string& name) {
  for (auto& f : m_families) {
    if (f->name() != name) continue;
    auto* typed = dynamic_cast<F*>(f.get());
    if (!typed) throw std::logic_error("metric " + name + " registered twice with other types");
    return typed;
  }
  return nullptr;
}

template <class F>
F& Registry::add(std::unique_ptr<F> f) {
  auto& ref = *f;
  m_families.push_back(std::move(f));
  return ref;
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> labels) {
  if (auto* f = find<CounterFamily>(name)) return *f;
  return add(std::make_unique<CounterFamily>(name, help, std::move(labels)));
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> labels) {
  if (auto* f = find<GaugeFamily>(name)) return *f;
  return add(std::make_unique<GaugeFamily>(name, help, std::move(labels)));
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels, std::vector<double> bounds) {
  if (auto* f = find<HistogramFamily>(name)) return *f;
  return add(std::make_unique<HistogramFamily>(name, help, std::move(labels), std::move(bounds)));
}

Registry::Collector::Collector(Collector&& o) noexcept : m_registry(o.m_registry), m_id(o.m_id) {
  o.m_registry = nullptr;
}

Registry::Collector& Registry::Collector::operator=(Collector&& o) noexcept {
  if (this != &o) {
    if (m_registry) m_registry->m_collectors.erase(m_id);
    m_registry = o.m_registry;
    m_id = o.m_id;
    o.m_registry = nullptr;
  }
  return *this;
}

Registry::Collector::~Collector() {
  if (m_registry) m_registry->m_collectors.erase(m_id);
}

Registry::Collector Registry::add_collector(std::function<void()> collect) {
  auto id = m_next_collector++;
  m_collectors.emplace(id, std::move(collect));
  return Collector(*this, id);
}

std::vector<std::pair<std::string, std::string>> Registry::families() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : m_families) out.emplace_back(f->name(), std::string(f->type()));
  return out;
}

std::string Registry::render() {
  for (auto& [id, collect] : m_collectors) collect();
  std::string out;
  out.reserve(4096);
  for (const auto& f : m_families) f->render(out);
  return out;
}

}  // namespace bsched::metrics
